package io.patchfleet.client.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import io.patchfleet.model.Sha256;
import io.patchfleet.protocol.CheckInRequest;
import io.patchfleet.protocol.WireKernel;
import io.patchfleet.trust.api.VerifiedTarget;

/**
 * The client's HTTP transport against real HTTP servers on loopback (the JDK's
 * {@code com.sun.net.httpserver}): the check-in with its ETag, error answers, redirects, the
 * proxy and no-proxy, timeouts and abort, extra CA certificates, and resumed downloads.
 */
class ServerClientTest {
    private static final String ANSWER = "{\"kernelSupport\":\"unsupported\",\"metadata\":{},\"nextCheckInSeconds\":0}";
    private static final ProxySettings NO_PROXY = new ProxySettings("", "", "", Map.of());

    @TempDir
    Path dir;

    private final List<HttpServer> servers = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopServers() {
        servers.forEach(s -> s.stop(0));
    }

    /** What one server saw: request line target, headers of interest, body. */
    record Seen(String method, String target, String authorization, String ifNoneMatch, String contentType, String body) {}

    @Test
    void aCheckInPostsJsonWithTheCredentialAndA304KeepsTheEtag() throws Exception {
        // Given a server that answers a first check-in with an ETag and then 304 to that ETag
        List<Seen> seen = new CopyOnWriteArrayList<>();
        String base = serve("/v1/check-in", x -> {
            Seen s = seen(x);
            seen.add(s);
            if ("\"e1\"".equals(s.ifNoneMatch())) {
                reply(x, 304, null, Map.of("ETag", "\"e1\""));
            } else {
                reply(x, 200, ANSWER, Map.of("ETag", "\"e1\""));
            }
        });
        ServerClient client = new ServerClient(base + "/", Duration.ofSeconds(5), NO_PROXY, null);

        // When it checks in twice, the second time with the ETag it was given
        ServerClient.CheckIn first = client.checkIn("secret-1", request(), null);
        ServerClient.CheckIn second = client.checkIn("secret-1", request(), first.etag());

        // Then the first is a full answer with its ETag, the second a 304 keeping the ETag
        assertFalse(first.notModified());
        assertEquals("unsupported", first.response().kernelSupport());
        assertEquals("\"e1\"", first.etag());
        assertTrue(second.notModified());
        assertNull(second.response());
        assertEquals("\"e1\"", second.etag());
        // and both were JSON POSTs to /v1/check-in with the machine's credential
        assertEquals(2, seen.size());
        for (Seen s : seen) {
            assertEquals("POST", s.method());
            assertEquals("/v1/check-in", s.target());
            assertEquals("Bearer secret-1", s.authorization());
            assertEquals("application/json", s.contentType());
            assertEquals("0123456789abcdef0123456789abcdef", JsonFiles.MAPPER.readTree(s.body()).get("machineId").asText(), s.body());
        }
        assertNull(seen.get(0).ifNoneMatch());
        assertEquals("\"e1\"", seen.get(1).ifNoneMatch());
    }

    @Test
    void anErrorAnswerCarriesTheServersCodeAndARedirectIsNeverFollowed() throws Exception {
        // Given a server refusing the credential, and one redirecting the check-in elsewhere
        AtomicInteger elsewhere = new AtomicInteger();
        String refusing = serve("/v1/check-in", x -> reply(x, 401,
                "{\"error\":{\"code\":\"unauthorized\",\"message\":\"unknown credential\"}}", Map.of()));
        String target = serve("/v1/check-in", x -> {
            elsewhere.incrementAndGet();
            reply(x, 200, ANSWER, Map.of());
        });
        String redirecting = serve("/v1/check-in", x -> reply(x, 307, null, Map.of("Location", target + "/v1/check-in")));

        // When each is asked, then the refusal says the server's code and message
        ServerClient.ServerException refused = assertThrows(ServerClient.ServerException.class,
                () -> new ServerClient(refusing, Duration.ofSeconds(5), NO_PROXY, null).checkIn("bad", request(), null));
        assertEquals(401, refused.status);
        assertEquals("unauthorized: unknown credential", refused.getMessage());
        // and the redirect is an error, the other server never asked (credential not handed on)
        ServerClient.ServerException redirected = assertThrows(ServerClient.ServerException.class,
                () -> new ServerClient(redirecting, Duration.ofSeconds(5), NO_PROXY, null).checkIn("s", request(), null));
        assertEquals(307, redirected.status);
        assertEquals(0, elsewhere.get());
    }

