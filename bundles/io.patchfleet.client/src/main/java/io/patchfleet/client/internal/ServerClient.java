package io.patchfleet.client.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.net.URLConnection;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

import io.patchfleet.protocol.CheckInRequest;
import io.patchfleet.protocol.CheckInResponse;
import io.patchfleet.protocol.EnrollRequest;
import io.patchfleet.protocol.EnrollResponse;
import io.patchfleet.trust.api.MetadataFile;
import io.patchfleet.trust.api.MetadataSource;
import io.patchfleet.trust.api.VerifiedTarget;

/**
 * The client's side of the protocol (DESIGN.md §5) over the JDK's {@link HttpURLConnection}: a
 * connect timeout ({@code dial-timeout}), a read timeout on every request, the proxy from
 * {@link ProxySettings}, and TLS with the JDK's CA certificates plus the operator's
 * ({@code ca-certs}).
 *
 * <p>Why {@code HttpURLConnection} and not {@code java.net.http}: the client makes one small
 * request an hour, one at a time. The JDK's {@code java.net.http} client loaded ~300 classes for
 * it (kept in memory for the daemon's life), ran a selector thread and a worker pool, and built a
 * TLS context even for a plain-HTTP server; {@code HttpURLConnection} is in {@code java.base},
 * much of it loaded by the JDK anyway, uses the calling thread, and sets TLS up only for an
 * {@code https://} URL (BENCHMARKS.md, "Client footprint"). Everything the client needs is
 * there: connect and read timeouts, an explicit proxy per connection, a socket factory per
 * connection for extra CA certificates, request headers (ETag, Range), streaming bodies.
 *
 * <p>Differences kept on purpose: the timeout is a read timeout (the longest wait for the next
 * bytes, 60 s), not a deadline for the whole exchange — a slow but moving download of a large
 * module is not cut off, a silent server is. A POST is never re-sent by the JDK on its own (its
 * default re-sends a POST once when reading the answer fails, and a check-in carries events: it is
 * retried by the agent's backoff, never silently): {@code sun.net.http.retryPost=false}, set by
 * {@code bin/patchfleet} for the client and here when unset. Fixed-length streaming would also
 * prevent the re-send, but it throws away the body of a 401 answer, which says why the server
 * refused the machine ("This machine is no longer enrolled"). Redirects are never followed. A blocked request cannot be interrupted, so {@link #abort()}
 * closes the connections in flight (the daemon calls it when it stops).
 */
final class ServerClient {
    static {
        // Read once, when the JDK's HTTP classes are first used: before the first request of this class.
        if (System.getProperty("sun.net.http.retryPost") == null) {
            System.setProperty("sun.net.http.retryPost", "false");
        }
    }

    /** The longest wait for the next bytes of an answer. */
    static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

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

    private final String base;
    private final int dialMillis;
    private final int readMillis;
    private final ProxySettings proxy;
    /** TLS with the operator's CA certificates; null: the JDK's default (set up only if an https:// URL is used). */
    private final SSLSocketFactory tls;
    private final Set<HttpURLConnection> inFlight = ConcurrentHashMap.newKeySet();
    private volatile boolean aborted;

    ServerClient(String base, Duration dialTimeout, ProxySettings proxy, Path caCerts)
            throws IOException, GeneralSecurityException {
        this(base, dialTimeout, READ_TIMEOUT, proxy, caCerts);
    }

