package io.patchfleet.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.Test;

/** The TLS context a plain-HTTP client gets: it can never open a TLS connection, so never trusts one. */
class NoTlsTest {

    @Test
    void everyTlsUseFails() {
        SSLContext none = ServerClient.NoTls.context();
        assertThrows(UnsupportedOperationException.class, none::createSSLEngine);
        assertThrows(UnsupportedOperationException.class, () -> none.createSSLEngine("example.org", 443));
        assertThrows(UnsupportedOperationException.class, none::getSocketFactory);
        assertEquals(0, none.getDefaultSSLParameters().getProtocols().length, "no TLS protocol offered");
        assertEquals(0, none.getSupportedSSLParameters().getCipherSuites().length, "no cipher suite offered");
    }

    @Test
    void anHttpsRequestThroughItIsRefusedBeforeAnyHandshake() throws Exception {
        // given the JDK's HTTP client built with it, as ServerClient does for an http:// server,
        // and something listening on loopback
        HttpClient http = HttpClient.newBuilder().sslContext(ServerClient.NoTls.context()).build();
        try (ServerSocket listening = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            // when an https:// URL is asked for (a redirect or a misconfiguration)
            HttpRequest request = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + listening.getLocalPort() + "/"))
                    .timeout(Duration.ofSeconds(20)).build();
            Exception e = assertThrows(Exception.class, () -> http.send(request, HttpResponse.BodyHandlers.discarding()));
            // then it fails because the context cannot make TLS, not for any other reason
            boolean noTls = false;
            for (Throwable t = e; t != null; t = t.getCause()) {
                noTls |= t instanceof UnsupportedOperationException;
            }
            assertTrue(noTls, "failed for another reason: " + e);
        }
    }
}