    @Test
    void aCheckInIsNeverSentTwiceWhenTheConnectionDropsBeforeTheAnswer() throws Exception {
        // Given a server that reads each request and closes the connection without answering
        // (it may have recorded the check-in's events before it died)
        try (ServerSocket dropping = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            AtomicInteger requests = new AtomicInteger();
            Thread server = new Thread(() -> {
                try {
                    while (true) {
                        try (Socket s = dropping.accept()) {
                            requests.incrementAndGet();
                            s.getInputStream().read(new byte[8192]);
                        }
                    }
                } catch (IOException closed) {
                    // test over
                }
            });
            server.setDaemon(true);
            server.start();
            ServerClient client = new ServerClient("http://127.0.0.1:" + dropping.getLocalPort(), Duration.ofSeconds(5), NO_PROXY, null);
            // When the client checks in, then it fails, and the server saw one request, not two
            assertThrows(IOException.class, () -> client.checkIn("s", request(), null));
            Thread.sleep(300);
            assertEquals(1, requests.get(), "the JDK re-sent the POST");
        }
    }

    @Test
    void theConfiguredProxyCarriesTheRequestExceptForNoProxyHosts() throws Exception {
        // Given a forward proxy (it answers itself and records the absolute request target) and a server
        List<Seen> atProxy = new CopyOnWriteArrayList<>();
        String proxy = serve("/", x -> {
            atProxy.add(seen(x));
            reply(x, 200, ANSWER, Map.of());
        });
        AtomicInteger atServer = new AtomicInteger();
        String server = serve("/v1/check-in", x -> {
            atServer.incrementAndGet();
            reply(x, 200, ANSWER, Map.of());
        });

        // When a client for a server name nobody resolves checks in with http-proxy set
        ProxySettings viaProxy = new ProxySettings(proxy, "", "", Map.of("http_proxy", "http://127.0.0.1:9"));
        new ServerClient("http://patchfleet.invalid:8080", Duration.ofSeconds(5), viaProxy, null).checkIn("s", request(), null);

        // Then the proxy got the whole URL with the credential (the setting over the environment)
        assertEquals(1, atProxy.size());
        assertEquals("http://patchfleet.invalid:8080/v1/check-in", atProxy.get(0).target());
        assertEquals("Bearer s", atProxy.get(0).authorization());

        // When the server's host is in no-proxy, the client goes straight to it
        ProxySettings bypass = new ProxySettings(proxy, "", "localhost,127.0.0.1", Map.of());
        new ServerClient(server, Duration.ofSeconds(5), bypass, null).checkIn("s", request(), null);
        assertEquals(1, atServer.get());
        assertEquals(1, atProxy.size(), "the proxy saw nothing more");

        // And with the proxy taken from the environment (http_proxy) when no setting is made
        ProxySettings fromEnv = new ProxySettings("", "", "", Map.of("http_proxy", proxy));
        new ServerClient("http://patchfleet.invalid", Duration.ofSeconds(5), fromEnv, null).checkIn("s", request(), null);
        assertEquals("http://patchfleet.invalid/v1/check-in", atProxy.get(1).target());
    }

