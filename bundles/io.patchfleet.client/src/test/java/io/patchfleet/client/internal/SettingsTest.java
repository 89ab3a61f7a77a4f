package io.patchfleet.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Proxy;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configuration keys and values, the proxy selector, the backoff, and the run mode. */
class SettingsTest {

    @Test
    void canonicalKeysMapToPropertiesAndBadValuesAreRefusedByName() {
        assertEquals(Map.of("remote.server", "https://pf.example:8443", "check.interval", "0", "kernel.target",
                "(kernel=simulated)"), Settings.checkAll(Map.of("remote-server", "https://pf.example:8443",
                        "check-interval", "0", "kernel", "(kernel=simulated)")));
        assertEquals("", Settings.check(Settings.key("http-proxy"), ""), "key= clears");
        assertEquals("debug", Settings.check(Settings.key("log-level"), "DEBUG"));
        for (String[] bad : new String[][] {{"remote-server", "ftp://x"}, {"check-interval", "-1"}, {"check-interval", "ten"},
                {"dial-timeout", "0s"}, {"dial-timeout", "forever"}, {"patch-delay", "3 days"}, {"cutoff-date", "yesterday"},
                {"log-level", "loud"}, {"kernel", "(kernel=linux"}, {"no-proxy", "a b"}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Settings.check(Settings.key(bad[0]), bad[1]), bad[0] + "=" + bad[1]);
            assertTrue(e.getMessage().startsWith(bad[0] + ": "), e.getMessage());
        }
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> Settings.key("color"));
        assertTrue(unknown.getMessage().contains("remote-server"), unknown.getMessage());
    }

    @Test
    void durationsAndTimesReadAsCanonicalWritesThem() {
        assertEquals(Duration.ofSeconds(12), Settings.duration("12s"));
        assertEquals(Duration.ofMinutes(90), Settings.duration("1h30m"));
        assertEquals(Duration.ofDays(7), Settings.duration("7d"));
        assertEquals(Duration.ofSeconds(30), Settings.duration("30"));
        assertEquals(Instant.parse("2026-01-31T00:00:00Z"), Settings.instant("2026-01-31"));
        assertEquals(Instant.parse("2026-01-30T22:00:00Z"), Settings.instant("2026-01-31T00:00:00+02:00"));
    }

    @Test
    void proxiesComeFromSettingsOrTheEnvironmentAndNoProxyWins() {
        ProxySettings fromConfig = new ProxySettings("http://proxy:3128", "", "localhost,.internal.example",
                Map.of("https_proxy", "http://envproxy:8080", "no_proxy", "ignored.example"));
        assertEquals(List.of(Proxy.NO_PROXY), fromConfig.select(URI.create("http://localhost:8080/v1")));
        assertEquals(List.of(Proxy.NO_PROXY), fromConfig.select(URI.create("http://pf.internal.example/v1")));
        assertEquals("proxy:3128", address(fromConfig, URI.create("http://pf.example/v1")));
        assertEquals("envproxy:8080", address(fromConfig, URI.create("https://pf.example/v1")),
                "https from the environment when not configured");
        assertEquals("proxy:3128", address(fromConfig, URI.create("http://ignored.example/")),
                "a configured no-proxy replaces the environment's");

        ProxySettings none = new ProxySettings("", "", "", Map.of());
        assertEquals(List.of(Proxy.NO_PROXY), none.select(URI.create("https://pf.example/")));
        ProxySettings all = new ProxySettings("", "", "", Map.of("HTTP_PROXY", "proxy:80", "NO_PROXY", "*"));
        assertEquals(List.of(Proxy.NO_PROXY), all.select(URI.create("http://pf.example/")));
    }

    @Test
    void backoffDoublesWithJitterUpToTheCap() {
        Backoff b = new Backoff(Duration.ofSeconds(30), Duration.ofMinutes(10));
        assertEquals(Duration.ofSeconds(15), b.delay(1, () -> 0.0));
        assertEquals(Duration.ofSeconds(60), b.delay(3, () -> 0.0));
        assertTrue(b.delay(3, () -> 0.999).compareTo(Duration.ofSeconds(119)) > 0, "up to the whole step");
        assertTrue(b.delay(60, () -> 0.0).equals(Duration.ofMinutes(5)), "half the cap at least");
        for (int n = 1; n < 100; n++) {
            Duration d = b.delay(n, Math::random);
            assertTrue(d.compareTo(Duration.ofMinutes(10)) <= 0 && !d.isNegative(), n + " -> " + d);
        }
    }

    @Test
    void theRunModeComesFromTheKernelCommandLineThenTheFile(@TempDir Path dir) throws Exception {
        Path cmdline = dir.resolve("cmdline");
        Path file = dir.resolve("run-mode");
        assertEquals(RunMode.NORMAL, RunMode.read(cmdline, file));
        Files.writeString(file, "no-apply\n");
        assertEquals(RunMode.NO_APPLY, RunMode.read(cmdline, file));
        Files.writeString(cmdline, "BOOT_IMAGE=/vmlinuz ro quiet patchfleet.mode=no-refresh\n");
        assertEquals(RunMode.NO_REFRESH, RunMode.read(cmdline, file));
        Files.writeString(cmdline, "patchfleet.mode=bogus");
        assertEquals(RunMode.STOP, RunMode.read(cmdline, file), "an unknown mode fails safe");
    }

    @Test
    void theConfigFileKeepsCommentsAndOtherKeys(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("io.patchfleet.client.cfg");
        Files.writeString(cfg, "# comment\nremote.server = http://a:1\ncheck.interval = 60\n");
        ConfigFile.update(cfg, Map.of("check.interval", "", "kernel.target", "(kernel=simulated)"));
        String text = Files.readString(cfg);
        assertTrue(text.startsWith("# comment\nremote.server = http://a:1\n"), text);
        assertEquals(Map.of("remote.server", "http://a:1", "kernel.target", "(kernel=simulated)"), ConfigFile.read(cfg));
    }

    private static String address(ProxySettings p, URI uri) {
        java.net.InetSocketAddress a = (java.net.InetSocketAddress) p.select(uri).get(0).address();
        return a.getHostString() + ":" + a.getPort();
    }
}
