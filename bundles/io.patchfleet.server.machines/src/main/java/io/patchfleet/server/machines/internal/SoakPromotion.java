package io.patchfleet.server.machines.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Tier;
import io.patchfleet.model.TierName;
import io.patchfleet.rollout.api.FleetHealth;
import io.patchfleet.store.api.AuditLog;
import io.patchfleet.store.api.PatchCatalog;
import io.patchfleet.store.api.RolloutRecord;
import io.patchfleet.store.api.StoreException;
import io.patchfleet.store.api.TierStore;

/**
 * Tier promotion with soak: a release that has been available to tier {@code from} for
 * {@code soak}, whose rollout there is neither paused nor halted, and whose health there since
 * it arrived is good (at least {@code min.sample} machines with an outcome, at most
 * {@code max.failed.percent} of them apply-failed, crashed or check-failed), is promoted to tier
 * {@code to} — audited as {@code patch.promote} by {@code soak:NAME}. A tier pair without such a
 * configuration is promoted only by hand ({@code admin patch promote}), as before.
 *
 * <p>Runs on its own thread every {@code interval.seconds}; a promotion is idempotent, so two
 * server nodes doing it at once promote once.
 */
@Component(configurationPid = SoakPromotion.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true,
        service = SoakPromotion.class)
@Designate(ocd = SoakPromotion.Config.class, factory = true)
public class SoakPromotion {
    static final String PID = "io.patchfleet.rollout.promotion";
    private static final Logger LOG = LoggerFactory.getLogger(SoakPromotion.class);

    @ObjectClassDefinition(name = "Patchfleet rollout: tier promotion with soak",
            description = "Promote releases from one tier to the next after a soak time when their health there is good")
    public @interface Config {
        @AttributeDefinition(description = "A name for the audit log; empty: FROM-TO")
        String name() default "";

        @AttributeDefinition(description = "The tier a release soaks in")
        String from();

        @AttributeDefinition(description = "The tier it is promoted to (after FROM)")
        String to();

        @AttributeDefinition(description = "How long it soaks (such as 24h, 3d)")
        String soak() default "24h";

        @AttributeDefinition(description = "Machines with an outcome in FROM before it may be promoted", min = "0")
        int min_sample() default 10;

        @AttributeDefinition(description = "Most failed machines (apply-failed, crashed, check-failed), percent", min = "0", max = "100")
        double max_failed_percent() default 2.0;

        @AttributeDefinition(description = "Seconds between checks", min = "5")
        long interval_seconds() default 60;
    }

    record Settings(String name, TierName from, TierName to, Duration soak, int minSample, double maxFailedPercent) {}

    private final PatchCatalog catalog;
    private final TierStore tiers;
    private final RolloutRegistry registry;
    private final AuditLog audit;
    private final Settings settings;
    private final ScheduledExecutorService scheduler;

    @Activate
    public SoakPromotion(@Reference PatchCatalog catalog, @Reference TierStore tiers, @Reference RolloutRegistry registry,
            @Reference AuditLog audit, Config c) {
        this(catalog, tiers, registry, audit, settings(c.name(), c.from(), c.to(), c.soak(), c.min_sample(),
                c.max_failed_percent()), c.interval_seconds());
    }

    /** For tests: nothing scheduled; call {@link #promote}. */
    SoakPromotion(PatchCatalog catalog, TierStore tiers, RolloutRegistry registry, AuditLog audit, Settings settings) {
        this(catalog, tiers, registry, audit, settings, 0);
    }

    private SoakPromotion(PatchCatalog catalog, TierStore tiers, RolloutRegistry registry, AuditLog audit, Settings settings,
            long intervalSeconds) {
        this.catalog = catalog;
        this.tiers = tiers;
        this.registry = registry;
        this.audit = audit;
        this.settings = settings;
        if (intervalSeconds <= 0) {
            this.scheduler = null;
            return;
        }
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "patchfleet-promotion-" + settings.name());
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(5, intervalSeconds);
        scheduler.scheduleWithFixedDelay(this::runSafely, Math.min(every, 10), every, TimeUnit.SECONDS);
        LOG.info("Promotion {}: {} to {} after {} soak when healthy", settings.name(), settings.from(), settings.to(), settings.soak());
    }

    @Deactivate
    void deactivate() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }

    static Settings settings(String name, String from, String to, String soak, int minSample, double maxFailed) {
        if (from == null || from.isBlank() || to == null || to.isBlank()) {
            throw new IllegalArgumentException("promotion: from and to are required tiers");
        }
        Duration d = parseDuration(soak);
        if (minSample < 0 || !(maxFailed >= 0 && maxFailed <= 100)) {
            throw new IllegalArgumentException("promotion: min.sample must not be negative and max.failed.percent be 0-100");
        }
        TierName f = TierName.of(from.strip());
        TierName t = TierName.of(to.strip());
        return new Settings(name == null || name.isBlank() ? f.value() + "-" + t.value() : name.strip(), f, t, d, minSample, maxFailed);
    }

    private static Duration parseDuration(String s) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,9})([smhd])").matcher(s == null ? "" : s.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("promotion: soak must be a duration such as 90m, 24h, 3d: " + s);
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }

    private void runSafely() {
        try {
            promote(registry.now());
        } catch (StoreException | RuntimeException e) {
            LOG.warn("Promotion {} failed: {}; retried at the next interval", settings.name(), e.getMessage());
        }
    }

    /** Promotes what is due at {@code now}; returns the promoted releases. */
    List<PatchRelease> promote(Instant now) throws StoreException {
        List<Tier> order = tiers.tiers();
        int fromPos = position(order, settings.from());
        int toPos = position(order, settings.to());
        if (fromPos < 0 || toPos < 0 || toPos <= fromPos) {
            LOG.warn("Promotion {}: tier {} must come before tier {} and both exist; nothing promoted", settings.name(),
                    settings.from(), settings.to());
            return List.of();
        }
        Set<String> already = new HashSet<>();
        for (PatchRelease r : catalog.findAvailableTo(settings.to())) {
            already.add(r.kernel() + "#" + r.version());
        }
        List<PatchRelease> promoted = new java.util.ArrayList<>();
        for (PatchRelease r : catalog.findAvailableTo(settings.from())) {
            if (already.contains(r.kernel() + "#" + r.version())) {
                continue;
            }
            RolloutKey key = new RolloutKey(r.kernel(), r.version(), settings.from());
            RolloutRecord rec = registry.find(key).orElse(null);
            if (rec == null || !rec.state().equals("active") || now.isBefore(rec.availableSince().plus(settings.soak()))) {
                continue; // never offered there yet, paused or halted, or still soaking
            }
            FleetHealth h = registry.view(key, rec).healthSince(rec.availableSince());
            long failed = h.applyFailed() + h.crashed() + h.checkFailed();
            if (h.sample() < settings.minSample() || failed * 100.0 > settings.maxFailedPercent() * h.sample()) {
                continue;
            }
            if (catalog.promote(r.kernel(), r.version(), settings.to())) {
                promoted.add(r);
                String target = r.kernel() + "#" + r.version();
                LOG.info("Promotion {}: patch {} promoted from {} to {} after {} soak ({} machines, {} failed)", settings.name(),
                        target, settings.from(), settings.to(), settings.soak(), h.sample(), failed);
                audit.append("soak:" + settings.name(), "patch.promote", target, settings.from().value(),
                        settings.to().value());
            }
        }
        return promoted;
    }

    private static int position(List<Tier> order, TierName name) {
        for (Tier t : order) {
            if (t.name().equals(name)) {
                return t.position();
            }
        }
        return -1;
    }
}
