package io.patchfleet.client.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import io.patchfleet.protocol.CheckInRequest;
import io.patchfleet.protocol.CheckInResponse;
import io.patchfleet.protocol.EnrollRequest;
import io.patchfleet.protocol.EnrollResponse;
import io.patchfleet.trust.api.MetadataFile;
import io.patchfleet.trust.api.MetadataSource;
import io.patchfleet.trust.api.VerifiedTarget;

/**
 * The client's side of the protocol (DESIGN.md §5) over {@code java.net.http}: a connect
 * timeout ({@code dial-timeout}), a timeout on every request, the proxy selector, and TLS with
 * the JDK's CA certificates plus the operator's ({@code ca-certs}).
 */
final class ServerClient {
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    static final Duration DOWNLOAD_TIMEOUT = Duration.ofMinutes(10);

    /** The server answered with an error status. */
    static final class ServerException extends IOException {
        private static final long serialVersionUID = 1L;
        final int status;

        ServerException(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /** A check-in answer; {@code notModified} when the server answered 304 to our ETag. */
    record CheckIn(boolean notModified, CheckInResponse response, String etag) {}

    /**
     * The HTTP client's worker threads: as the JDK's default (a cached pool), but idle workers
     * end after 2 s instead of 60 s, so an idle daemon between hourly check-ins keeps none
     * (and a replaced client's pool ends by itself).
     */
    private final java.util.concurrent.ExecutorService workers = new java.util.concurrent.ThreadPoolExecutor(0,
            Integer.MAX_VALUE, 2, java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.SynchronousQueue<>(), r -> {
                Thread t = new Thread(r, "patchfleet-http");
                t.setDaemon(true);
                return t;
            });

    private final HttpClient http;
    private final String base;

    ServerClient(String base, Duration dialTimeout, ProxySettings proxy, Path caCerts)
            throws IOException, GeneralSecurityException {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(dialTimeout).proxy(proxy)
                .followRedirects(HttpClient.Redirect.NEVER).executor(workers);
        if (caCerts != null) {
            b.sslContext(sslContext(caCerts));
        } else if (this.base.startsWith("http://")) {
            // A plain-HTTP server: no TLS is ever used (redirects are not followed, and an HTTP
            // proxy forwards plain requests), yet the JDK's client sets up a TLS context when it
            // is built: its default one loads and parses the whole CA store (a tenth of the first
            // check-in's CPU), and any JSSE context loads the TLS and elliptic-curve providers
            // (~250 classes the daemon then keeps in memory). A context that cannot make a TLS
            // connection at all stands in: were TLS ever attempted, it would fail, never trust.
            // HTTP/1.1, the server's protocol, so that no HTTP/2 upgrade is offered either.
            b.sslContext(NoTls.context()).version(HttpClient.Version.HTTP_1_1);
        }
        this.http = b.build();
    }

    /** TLS trusting the JDK's default CA certificates and every certificate in a PEM file. */
    static SSLContext sslContext(Path pem) throws IOException, GeneralSecurityException {
        Collection<? extends Certificate> extra;
        try (InputStream in = Files.newInputStream(pem)) {
            extra = CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
        if (extra.isEmpty()) {
            throw new GeneralSecurityException("ca-certs: " + pem + " holds no PEM certificate");
        }
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        TrustManagerFactory defaults = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        defaults.init((KeyStore) null);
        int i = 0;
        for (var tm : defaults.getTrustManagers()) {
            if (tm instanceof javax.net.ssl.X509TrustManager x) {
                for (X509Certificate c : x.getAcceptedIssuers()) {
                    store.setCertificateEntry("jdk-" + i++, c);
                }
            }
        }
        for (Certificate c : extra) {
            store.setCertificateEntry("extra-" + i++, c);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    EnrollResponse enroll(EnrollRequest request) throws IOException {
        HttpResponse<byte[]> r = send(post("/v1/enroll", null, request).build());
        expect(r, 200);
        return JsonFiles.MAPPER.readValue(r.body(), EnrollResponse.class);
    }

    CheckIn checkIn(String credential, CheckInRequest request, String etag) throws IOException {
        HttpRequest.Builder b = post("/v1/check-in", credential, request);
        if (etag != null) {
            b.header("If-None-Match", etag);
        }
        HttpResponse<byte[]> r = send(b.build());
        String newEtag = r.headers().firstValue("etag").orElse(null);
        if (r.statusCode() == 304) {
            return new CheckIn(true, null, etag);
        }
        expect(r, 200);
        return new CheckIn(false, JsonFiles.MAPPER.readValue(r.body(), CheckInResponse.class), newEtag);
    }

    /**
     * Publisher metadata: files the check-in answer carried inline first, then
     * {@code GET /v1/metadata/{file}}, read no further than the cap the verifier gives.
     */
    MetadataSource metadata(String credential, Map<String, String> inline) {
        return (fileName, maxLength) -> {
            String carried = inline.get(fileName);
            if (carried != null) {
                byte[] bytes = carried.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                if (bytes.length > maxLength) {
                    throw new IOException(fileName + " is longer than " + maxLength + " bytes");
                }
                return Optional.of(new MetadataFile(fileName, bytes));
            }
            HttpResponse<InputStream> r = sendStream(HttpRequest.newBuilder(URI.create(base + "/v1/metadata/" + fileName))
                    .timeout(REQUEST_TIMEOUT).header("Authorization", "Bearer " + credential).GET().build());
            try (InputStream in = r.body()) {
                if (r.statusCode() == 404) {
                    return Optional.empty();
                }
                if (r.statusCode() != 200) {
                    throw new ServerException(r.statusCode(), "GET /v1/metadata/" + fileName + ": HTTP " + r.statusCode());
                }
                byte[] bytes = in.readNBytes((int) Math.min(maxLength + 1, Integer.MAX_VALUE - 8));
                if (bytes.length > maxLength) {
                    throw new IOException(fileName + " is longer than " + maxLength + " bytes");
                }
                return Optional.of(new MetadataFile(fileName, bytes));
            }
        };
    }

    /**
     * Downloads a target into {@code part}, resuming after what it already holds with a
     * {@code Range} request, and never past the target's signed length. The caller verifies
     * the whole file before using it.
     */
    void download(String credential, VerifiedTarget target, Path part) throws IOException {
        Files.createDirectories(part.getParent());
        long have = Files.isRegularFile(part) ? Files.size(part) : 0;
        if (have >= target.length()) {
            if (have == target.length()) {
                return;
            }
            Files.delete(part);
            have = 0;
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/v1/blobs/" + target.sha256().hex()))
                .timeout(DOWNLOAD_TIMEOUT).header("Authorization", "Bearer " + credential).GET();
        if (have > 0) {
            b.header("Range", "bytes=" + have + "-");
        }
        HttpResponse<InputStream> r = sendStream(b.build());
        try (InputStream in = r.body()) {
            boolean append;
            if (r.statusCode() == 206 && r.headers().firstValue("content-range").orElse("").startsWith("bytes " + have + "-")) {
                append = true;
            } else if (r.statusCode() == 200) {
                append = false;
                have = 0;
            } else {
                throw new ServerException(r.statusCode(), "GET /v1/blobs/" + target.sha256().hex() + ": HTTP " + r.statusCode());
            }
            try (OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                long remaining = target.length() - have;
                byte[] buf = new byte[64 * 1024];
                int n;
                while (remaining > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, remaining))) > 0) {
                    out.write(buf, 0, n);
                    remaining -= n;
                }
            }
        }
    }

    private HttpRequest.Builder post(String path, String credential, Object body) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JsonFiles.MAPPER.writeValueAsBytes(body)));
        if (credential != null) {
            b.header("Authorization", "Bearer " + credential);
        }
        return b;
    }

