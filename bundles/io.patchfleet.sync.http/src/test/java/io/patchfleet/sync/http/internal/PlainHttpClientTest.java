package io.patchfleet.sync.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

/**
 * The client of a plain-HTTP upstream gets a TLS context of its own instead of the JDK's default
 * (which loads every CA certificate at the start of the first sync); it must trust no one.
 */
class PlainHttpClientTest {
    @Test
    void thePlainHttpContextTrustsNoServerAndNoClient() throws Exception {
        assertThrows(CertificateException.class, () -> HttpSync.TRUSTS_NO_ONE.checkServerTrusted(new X509Certificate[0], "RSA"));
        assertThrows(CertificateException.class, () -> HttpSync.TRUSTS_NO_ONE.checkClientTrusted(new X509Certificate[0], "RSA"));
        assertEquals(0, HttpSync.TRUSTS_NO_ONE.getAcceptedIssuers().length);
    }

    @Test
    void itIsNotTheDefaultContext() throws Exception {
        SSLContext ctx = HttpSync.PLAIN_HTTP_ONLY.get();
        assertNotSame(SSLContext.getDefault(), ctx);
        assertEquals("TLS", ctx.getProtocol());
    }
}