    @Test
    void aSilentServerTimesOutAndAbortEndsABlockedRequestAtOnce() throws Exception {
        // Given a server that accepts connections and never answers
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = new CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                    }
                } catch (IOException closed) {
                    // test over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            String base = "http://127.0.0.1:" + silent.getLocalPort();
            try {
                // When the read timeout passes, the check-in fails as timed out
                ServerClient quick = new ServerClient(base, Duration.ofSeconds(5), Duration.ofMillis(300), NO_PROXY, null);
                long t0 = System.nanoTime();
                assertThrows(SocketTimeoutException.class, () -> quick.checkIn("s", request(), null));
                assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(30), "ended by the read timeout");

                // When a request waits with the default 60 s timeout and the daemon stops (abort)
                ServerClient slow = new ServerClient(base, Duration.ofSeconds(5), NO_PROXY, null);
                int before = accepted.size();
                CompletableFuture<Object> pending = CompletableFuture.supplyAsync(() -> {
                    try {
                        return slow.checkIn("s", request(), null);
                    } catch (IOException e) {
                        return e;
                    }
                });
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (accepted.size() == before && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertTrue(accepted.size() > before, "the request reached the server");
                Thread.sleep(200); // the request is written; the client waits for the answer
                slow.abort();
                // Then the request ends long before its timeout, with an IOException
                Object result = pending.get(20, TimeUnit.SECONDS);
                assertTrue(result instanceof IOException, "ended with " + result);
                // and the aborted client makes no further request
                assertThrows(IOException.class, () -> slow.checkIn("s", request(), null));
            } finally {
                for (Socket s : accepted) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aServerCertificateFromCaCertsIsTrustedAndWithoutItRefused() throws Exception {
        // Given an HTTPS server whose certificate is self-signed (no public CA signed it)
        Path pem = dir.resolve("ca.pem");
        String base = httpsServer(pem);

        // When the client trusts the JDK's CA certificates only, the handshake is refused
        ServerClient jdkOnly = new ServerClient(base, Duration.ofSeconds(5), NO_PROXY, null);
        assertThrows(SSLException.class, () -> jdkOnly.checkIn("s", request(), null));

        // When the certificate is in ca-certs, the check-in goes through
        ServerClient withCa = new ServerClient(base, Duration.ofSeconds(5), NO_PROXY, pem);
        assertEquals("unsupported", withCa.checkIn("s", request(), null).response().kernelSupport());
    }

    @Test
    void anHttpsServerIsReachedThroughTheHttpsProxyWithATunnel() throws Exception {
        // Given an HTTPS server and a proxy that only tunnels (CONNECT), as https-proxy names
        Path pem = dir.resolve("ca.pem");
        String base = httpsServer(pem);
        List<String> tunnels = new CopyOnWriteArrayList<>();
        try (ServerSocket proxy = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> tunnel(proxy, tunnels));
            t.setDaemon(true);
            t.start();
            ProxySettings viaProxy = new ProxySettings("http://127.0.0.1:9", "127.0.0.1:" + proxy.getLocalPort(), "", Map.of());

            // When the client checks in
            ServerClient client = new ServerClient(base, Duration.ofSeconds(5), viaProxy, pem);
            assertEquals("unsupported", client.checkIn("s", request(), null).response().kernelSupport());

            // Then it went through a tunnel to the server (TLS end to end, the proxy sees no request)
            assertEquals(List.of("CONNECT " + base.substring("https://".length()) + " HTTP/1.1"), tunnels);
        }
    }

    /** A CONNECT-only proxy: one tunnel per connection, bytes copied both ways. */
    private static void tunnel(ServerSocket proxy, List<String> tunnels) {
        try {
            while (true) {
                Socket in = proxy.accept();
                InputStream from = in.getInputStream();
                StringBuilder head = new StringBuilder();
                int b;
                while ((b = from.read()) >= 0) {
                    head.append((char) b);
                    if (head.toString().endsWith("\r\n\r\n")) {
                        break;
                    }
                }
                String requestLine = head.substring(0, head.indexOf("\r\n"));
                tunnels.add(requestLine);
                String[] hostPort = requestLine.split(" ")[1].split(":");
                Socket out = new Socket(hostPort[0], Integer.parseInt(hostPort[1]));
                in.getOutputStream().write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                in.getOutputStream().flush();
                copy(from, out.getOutputStream(), out);
                copy(out.getInputStream(), in.getOutputStream(), in);
            }
        } catch (IOException closed) {
            // test over
        }
    }

    private static void copy(InputStream from, OutputStream to, Socket closeAtEnd) {
        Thread t = new Thread(() -> {
            try {
                from.transferTo(to);
            } catch (IOException e) {
                // the other side closed
            } finally {
                try {
                    closeAtEnd.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        });
        t.setDaemon(true);
        t.start();
    }

    /** An HTTPS server on loopback with a new self-signed certificate, written as PEM to {@code pem}; its base URL. */
    private String httpsServer(Path pem) throws Exception {
        Path keystore = dir.resolve("server.p12");
        keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "san=ip:127.0.0.1", "-validity", "2", "-keystore", keystore.toString(), "-storepass", "changeit",
                "-storetype", "PKCS12");
        keytool("-exportcert", "-rfc", "-alias", "server", "-keystore", keystore.toString(), "-storepass", "changeit", "-file",
                pem.toString());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        SSLContext serverTls = SSLContext.getInstance("TLS");
        serverTls.init(kmf.getKeyManagers(), null, null);
        HttpsServer https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        https.setHttpsConfigurator(new HttpsConfigurator(serverTls));
        https.createContext("/v1/check-in", x -> {
            try {
                reply(x, 200, ANSWER, Map.of());
            } finally {
                x.close();
            }
        });
        https.start();
        servers.add(https);
        return "https://127.0.0.1:" + https.getAddress().getPort();
    }

    @Test
    void aDownloadResumesWithARangeAndNeverWritesPastTheSignedLength() throws Exception {
        // Given a blob of 100 bytes, a server that supports ranges but sends 50 bytes too many
        byte[] blob = new byte[100];
        for (int i = 0; i < blob.length; i++) {
            blob[i] = (byte) i;
        }
        Sha256 sha = Sha256.digestOf(blob);
        Map<String, String> ranges = new ConcurrentHashMap<>();
        String base = serve("/v1/blobs/" + sha.hex(), x -> {
            String range = x.getRequestHeaders().getFirst("Range");
            byte[] tooMuch = new byte[150];
            System.arraycopy(blob, 0, tooMuch, 0, blob.length);
            if (range != null) {
                ranges.put("asked", range);
                int from = Integer.parseInt(range.substring("bytes=".length(), range.length() - 1));
                byte[] rest = java.util.Arrays.copyOfRange(tooMuch, from, tooMuch.length);
                x.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (blob.length - 1) + "/" + blob.length);
                x.sendResponseHeaders(206, rest.length);
                try (OutputStream out = x.getResponseBody()) {
                    out.write(rest);
                }
            } else {
                x.sendResponseHeaders(200, tooMuch.length);
                try (OutputStream out = x.getResponseBody()) {
                    out.write(tooMuch);
                }
            }
        });
        VerifiedTarget target = new VerifiedTarget("lkp_test_1.ko", blob.length, Map.of("sha256", sha.hex()), Optional.empty());
        ServerClient client = new ServerClient(base, Duration.ofSeconds(5), NO_PROXY, null);

        // When a download was cut after 40 bytes and is resumed
        Path part = dir.resolve("downloads/blob.part");
        Files.createDirectories(part.getParent());
        Files.write(part, java.util.Arrays.copyOf(blob, 40));
        client.download("s", target, part);

        // Then the client asked for the rest only and holds exactly the signed 100 bytes
        assertEquals("bytes=40-", ranges.get("asked"));
        assertArrayEquals(blob, Files.readAllBytes(part));

        // And a fresh download also stops at the signed length
        Path fresh = dir.resolve("downloads/fresh.part");
        client.download("s", target, fresh);
        assertArrayEquals(blob, Files.readAllBytes(fresh));
    }

    @Test
    void metadataIsReadUpToItsCapAndAMissingFileIsEmpty() throws Exception {
        String base = serve("/v1/metadata/", x -> {
            if (x.getRequestURI().getPath().endsWith("/2.root.json")) {
                reply(x, 404, "{\"error\":{\"code\":\"not-found\",\"message\":\"no such file\"}}", Map.of());
            } else {
                reply(x, 200, "{\"signed\":{}}", Map.of());
            }
        });
        ServerClient client = new ServerClient(base, Duration.ofSeconds(5), NO_PROXY, null);
        var source = client.metadata("s", Map.of());
        assertTrue(source.fetch("2.root.json", 1000).isEmpty());
        assertEquals("{\"signed\":{}}", new String(source.fetch("timestamp.json", 1000).orElseThrow().content(),
                StandardCharsets.UTF_8));
        assertThrows(IOException.class, () -> source.fetch("timestamp.json", 5), "longer than the verifier's cap");
    }

    // ------------------------------------------------------------------ helpers

    private interface Handler {
        void handle(HttpExchange x) throws IOException;
    }

    private String serve(String context, Handler handler) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext(context, x -> {
            try {
                handler.handle(x);
            } finally {
                x.close();
            }
        });
        s.start();
        servers.add(s);
        return "http://127.0.0.1:" + s.getAddress().getPort();
    }

    private static Seen seen(HttpExchange x) throws IOException {
        String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        var h = x.getRequestHeaders();
        return new Seen(x.getRequestMethod(), x.getRequestURI().toString(), h.getFirst("Authorization"),
                h.getFirst("If-None-Match"), h.getFirst("Content-Type"), body);
    }

    private static void reply(HttpExchange x, int status, String body, Map<String, String> headers) throws IOException {
        x.getRequestBody().readAllBytes();
        headers.forEach((k, v) -> x.getResponseHeaders().add(k, v));
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        if (body != null) {
            x.getResponseHeaders().add("Content-Type", "application/json");
        }
        x.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = x.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private static CheckInRequest request() {
        return new CheckInRequest("0123456789abcdef0123456789abcdef", new WireKernel("6.1.0-56-amd64", "x86_64", "", ""),
                "nothing-applied", 0, "test", "2026-11-26T00:00:00Z", 60, List.of(), Map.of(), 0);
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "keytool finished");
        assertEquals(0, p.exitValue(), "keytool " + String.join(" ", args) + ": " + out);
    }
}