    private HttpResponse<byte[]> send(HttpRequest request) throws IOException {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private HttpResponse<InputStream> sendStream(HttpRequest request) throws IOException {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static void expect(HttpResponse<byte[]> r, int status) throws ServerException {
        if (r.statusCode() != status) {
            String message = "HTTP " + r.statusCode();
            try {
                Map<?, ?> body = JsonFiles.MAPPER.readValue(r.body(), Map.class);
                if (body.get("error") instanceof Map<?, ?> e) {
                    message = e.get("code") + ": " + e.get("message");
                }
            } catch (IOException | RuntimeException ignored) {
                // not JSON
            }
            throw new ServerException(r.statusCode(), message);
        }
    }

    /**
     * A TLS context for a client that talks plain HTTP only: every attempt to open a TLS
     * connection fails with {@link UnsupportedOperationException}. It loads no JSSE provider.
     */
    static final class NoTls extends javax.net.ssl.SSLContextSpi {
        private static final String NO_TLS = "TLS is not set up: the server is a plain-HTTP (http://) URL";

        static SSLContext context() {
            return new SSLContext(new NoTls(), null, "none") {};
        }

        @Override
        protected void engineInit(javax.net.ssl.KeyManager[] km, javax.net.ssl.TrustManager[] tm, java.security.SecureRandom sr) {
            // nothing to set up
        }

        @Override
        protected javax.net.ssl.SSLSocketFactory engineGetSocketFactory() {
            throw new UnsupportedOperationException(NO_TLS);
        }

        @Override
        protected javax.net.ssl.SSLServerSocketFactory engineGetServerSocketFactory() {
            throw new UnsupportedOperationException(NO_TLS);
        }

        @Override
        protected javax.net.ssl.SSLEngine engineCreateSSLEngine() {
            throw new UnsupportedOperationException(NO_TLS);
        }

        @Override
        protected javax.net.ssl.SSLEngine engineCreateSSLEngine(String host, int port) {
            throw new UnsupportedOperationException(NO_TLS);
        }

        @Override
        protected javax.net.ssl.SSLSessionContext engineGetServerSessionContext() {
            throw new UnsupportedOperationException(NO_TLS);
        }

        @Override
        protected javax.net.ssl.SSLSessionContext engineGetClientSessionContext() {
            throw new UnsupportedOperationException(NO_TLS);
        }

        @Override
        protected javax.net.ssl.SSLParameters engineGetDefaultSSLParameters() {
            return new javax.net.ssl.SSLParameters(new String[0], new String[0]);
        }

        @Override
        protected javax.net.ssl.SSLParameters engineGetSupportedSSLParameters() {
            return new javax.net.ssl.SSLParameters(new String[0], new String[0]);
        }
    }
}
