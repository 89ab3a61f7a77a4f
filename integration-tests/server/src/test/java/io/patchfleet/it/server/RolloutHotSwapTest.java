package io.patchfleet.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.common.service.ServiceAware;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Sha256;
import io.patchfleet.model.TierName;
import io.patchfleet.store.api.EnrollmentStore;
import io.patchfleet.store.api.PatchCatalog;
import io.patchfleet.store.api.TierStore;

/**
 * DESIGN §4: rollout policies change at run time without failing or stalling a check-in. 50
 * machines check in over the real HTTP port, concurrently and without pause, while the test adds,
 * removes, reorders and reconfigures the built-in policies through Configuration Admin 20 times.
 * Every check-in must answer 200 within 15 s (a stall: on this shared 2-core machine 50 clients
 * without pause already see latencies of a second or more, so the bound is set to catch a
 * check-in waiting on a swap, not a busy machine), and every answer must come from one whole chain of
 * whole configurations: each maintenance window configuration changes its name ("gen-N") and its
 * opening minute (N) together, so a decision from a half-applied configuration would pair a name
 * with another generation's minute.
 */
class RolloutHotSwapTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final KernelId KERNEL = KernelId.of("6.1.0-76-amd64", "x86_64", "");
    private static final int MACHINES = 50;
    private static final Pattern WINDOW = Pattern.compile(
            "held: maintenance window gen-(\\d+) opens 2028-02-29 02:(\\d\\d) UTC");
    private static final String NO_METADATA = "patch 1 awaits its publisher metadata on this server";
    private static final String PINNED_AWAY = "held: pinned to patch 7 (hs-pin), which is not available to tier ";

    @InjectService(timeout = 20_000)
    ConfigurationAdmin configAdmin;

    @InjectService(timeout = 20_000)
    PatchCatalog catalog;

    @InjectService(timeout = 20_000)
    TierStore tiers;

    @InjectService(timeout = 20_000)
    EnrollmentStore enrollment;

    @InjectService(timeout = 20_000)
    ServiceAware<HttpServiceRuntime> runtime;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String base;

    @Test
    void twentySwapsUnderFiftyConcurrentCheckInClients() throws Exception {
        Object endpoint = runtime.getServiceReference().getProperty("osgi.http.endpoint");
        String url = endpoint instanceof String[] a ? a[0] : String.valueOf(endpoint);
        base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;

        // Given a tier of its own with one release for its kernel (no publisher metadata: an
        // offer answers "awaits its publisher metadata", a hold answers with the hold's reason).
        String tierName = "hotswap" + Long.toString(System.nanoTime() % 100000);
        TierName tier = TierName.of(tierName);
        tiers.create(tier, tiers.tiers().size());
        catalog.add(new PatchRelease(KERNEL, 1, "lkp_hs_1", "6.1.0-76-amd64/x86_64/lkp_hs_1.ko",
                Sha256.digestOf(new byte[] {7}), 100, List.of(), "hot swap test", Instant.now(), 0, false));
        catalog.promote(KERNEL, 1, tier);
        String token = enrollment.createToken(tier, Instant.now().plusSeconds(600), MACHINES, "hot swap", "it").secret();
        List<String[]> machines = new ArrayList<>();
        for (int i = 0; i < MACHINES; i++) {
            String id = String.format("%032x", 0x5eed0000L + i);
            HttpResponse<String> r = post("/v1/enroll", null, Map.of("token", token, "machineId", id,
                    "kernel", kernelJson(), "tags", List.of()));
            assertEquals(200, r.statusCode(), r.body());
            machines.add(new String[] {id, (String) JSON.readValue(r.body(), Map.class).get("credential")});
        }
        assertEquals(NO_METADATA, reason(machines.get(0)), "only the tier policy: the release is offered");

        // When 50 clients check in without pause while the policies change 20 times.
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong checkIns = new AtomicLong();
        List<String> failures = new CopyOnWriteArrayList<>();
        Set<String> reasons = ConcurrentHashMap.newKeySet();
        List<Long> latencies = new CopyOnWriteArrayList<>();
        ExecutorService clients = Executors.newFixedThreadPool(MACHINES);
        List<Future<?>> futures = new ArrayList<>();
        for (String[] m : machines) {
            futures.add(clients.submit(() -> {
                while (running.get()) {
                    long start = System.nanoTime();
                    try {
                        HttpResponse<String> r = post("/v1/check-in", m[1], checkIn(m[0]));
                        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                        if (r.statusCode() != 200) {
                            failures.add(r.statusCode() + " " + r.body());
                        } else if (millis > 15_000) {
                            failures.add("stalled " + millis + " ms");
                        } else {
                            String reason = String.valueOf(JSON.readValue(r.body(), Map.class).get("reason"));
                            reasons.add(reason);
                            String bad = invalid(reason, tierName);
                            if (bad != null) {
                                failures.add(bad);
                            }
                        }
                        latencies.add(millis);
                        checkIns.incrementAndGet();
                    } catch (Exception e) {
                        failures.add(e.toString());
                    }
                }
            }));
        }
        Map<String, Configuration> configs = new LinkedHashMap<>();
        try {
            long before = checkIns.get();
            for (int swap = 0; swap < 20; swap++) {
                swap(swap, configs, tierName);
                // Let check-ins flow between swaps (bounded wait: at least 50 more answers or 2 s).
                long mark = checkIns.get();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                while (checkIns.get() < mark + MACHINES && System.nanoTime() < deadline) {
                    TimeUnit.MILLISECONDS.sleep(10);
                }
            }
            assertTrue(checkIns.get() - before >= 20 * MACHINES / 2, "check-ins flowed during the swaps: " + (checkIns.get() - before));
        } finally {
            running.set(false);
            clients.shutdown();
            assertTrue(clients.awaitTermination(30, TimeUnit.SECONDS), "clients stopped");
            for (Configuration c : configs.values()) {
                c.delete();
            }
        }
        for (Future<?> f : futures) {
            f.get(1, TimeUnit.SECONDS);
        }

        List<Long> sorted = latencies.stream().sorted().toList();
        System.out.println("Rollout hot swap: " + checkIns.get() + " check-ins by " + MACHINES + " clients during 20 swaps, "
                + failures.size() + " failed, " + reasons.size() + " distinct answers; latency ms p50 "
                + (sorted.isEmpty() ? "-" : sorted.get(sorted.size() / 2)) + ", p99 "
                + (sorted.isEmpty() ? "-" : sorted.get(sorted.size() * 99 / 100)) + ", max "
                + (sorted.isEmpty() ? "-" : sorted.get(sorted.size() - 1)));
        // Then nothing failed or stalled, every answer was whole, and swaps took effect under load.
        assertEquals(List.of(), failures.subList(0, Math.min(10, failures.size())), failures.size() + " failed check-ins of " + checkIns.get());
        long generations = reasons.stream().map(WINDOW::matcher).filter(Matcher::matches).map(m -> m.group(1)).distinct().count();
        assertTrue(generations >= 4, "answers came from several window configurations: " + reasons);
        assertTrue(reasons.contains(PINNED_AWAY + tierName + " for this kernel"), "the pin took part: " + reasons);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!reason(machines.get(0)).equals(NO_METADATA)) {
            assertTrue(System.nanoTime() < deadline, "with every policy configuration deleted, the tier policy alone decides");
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    /** Null when {@code reason} is one a whole chain can give; else what is wrong with it. */
    private static String invalid(String reason, String tier) {
        if (reason.equals(NO_METADATA) || reason.equals(PINNED_AWAY + tier + " for this kernel")) {
            return null;
        }
        Matcher m = WINDOW.matcher(reason);
        if (m.matches()) {
            return Integer.parseInt(m.group(1)) % 60 == Integer.parseInt(m.group(2)) ? null
                    : "half-configured window: " + reason;
        }
        return "unexpected answer: " + reason;
    }

    /** One change of the chain: add, reconfigure, reorder or remove a policy. */
    private void swap(int n, Map<String, Configuration> configs, String tier) throws Exception {
        switch (n % 10) {
            case 0 -> put(configs, "window-a", "io.patchfleet.rollout.window", window(n, 30, tier)); // add (or re-add)
            case 1 -> put(configs, "waves", "io.patchfleet.rollout.waves", props(tier, 20, "steps", new String[] {"0=100"}));
            case 2 -> put(configs, "window-a", "io.patchfleet.rollout.window", window(n, 30, tier)); // reconfigure
            case 3 -> put(configs, "window-b", "io.patchfleet.rollout.window", window(n, 40, tier)); // add a second
            case 4 -> put(configs, "window-a", "io.patchfleet.rollout.window", window(n, 50, tier)); // reorder + reconfigure
            case 5 -> put(configs, "pin", "io.patchfleet.rollout.pin", props(tier, 1, "version", 7L, "name", "hs-pin"));
            case 6 -> remove(configs, "window-b");
            case 7 -> remove(configs, "window-a"); // now the pin to an unavailable version holds
            case 8 -> remove(configs, "pin");
            default -> remove(configs, "waves");
        }
    }

    private static Hashtable<String, Object> window(int generation, int order, String tier) {
        return props(tier, order, "name", "gen-" + generation, "cron", (generation % 60) + " 2 29 2 *", "duration", "1m",
                "zone", "UTC", "spread", Boolean.FALSE);
    }

    private static Hashtable<String, Object> props(String tier, int order, Object... kv) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("tiers", new String[] {tier});
        p.put("order", order);
        for (int i = 0; i < kv.length; i += 2) {
            p.put((String) kv[i], kv[i + 1]);
        }
        return p;
    }

    private void put(Map<String, Configuration> configs, String key, String factoryPid, Hashtable<String, Object> props)
            throws Exception {
        Configuration c = configs.get(key);
        if (c == null) {
            c = configAdmin.getFactoryConfiguration(factoryPid, "hs-" + key + "-" + System.nanoTime(), "?");
            configs.put(key, c);
        }
        c.update(props);
    }

    private void remove(Map<String, Configuration> configs, String key) throws Exception {
        Configuration c = configs.remove(key);
        if (c != null) {
            c.delete();
        }
    }

    private String reason(String[] machine) throws Exception {
        HttpResponse<String> r = post("/v1/check-in", machine[1], checkIn(machine[0]));
        assertEquals(200, r.statusCode(), r.body());
        return String.valueOf(JSON.readValue(r.body(), Map.class).get("reason"));
    }

    private static Map<String, Object> kernelJson() {
        return Map.of("release", KERNEL.release(), "architecture", KERNEL.architecture(), "flavour", KERNEL.flavour(),
                "build", KERNEL.build());
    }

    private static Map<String, Object> checkIn(String machine) {
        return Map.of("machineId", machine, "kernel", kernelJson(), "patchState", "nothing-to-apply",
                "patchVersion", 0, "clientVersion", "1.0.0", "bootTime", "2026-11-25T08:00:00Z", "uptimeSeconds", 3600,
                "events", List.of(), "trustedVersions", Map.of(), "directiveCounter", 0);
    }

    private HttpResponse<String> post(String path, String credential, Object body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        if (credential != null) {
            b.header("Authorization", "Bearer " + credential);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