    ServerClient(String base, Duration dialTimeout, Duration readTimeout, ProxySettings proxy, Path caCerts)
            throws IOException, GeneralSecurityException {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        String scheme = URI.create(this.base).getScheme();
        if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme)) {
            throw new IllegalArgumentException("the server URL must be http:// or https://: " + base);
        }
        this.dialMillis = millis(dialTimeout);
        this.readMillis = millis(readTimeout);
        this.proxy = proxy;
        this.tls = caCerts == null ? null : sslContext(caCerts).getSocketFactory();
    }

    /** A timeout in milliseconds for URLConnection, where 0 means "forever": at least 1 ms. */
    private static int millis(Duration d) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, d.toMillis()));
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
        HttpURLConnection c = open("/v1/enroll", "POST", null);
        try {
            int status = post(c, request);
            byte[] body = readBody(c, status);
            expect(status, body, 200);
            return JsonFiles.MAPPER.readValue(body, EnrollResponse.class);
        } finally {
            done(c);
        }
    }

    CheckIn checkIn(String credential, CheckInRequest request, String etag) throws IOException {
        HttpURLConnection c = open("/v1/check-in", "POST", credential);
        try {
            if (etag != null) {
                c.setRequestProperty("If-None-Match", etag);
            }
            int status = post(c, request);
            byte[] body = readBody(c, status);
            if (status == 304) {
                return new CheckIn(true, null, etag);
            }
            expect(status, body, 200);
            return new CheckIn(false, JsonFiles.MAPPER.readValue(body, CheckInResponse.class), c.getHeaderField("ETag"));
        } finally {
            done(c);
        }
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
            HttpURLConnection c = open("/v1/metadata/" + fileName, "GET", credential);
            try {
                int status = c.getResponseCode();
                if (status == 404) {
                    readBody(c, status);
                    return Optional.empty();
                }
                if (status != 200) {
                    readBody(c, status);
                    throw new ServerException(status, "GET /v1/metadata/" + fileName + ": HTTP " + status);
                }
                byte[] bytes;
                try (InputStream in = c.getInputStream()) {
                    bytes = in.readNBytes((int) Math.min(maxLength + 1, Integer.MAX_VALUE - 8));
                }
                if (bytes.length > maxLength) {
                    throw new IOException(fileName + " is longer than " + maxLength + " bytes");
                }
                return Optional.of(new MetadataFile(fileName, bytes));
            } finally {
                done(c);
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
        String path = "/v1/blobs/" + target.sha256().hex();
        HttpURLConnection c = open(path, "GET", credential);
        try {
            if (have > 0) {
                c.setRequestProperty("Range", "bytes=" + have + "-");
            }
            int status = c.getResponseCode();
            boolean append;
            String range = c.getHeaderField("Content-Range");
            if (status == 206 && range != null && range.startsWith("bytes " + have + "-")) {
                append = true;
            } else if (status == 200) {
                append = false;
                have = 0;
            } else {
                readBody(c, status);
                throw new ServerException(status, "GET " + path + ": HTTP " + status);
            }
            try (InputStream in = c.getInputStream();
                    OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                            append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                long remaining = target.length() - have;
                byte[] buf = new byte[64 * 1024];
                int n;
                while (remaining > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, remaining))) > 0) {
                    out.write(buf, 0, n);
                    remaining -= n;
                }
            }
        } finally {
            done(c);
        }
    }

    /**
     * Closes the connections in flight, so that a request blocked on the network ends at once
     * (with an IOException) instead of at its timeout; later requests fail. For the daemon's stop.
     */
    void abort() {
        aborted = true;
        for (HttpURLConnection c : inFlight) {
            c.disconnect();
        }
    }

    private HttpURLConnection open(String path, String method, String credential) throws IOException {
        if (aborted) {
            throw new IOException("the client is stopping");
        }
        URI uri = URI.create(base + path);
        List<Proxy> proxies = proxy.select(uri);
        URLConnection u = uri.toURL().openConnection(proxies.isEmpty() ? Proxy.NO_PROXY : proxies.get(0));
        if (!(u instanceof HttpURLConnection c)) {
            throw new IOException("not an HTTP URL: " + uri);
        }
        c.setInstanceFollowRedirects(false);
        c.setUseCaches(false);
        c.setConnectTimeout(dialMillis);
        c.setReadTimeout(readMillis);
        c.setRequestMethod(method);
        c.setRequestProperty("Accept", "application/json");
        if (tls != null && c instanceof HttpsURLConnection https) {
            https.setSSLSocketFactory(tls);
        }
        if (credential != null) {
            c.setRequestProperty("Authorization", "Bearer " + credential);
        }
        inFlight.add(c);
        if (aborted) {
            c.disconnect();
            throw new IOException("the client is stopping");
        }
        return c;
    }

    private void done(HttpURLConnection c) {
        inFlight.remove(c);
    }

    /** Sends a JSON body and returns the status. */
    private static int post(HttpURLConnection c, Object body) throws IOException {
        byte[] bytes = JsonFiles.COMPACT.writeValueAsBytes(body);
        c.setDoOutput(true);
        c.setRequestProperty("Content-Type", "application/json");
        try (OutputStream out = c.getOutputStream()) {
            out.write(bytes);
        }
        return c.getResponseCode();
    }

    /**
     * The whole answer body (the error body for an error status; empty when there is none). Read
     * to its end and closed, so that the connection can be kept for the next request.
     */
    private static byte[] readBody(HttpURLConnection c, int status) throws IOException {
        InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
        if (in == null) {
            return new byte[0];
        }
        try (in) {
            return in.readAllBytes();
        }
    }

    private static void expect(int status, byte[] body, int expected) throws ServerException {
        if (status != expected) {
            String message = "HTTP " + status;
            try {
                Map<?, ?> json = JsonFiles.MAPPER.readValue(body, Map.class);
                if (json.get("error") instanceof Map<?, ?> e) {
                    message = e.get("code") + ": " + e.get("message");
                }
            } catch (IOException | RuntimeException ignored) {
                // not JSON
            }
            throw new ServerException(status, message);
        }
    }
}
