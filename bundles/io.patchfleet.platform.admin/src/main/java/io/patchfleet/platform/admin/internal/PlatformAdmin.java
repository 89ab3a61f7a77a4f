package io.patchfleet.platform.admin.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.reflect.Array;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.patchfleet.platform.admin.ConfigInfo;
import io.patchfleet.platform.admin.PluginChange;
import io.patchfleet.platform.admin.PluginChangeListener;
import io.patchfleet.platform.admin.PluginException;
import io.patchfleet.platform.admin.PluginException.Problem;
import io.patchfleet.platform.admin.PluginInfo;
import io.patchfleet.platform.admin.PluginManager;

/**
 * The {@link PluginManager}: every change runs on one thread, one at a time, as a transaction
 * with a journal (see {@link #update}). DS components are observed through the
 * {@link ServiceComponentRuntime}; configuration goes through Configuration Admin, checked
 * against the Metatype Service.
 *
 * <p><b>Files</b> under {@code DATA/platform}: {@code plugins.properties} (signer, SHA-256, who
 * and when, per symbolic name), {@code journal.properties} (present only while a change is under
 * way), {@code previous/BSN.jar} (the bundle a running update would roll back to).
 */
@Designate(ocd = PlatformAdmin.Config.class)
@Component(immediate = true, configurationPid = PlatformAdmin.PID, service = PluginManager.class)
public final class PlatformAdmin implements PluginManager {
    static final String PID = "io.patchfleet.platform.admin";
    static final String PLUGIN_LOCATION = "patchfleet:plugin/";
    static final String PROFILE_LOCATION = "patchfleet:profile/";
    static final String HEALTH_WARNING = "patchfleet.health.warning";
    static final String SWAP_MARKER = "patchfleet.swap";
    private static final Logger LOG = LoggerFactory.getLogger(PlatformAdmin.class);
    private static final Pattern MISSING_PACKAGE = Pattern.compile("osgi\\.wiring\\.package=([^)\\s]+)");

    @org.osgi.service.metatype.annotations.ObjectClassDefinition(name = "Patchfleet runtime management",
            description = "Hot updates of bundles and configuration: plugin trust, rollback timeout, protected bundles")
    public @interface Config {
        @org.osgi.service.metatype.annotations.AttributeDefinition(name = "Plugin trust store",
                description = "Folder of trusted Ed25519 public keys (NAME.pub, PEM). Empty: CONFIG/plugin-trust")
        String trust_store() default "";

        @org.osgi.service.metatype.annotations.AttributeDefinition(name = "Allow unsigned plugins",
                description = "Development only: accept jars without a valid signature. Shown in /v1/health while on")
        boolean allow_unsigned() default false;

        @org.osgi.service.metatype.annotations.AttributeDefinition(name = "Transaction timeout (seconds)",
                description = "How long an install, update or configuration change may take to resolve, start and satisfy its components before it is rolled back", min = "1", max = "600")
        int transaction_timeout_seconds() default 30;

        @org.osgi.service.metatype.annotations.AttributeDefinition(name = "Deploy folder",
                description = "Folder watched for signed plugin jars (NAME.jar + NAME.jar.sig) and PID.cfg files. Empty: DATA/deploy")
        String deploy_folder() default "";

        @org.osgi.service.metatype.annotations.AttributeDefinition(name = "Deploy folder scan (seconds)",
                description = "How often the deploy folder is scanned; 0 turns it off", min = "0", max = "3600")
        int deploy_poll_seconds() default 2;

        @org.osgi.service.metatype.annotations.AttributeDefinition(name = "Protected bundles",
                description = "Symbolic names an admin may not update, stop or uninstall at run time (they are replaced by upgrading Patchfleet)")
        String[] protected_bundles() default {"org.apache.felix.scr", "org.apache.felix.configadmin", "org.apache.felix.metatype",
            "org.apache.felix.fileinstall", "org.apache.felix.http.jetty12", "io.patchfleet.server.http", "io.patchfleet.platform.admin"};
    }

    private final BundleContext context;
    private final ServiceComponentRuntime scr;
    private final ConfigurationAdmin cm;
    private final MetaTypeService metatype;
    private final Path state;
    private final Path configDir;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "patchfleet-platform-admin");
        t.setDaemon(true);
        return t;
    });
    private final java.util.concurrent.ScheduledExecutorService scanner = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "patchfleet-deploy-folder");
        t.setDaemon(true);
        return t;
    });
    private java.util.concurrent.ScheduledFuture<?> scanning;
    private final Path dataDir;
    private final List<PluginChangeListener> listeners = new CopyOnWriteArrayList<>();
    private volatile Config config;
    private volatile TrustStore trust;
    private ServiceRegistration<?> warning;

    @Activate
    public PlatformAdmin(BundleContext context, @Reference ServiceComponentRuntime scr, @Reference ConfigurationAdmin cm,
            @Reference MetaTypeService metatype, Config config) {
        this.context = context;
        this.scr = scr;
        this.cm = cm;
        this.metatype = metatype;
        String data = context.getProperty("patchfleet.data");
        this.dataDir = Path.of(data == null || data.isBlank() ? "data" : data);
        this.state = dataDir.resolve("platform");
        String cfg = context.getProperty("patchfleet.config");
        this.configDir = cfg == null || cfg.isBlank() ? dataDir.resolve("etc") : Path.of(cfg);
        apply(config);
        worker.submit(this::recover);
    }

    @Modified
    void modified(Config config) {
        apply(config);
    }

    private synchronized void apply(Config config) {
        this.config = config;
        this.trust = new TrustStore(config.trust_store().isBlank() ? configDir.resolve("plugin-trust") : Path.of(config.trust_store()));
        if (config.allow_unsigned() && warning == null) {
            LOG.warn("Unsigned plugins are ALLOWED (allow.unsigned = true in {}): development only", PID);
            Hashtable<String, Object> props = new Hashtable<>();
            props.put(HEALTH_WARNING, "unsigned plugins are allowed (" + PID + " allow.unsigned = true): development only");
            warning = context.registerService(Object.class.getName(), new Object(), props);
        } else if (!config.allow_unsigned() && warning != null) {
            unregisterWarning();
        }
        LOG.info("Plugin trust store: {} ({} keys)", trust.folder(), trust.keys().size());
        if (scanning != null) {
            scanning.cancel(false);
            scanning = null;
        }
        if (config.deploy_poll_seconds() > 0) {
            DeployFolder deploy = new DeployFolder(config.deploy_folder().isBlank() ? dataDir.resolve("deploy") : Path.of(config.deploy_folder()),
                    state.resolve("deploy.properties"), this);
            scanning = scanner.scheduleWithFixedDelay(deploy::scan, 0, config.deploy_poll_seconds(), TimeUnit.SECONDS);
            LOG.info("Deploy folder: {} (scanned every {} s)", deploy.folder(), config.deploy_poll_seconds());
        }
    }

    private void unregisterWarning() {
        try {
            warning.unregister();
        } catch (IllegalStateException gone) {
            // the bundle is stopping
        }
        warning = null;
    }

    @Deactivate
    synchronized void deactivate() {
        scanner.shutdownNow();
        worker.shutdownNow();
        if (warning != null) {
            unregisterWarning();
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addListener(PluginChangeListener listener) {
        listeners.add(listener);
    }

    void removeListener(PluginChangeListener listener) {
        listeners.remove(listener);
    }

    @Override
    public boolean allowsUnsigned() {
        return config.allow_unsigned();
    }

    Path stateFolder() {
        return state;
    }

    // ---- reading

    @Override
    public List<PluginInfo> list() {
        Properties records = records();
        List<PluginInfo> all = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            all.add(info(b, records));
        }
        return all;
    }

    @Override
    public PluginInfo get(String bundle) throws PluginException {
        return info(find(bundle), records());
    }

    private PluginInfo info(Bundle b, Properties records) {
        String bsn = String.valueOf(b.getSymbolicName());
        Set<String> services = new LinkedHashSet<>();
        ServiceReference<?>[] refs = b.getState() == Bundle.UNINSTALLED ? null : b.getRegisteredServices();
        if (refs != null) {
            for (ServiceReference<?> ref : refs) {
                for (String name : (String[]) ref.getProperty(Constants.OBJECTCLASS)) {
                    services.add(name);
                }
            }
        }
        List<PluginInfo.ComponentState> components = new ArrayList<>();
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs(b)) {
            if (!scr.isComponentEnabled(d)) {
                components.add(new PluginInfo.ComponentState(d.name, "DISABLED", null));
                continue;
            }
            Collection<ComponentConfigurationDTO> configurations = scr.getComponentConfigurationDTOs(d);
            if (configurations.isEmpty()) {
                components.add(new PluginInfo.ComponentState(d.name, "UNSATISFIED_CONFIGURATION", null));
            }
            for (ComponentConfigurationDTO c : configurations) {
                components.add(new PluginInfo.ComponentState(d.name, stateName(c.state), firstLine(c.failure)));
            }
        }
        // A record describes the revision it was made for: the bundle's last-modified time tells
        // whether the launcher (an upgrade) or anyone else replaced it since.
        String recorded = records.getProperty(bsn + ".signer");
        boolean current = recorded != null && String.valueOf(b.getLastModified()).equals(records.getProperty(bsn + ".modified"));
        String signer;
        String sha = null;
        if (b.getBundleId() == 0) {
            signer = "distribution";
        } else if (current) {
            signer = recorded;
            sha = records.getProperty(bsn + ".sha256");
        } else if (b.getLocation().startsWith(PROFILE_LOCATION)) {
            signer = "distribution";
        } else {
            signer = "unknown";
        }
        return new PluginInfo(b.getBundleId(), bsn, b.getVersion().toString(), bundleState(b), signer, sha, b.getLocation(),
                List.copyOf(services), components);
    }

    private Bundle find(String ref) throws PluginException {
        if (ref == null || ref.isBlank()) {
            throw new PluginException("not-found", "Name a bundle by id or symbolic name");
        }
        if (ref.matches("\\d{1,18}")) {
            Bundle b = context.getBundle(Long.parseLong(ref));
            if (b != null) {
                return b;
            }
        }
        for (Bundle b : context.getBundles()) {
            if (ref.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new PluginException("not-found", "No bundle " + printable(ref));
    }

    // ---- bundle changes

    @Override
    public PluginInfo install(byte[] jar, byte[] signature, String actor) throws PluginException {
        return run(() -> doInstall(jar, signature, actor));
    }

    @Override
    public PluginInfo update(String bundle, byte[] jar, byte[] signature, String actor) throws PluginException {
        return run(() -> doUpdate(find(bundle), jar, signature, actor));
    }

    @Override
    public PluginInfo start(String bundle, String actor) throws PluginException {
        return run(() -> {
            Bundle b = unprotected(find(bundle), "start");
            Map<String, Object> before = bundleState(b, records());
            Map<String, String> componentsBefore = componentStates();
            try {
                b.start();
            } catch (BundleException | IllegalStateException e) {
                throw new PluginException("failed", "Bundle " + b.getSymbolicName() + " did not start: " + reason(e),
                        List.of(new Problem(b.getSymbolicName(), reason(e))));
            }
            List<Problem> problems = awaitHealthy(b, componentsBefore, deadline());
            if (!problems.isEmpty()) {
                stopQuietly(b);
                throw new PluginException("rolled-back", "Bundle " + b.getSymbolicName() + " started with failures and was stopped again: "
                        + problems.get(0).reason(), problems);
            }
            notify(new PluginChange(actor, "plugin.start", b.getSymbolicName(), before, bundleState(b, records())));
            return info(b, records());
        });
    }

    @Override
    public PluginInfo stop(String bundle, String actor) throws PluginException {
        return run(() -> {
            Bundle b = unprotected(find(bundle), "stop");
            Map<String, Object> before = bundleState(b, records());
            try {
                b.stop();
            } catch (BundleException e) {
                throw new PluginException("failed", "Bundle " + b.getSymbolicName() + " did not stop cleanly: " + reason(e));
            }
            notify(new PluginChange(actor, "plugin.stop", b.getSymbolicName(), before, bundleState(b, records())));
            return info(b, records());
        });
    }

    @Override
    public PluginInfo uninstall(String bundle, String actor) throws PluginException {
        return run(() -> {
            Bundle b = unprotected(find(bundle), "uninstall");
            if (b.getLocation().startsWith(PROFILE_LOCATION)) {
                throw new PluginException("conflict", b.getSymbolicName() + " is part of the profile: the launcher would install it again "
                        + "at the next start. Stop it instead ('plugin stop'); a stopped bundle stays stopped across restarts");
            }
            Properties records = records();
            Map<String, Object> before = bundleState(b, records);
            PluginInfo gone = info(b, records);
            try {
                b.uninstall();
            } catch (BundleException e) {
                throw new PluginException("failed", "Bundle " + b.getSymbolicName() + " could not be uninstalled: " + reason(e));
            }
            refreshPending();
            forget(b.getSymbolicName());
            notify(new PluginChange(actor, "plugin.uninstall", b.getSymbolicName(), before, null));
            return gone;
        });
    }

    private PluginInfo doInstall(byte[] jar, byte[] signature, String actor) throws PluginException, IOException {
        Manifest mf = manifest(jar);
        String bsn = symbolicName(mf);
        for (Bundle b : context.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                throw new PluginException("conflict", "Bundle " + bsn + " is installed already (id " + b.getBundleId() + "): update it instead");
            }
        }
        String signer = trust.check(jar, signature, config.allow_unsigned());
        String sha = io.patchfleet.platform.admin.PluginSignature.sha256Hex(jar);
        Map<String, String> componentsBefore = componentStates();
        Properties journal = new Properties();
        journal.setProperty("action", "install");
        journal.setProperty("location", PLUGIN_LOCATION + bsn);
        journal.setProperty("bsn", bsn);
        StateFiles.write(journalFile(), journal, "A plugin change under way; rolled back at start if present");
        Bundle b;
        try {
            b = context.installBundle(PLUGIN_LOCATION + bsn, new ByteArrayInputStream(jar));
        } catch (BundleException e) {
            StateFiles.delete(journalFile());
            throw new PluginException("invalid-jar", "The framework refused the bundle " + bsn + ": " + reason(e));
        }
        List<Problem> problems = startAndAwait(b, componentsBefore);
        if (!problems.isEmpty()) {
            Map<String, Object> attempted = Map.of("version", b.getVersion().toString(), "sha256", sha, "signer", signer);
            try {
                b.uninstall();
            } catch (BundleException | IllegalStateException e) {
                LOG.error("Rollback: uninstalling the failed bundle {} failed: {}", bsn, reason(e));
            }
            refreshPending();
            StateFiles.delete(journalFile());
            notify(new PluginChange(actor, "plugin.rollback", bsn, attempted, null));
            throw new PluginException("rolled-back", "Install of " + bsn + " " + attempted.get("version") + " failed and was rolled back (uninstalled): "
                    + problems.get(0).field() + ": " + problems.get(0).reason(), problems);
        }
        remember(b, signer, sha, actor);
        StateFiles.delete(journalFile());
        Map<String, Object> after = bundleState(b, records());
        notify(new PluginChange(actor, "plugin.install", bsn, null, after));
        return info(b, records());
    }

    /**
     * The update transaction: check the signature and the symbolic name; save the current
     * revision as a jar and the bundle's configurations; write the journal; update, refresh what
     * still uses the old revision, start; wait for the bundle's components and for every
     * component that was satisfied before. Any failure puts the saved jar and configurations
     * back. The journal is deleted only when the change is complete (committed or rolled back),
     * so a crash in between is rolled back at the next start ({@link #recover}).
     */
    private PluginInfo doUpdate(Bundle b, byte[] jar, byte[] signature, String actor) throws PluginException, IOException {
        unprotected(b, "update");
        if (b.getBundleId() == 0) {
            throw new PluginException("protected", "The framework itself is replaced by upgrading Patchfleet");
        }
        String bsn = b.getSymbolicName();
        Manifest mf = manifest(jar);
        String newBsn = symbolicName(mf);
        if (!newBsn.equals(bsn)) {
            throw new PluginException("invalid-jar", "The jar is bundle " + newBsn + ", not " + bsn + ": an update keeps the symbolic name");
        }
        String signer = trust.check(jar, signature, config.allow_unsigned());
        String sha = io.patchfleet.platform.admin.PluginSignature.sha256Hex(jar);
        Properties records = records();
        Map<String, Object> before = bundleState(b, records);
        Map<String, String> componentsBefore = componentStates();
        Map<String, Dictionary<String, Object>> configsBefore = configurationsOf(b);
        boolean wasActive = b.getState() == Bundle.ACTIVE || b.getState() == Bundle.STARTING;
        byte[] previous = BundleSnapshot.of(b);
        Path previousFile = state.resolve("previous").resolve(bsn + ".jar");
        StateFiles.write(previousFile, previous);
        Properties journal = new Properties();
        journal.setProperty("action", "update");
        journal.setProperty("bundle.id", Long.toString(b.getBundleId()));
        journal.setProperty("bsn", bsn);
        journal.setProperty("previous", previousFile.toString());
        journal.setProperty("active", Boolean.toString(wasActive));
        StateFiles.write(journalFile(), journal, "A plugin change under way; rolled back at start if present");

        List<Problem> problems;
        try {
            b.update(new ByteArrayInputStream(jar));
            problems = startAndAwait(b, componentsBefore);
        } catch (BundleException e) {
            problems = List.of(new Problem(bsn, reason(e)));
        }
        if (!problems.isEmpty()) {
            String attempted = versionOf(mf);
            rollback(b, previous, wasActive, configsBefore, componentsBefore);
            touch(b, records);
            StateFiles.delete(journalFile());
            notify(new PluginChange(actor, "plugin.rollback", bsn, Map.of("version", attempted, "sha256", sha, "signer", signer),
                    bundleState(b, records())));
            throw new PluginException("rolled-back", "Update of " + bsn + " to " + attempted + " failed and was rolled back to "
                    + before.get("version") + ": " + problems.get(0).field() + ": " + problems.get(0).reason(), problems);
        }
        remember(b, signer, sha, actor);
        StateFiles.delete(journalFile());
        notify(new PluginChange(actor, "plugin.update", bsn, before, bundleState(b, records())));
        return info(b, records());
    }

    private List<Problem> startAndAwait(Bundle b, Map<String, String> componentsBefore) {
        refreshPending();
        if (b.getHeaders("").get(Constants.FRAGMENT_HOST) == null) {
            try {
                b.start();
            } catch (BundleException | IllegalStateException e) {
                return List.of(new Problem(b.getSymbolicName(), reason(e)));
            }
        }
        return awaitHealthy(b, componentsBefore, deadline());
    }

    private void rollback(Bundle b, byte[] previous, boolean wasActive, Map<String, Dictionary<String, Object>> configs,
            Map<String, String> componentsBefore) {
        String bsn = b.getSymbolicName();
        LOG.warn("Rolling back {} to its previous revision", bsn);
        try {
            b.update(new ByteArrayInputStream(previous));
            refreshPending();
            restoreConfigurations(configs);
            if (wasActive) {
                b.start();
            }
            List<Problem> after = awaitHealthy(b, componentsBefore, deadline());
            if (!after.isEmpty()) {
                LOG.error("After the rollback of {}, still failing: {}", bsn, after);
            }
        } catch (BundleException | IOException | RuntimeException e) {
            LOG.error("Rollback of {} failed: {}", bsn, reason(e), e);
        }
    }

    /** At activation: a journal left by a crash mid-change means that change never completed; put the old state back. */
    private void recover() {
        Path recovered = state.resolve("journal.recovered.properties");
        if (Files.exists(recovered)) {
            // The launcher undid it before the framework started; record that it did.
            try {
                Properties journal = StateFiles.read(recovered);
                Bundle b = context.getBundle(journal.getProperty("location", "-"));
                Bundle byId = context.getBundle(Long.parseLong(journal.getProperty("bundle.id", "-1")));
                Bundle now = byId != null ? byId : b;
                notify(new PluginChange("launcher", "plugin.recover", journal.getProperty("bsn", "?"),
                        Map.of("incomplete", journal.getProperty("action", "?")), now == null ? null : bundleState(now, records())));
                StateFiles.delete(recovered);
            } catch (IOException | RuntimeException e) {
                LOG.error("Cannot read {}: {}", recovered, e.getMessage());
            }
        }
        Path file = journalFile();
        if (!Files.exists(file)) {
            return;
        }
        try {
            Properties journal = StateFiles.read(file);
            String bsn = journal.getProperty("bsn", "?");
            LOG.warn("A plugin change ({} of {}) did not complete before the last stop; putting the previous state back",
                    journal.getProperty("action"), bsn);
            Map<String, Object> after = null;
            if ("install".equals(journal.getProperty("action"))) {
                Bundle b = context.getBundle(journal.getProperty("location", ""));
                if (b != null) {
                    b.uninstall();
                    refreshPending();
                }
            } else if ("update".equals(journal.getProperty("action"))) {
                Bundle b = context.getBundle(Long.parseLong(journal.getProperty("bundle.id", "-1")));
                Path previous = Path.of(journal.getProperty("previous", ""));
                if (b != null && Files.isRegularFile(previous)) {
                    b.update(Files.newInputStream(previous));
                    refreshPending();
                    if (Boolean.parseBoolean(journal.getProperty("active"))) {
                        b.start();
                    }
                    after = bundleState(b, records());
                }
            }
            StateFiles.delete(file);
            notify(new PluginChange("platform", "plugin.recover", bsn, Map.of("incomplete", journal.getProperty("action", "?")), after));
        } catch (IOException | BundleException | RuntimeException e) {
            LOG.error("Recovering the incomplete plugin change in {} failed: {}", file, reason(e), e);
        }
    }

    /**
     * Waits until the bundle is active, none of its enabled components failed or waits for a
     * reference, and every component that was active or satisfied before the change is so
     * again — two polls in a row, so a component that flips to failed right after satisfying is
     * caught. A failed activation of the bundle's own components ends the wait at once.
     */
    private List<Problem> awaitHealthy(Bundle b, Map<String, String> before, long deadline) {
        List<Problem> problems = List.of();
        int goodPolls = 0;
        while (true) {
            problems = new ArrayList<>();
            boolean fatal = false;
            boolean fragment = b.getHeaders("").get(Constants.FRAGMENT_HOST) != null;
            if (!fragment && b.getState() != Bundle.ACTIVE) {
                problems.add(new Problem(b.getSymbolicName(), "bundle is " + bundleState(b) + ", not ACTIVE"));
            }
            Map<String, String> now = componentStates();
            Map<String, String> failures = componentFailures();
            String prefix = b.getSymbolicName() + "/";
            for (Map.Entry<String, String> c : now.entrySet()) {
                if (!c.getKey().startsWith(prefix)) {
                    continue;
                }
                if (c.getValue().equals("FAILED_ACTIVATION")) {
                    problems.add(new Problem(c.getKey(), "activation failed: " + failures.getOrDefault(c.getKey(), "unknown error")));
                    fatal = true;
                } else if (c.getValue().equals("UNSATISFIED_REFERENCE") && !"UNSATISFIED_REFERENCE".equals(before.get(c.getKey()))) {
                    problems.add(new Problem(c.getKey(), "unsatisfied reference: " + failures.getOrDefault(c.getKey(), "?")));
                }
            }
            for (Map.Entry<String, String> c : before.entrySet()) {
                if (c.getKey().startsWith(prefix) || !(c.getValue().equals("ACTIVE") || c.getValue().equals("SATISFIED"))) {
                    continue;
                }
                String state = now.get(c.getKey());
                if (!"ACTIVE".equals(state) && !"SATISFIED".equals(state)) {
                    String why = failures.get(c.getKey());
                    problems.add(new Problem(c.getKey(), "was " + c.getValue() + ", now " + (state == null ? "gone" : state)
                            + (why == null ? "" : ": " + why)));
                }
            }
            if (problems.isEmpty()) {
                if (++goodPolls >= 2) {
                    return problems;
                }
            } else {
                goodPolls = 0;
                if (fatal || System.nanoTime() > deadline) {
                    if (!fatal) {
                        problems.add(0, new Problem(b.getSymbolicName(), "not healthy within " + config.transaction_timeout_seconds() + " s"));
                    }
                    return problems;
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                problems.add(new Problem(b.getSymbolicName(), "interrupted"));
                return problems;
            }
        }
    }

    /** Every enabled component configuration by {@code bsn/name} (one entry per component: the worst state). */
    private Map<String, String> componentStates() {
        Map<String, String> states = new TreeMap<>();
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            if (!scr.isComponentEnabled(d)) {
                continue;
            }
            String key = d.bundle.symbolicName + "/" + d.name;
            for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                String s = stateName(c.state);
                String prior = states.get(key);
                if (prior == null || rank(s) > rank(prior)) {
                    states.put(key, s);
                }
            }
        }
        return states;
    }

    private Map<String, String> componentFailures() {
        Map<String, String> failures = new TreeMap<>();
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                String key = d.bundle.symbolicName + "/" + d.name;
                if (c.failure != null) {
                    failures.put(key, firstLine(c.failure));
                } else if (c.unsatisfiedReferences != null && c.unsatisfiedReferences.length > 0) {
                    List<String> refs = new ArrayList<>();
                    for (var r : c.unsatisfiedReferences) {
                        refs.add(r.name + (r.target == null ? "" : " " + r.target));
                    }
                    failures.put(key, String.join(", ", refs));
                }
            }
        }
        return failures;
    }

    private static int rank(String state) {
        return switch (state) {
            case "FAILED_ACTIVATION" -> 4;
            case "UNSATISFIED_REFERENCE" -> 3;
            case "UNSATISFIED_CONFIGURATION" -> 2;
            case "SATISFIED" -> 1;
            default -> 0;
        };
    }

    private void refreshPending() {
        FrameworkWiring wiring = context.getBundle(0).adapt(FrameworkWiring.class);
        Collection<Bundle> pending = wiring.getRemovalPendingBundles();
        if (pending.isEmpty()) {
            return;
        }
        CountDownLatch done = new CountDownLatch(1);
        wiring.refreshBundles(pending, event -> {
            if (event.getType() == FrameworkEvent.PACKAGES_REFRESHED || event.getType() == FrameworkEvent.ERROR) {
                done.countDown();
            }
        });
        try {
            if (!done.await(config.transaction_timeout_seconds(), TimeUnit.SECONDS)) {
                LOG.warn("The framework did not finish refreshing {} within the timeout", pending);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Bundle unprotected(Bundle b, String verb) throws PluginException {
        if (b.getBundleId() == 0) {
            throw new PluginException("protected", "The framework bundle cannot be changed at run time");
        }
        for (String name : config.protected_bundles()) {
            if (name.equals(b.getSymbolicName()) || b.getBundleId() == context.getBundle().getBundleId()) {
                throw new PluginException("protected", b.getSymbolicName() + " is a platform bundle: it may not be " + verb
                        + (verb.endsWith("e") ? "d" : verb.equals("stop") ? "ped" : "ed")
                        + " at run time; upgrade Patchfleet to replace it");
            }
        }
        return b;
    }

    private void stopQuietly(Bundle b) {
        try {
            b.stop();
        } catch (BundleException | IllegalStateException e) {
            LOG.warn("Stopping {} failed: {}", b.getSymbolicName(), reason(e));
        }
    }

    // ---- configuration

    @Override
    public ConfigInfo config(String pid) throws PluginException {
        checkPid(pid);
        ObjectClassDefinition ocd = ocd(pid);
        Configuration c = existing(pid);
        if (c == null && ocd == null) {
            throw new PluginException("not-found", "No configuration and no metatype for PID " + printable(pid));
        }
        return configInfo(pid, c, ocd);
    }

    @Override
    public ConfigInfo setConfig(String pid, Map<String, String> values, String actor) throws PluginException {
        checkPid(pid);
        if (values == null || values.isEmpty()) {
            throw new PluginException("invalid-config", "Give at least one KEY=VALUE to set", List.of());
        }
        return run(() -> {
            ObjectClassDefinition ocd = ocd(pid);
            if (ocd == null) {
                throw new PluginException("no-metatype", "PID " + printable(pid) + " has no metatype, so its values cannot be checked: "
                        + "refused. Edit its file in the configuration folder if you must");
            }
            MetatypeValidator validator = new MetatypeValidator(ocd.getAttributeDefinitions(ObjectClassDefinition.ALL));
            Configuration c = existing(pid);
            Map<String, Object> current = c == null ? Map.of() : toMap(c.getProperties());
            Hashtable<String, Object> merged = validator.merge(pid, current, values);
            Map<String, Object> before = c == null ? null : masked(current, validator);
            Map<String, String> componentsBefore = componentStates();
            Configuration target = c != null ? c : cm.getConfiguration(pid, "?");
            target.update(merged);
            List<Problem> problems = awaitConfigured(pid, componentsBefore);
            if (!problems.isEmpty()) {
                if (c == null) {
                    target.delete();
                } else {
                    Hashtable<String, Object> old = new Hashtable<>();
                    current.forEach(old::put);
                    target.update(old);
                }
                notify(new PluginChange(actor, "config.rollback", pid, masked(toMap(merged), validator), before));
                throw new PluginException("rolled-back", "Configuration " + pid + " was applied, then a component failed; the previous "
                        + "configuration is back: " + problems.get(0).field() + ": " + problems.get(0).reason(), problems);
            }
            Configuration now = existing(pid);
            notify(new PluginChange(actor, "config.set", pid, before, masked(toMap(now.getProperties()), validator)));
            return configInfo(pid, now, ocd);
        });
    }

    @Override
    public ConfigInfo deleteConfig(String pid, String actor) throws PluginException {
        checkPid(pid);
        return run(() -> {
            Configuration c = existing(pid);
            if (c == null) {
                throw new PluginException("not-found", "No configuration for PID " + printable(pid));
            }
            ObjectClassDefinition ocd = ocd(pid);
            MetatypeValidator validator = new MetatypeValidator(ocd == null ? null : ocd.getAttributeDefinitions(ObjectClassDefinition.ALL));
            Map<String, Object> before = masked(toMap(c.getProperties()), validator);
            Object file = c.getProperties() == null ? null : c.getProperties().get("felix.fileinstall.filename");
            c.delete();
            // FileInstall would apply a file left in the configuration folder again at the next start.
            if (file != null) {
                try {
                    Path path = Path.of(java.net.URI.create(String.valueOf(file)));
                    Files.deleteIfExists(path);
                } catch (IllegalArgumentException | IOException e) {
                    LOG.warn("Configuration {} deleted; its file {} could not be removed: {}", pid, file, e.getMessage());
                }
            }
            notify(new PluginChange(actor, "config.delete", pid, before, null));
            return configInfo(pid, null, ocd);
        });
    }

    /** Waits for the components configured by {@code pid} to be active or satisfied, and none that was to break. */
    private List<Problem> awaitConfigured(String pid, Map<String, String> before) {
        long deadline = deadline();
        int good = 0;
        while (true) {
            List<Problem> problems = new ArrayList<>();
            Map<String, String> now = componentStates();
            Map<String, String> failures = componentFailures();
            boolean fatal = false;
            for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
                if (!List.of(d.configurationPid).contains(pid) || !scr.isComponentEnabled(d)) {
                    continue;
                }
                String key = d.bundle.symbolicName + "/" + d.name;
                String state = now.get(key);
                if ("FAILED_ACTIVATION".equals(state)) {
                    problems.add(new Problem(key, "activation failed: " + failures.getOrDefault(key, "unknown error")));
                    fatal = true;
                }
            }
            for (Map.Entry<String, String> c : before.entrySet()) {
                if (!(c.getValue().equals("ACTIVE") || c.getValue().equals("SATISFIED"))) {
                    continue;
                }
                String state = now.get(c.getKey());
                if ("FAILED_ACTIVATION".equals(state)) {
                    problems.add(new Problem(c.getKey(), "was " + c.getValue() + ", now FAILED_ACTIVATION: " + failures.getOrDefault(c.getKey(), "?")));
                    fatal = true;
                }
            }
            if (problems.isEmpty()) {
                if (++good >= 3) {
                    return problems;
                }
            } else if (fatal || System.nanoTime() > deadline) {
                return problems;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return List.of(new Problem(pid, "interrupted"));
            }
        }
    }

    private ObjectClassDefinition ocd(String pid) {
        Configuration c = existing(pid);
        String factoryPid = c == null ? null : c.getFactoryPid();
        for (Bundle b : context.getBundles()) {
            MetaTypeInformation mti = metatype.getMetaTypeInformation(b);
            if (mti == null) {
                continue;
            }
            try {
                if (List.of(mti.getPids()).contains(pid)) {
                    return mti.getObjectClassDefinition(pid, null);
                }
                if (factoryPid != null && List.of(mti.getFactoryPids()).contains(factoryPid)) {
                    return mti.getObjectClassDefinition(factoryPid, null);
                }
            } catch (IllegalArgumentException | IllegalStateException e) {
                // a bundle going away while we look
            }
        }
        return null;
    }

    private Configuration existing(String pid) {
        try {
            Configuration[] found = cm.listConfigurations("(" + Constants.SERVICE_PID + "=" + escape(pid) + ")");
            return found == null || found.length == 0 ? null : found[0];
        } catch (IOException | InvalidSyntaxException e) {
            return null;
        }
    }

    /** The configurations a bundle's components read, so a rollback puts them back as they were. */
    private Map<String, Dictionary<String, Object>> configurationsOf(Bundle b) {
        Map<String, Dictionary<String, Object>> snapshot = new LinkedHashMap<>();
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs(b)) {
            for (String pid : d.configurationPid) {
                Configuration c = existing(pid);
                snapshot.put(pid, c == null || c.getProperties() == null ? null : copy(c.getProperties()));
            }
        }
        return snapshot;
    }

    private void restoreConfigurations(Map<String, Dictionary<String, Object>> snapshot) throws IOException {
        for (Map.Entry<String, Dictionary<String, Object>> e : snapshot.entrySet()) {
            Configuration now = existing(e.getKey());
            if (e.getValue() == null) {
                if (now != null) {
                    now.delete();
                }
            } else if (now == null || !toMap(now.getProperties()).equals(toMap(e.getValue()))) {
                Configuration target = now != null ? now : cm.getConfiguration(e.getKey(), "?");
                target.update(e.getValue());
            }
        }
    }

    private ConfigInfo configInfo(String pid, Configuration c, ObjectClassDefinition ocd) {
        MetatypeValidator validator = new MetatypeValidator(ocd == null ? null : ocd.getAttributeDefinitions(ObjectClassDefinition.ALL));
        Map<String, Object> props = c == null ? Map.of() : masked(toMap(c.getProperties()), validator);
        List<ConfigInfo.Attribute> attributes = new ArrayList<>();
        if (ocd != null) {
            for (AttributeDefinition ad : ocd.getAttributeDefinitions(ObjectClassDefinition.ALL)) {
                attributes.add(new ConfigInfo.Attribute(ad.getID(), MetatypeValidator.shortTypeName(ad.getType())
                        + (ad.getCardinality() != 0 ? "[]" : ""),
                        ad.getDefaultValue() == null ? List.of() : List.of(ad.getDefaultValue()),
                        ad.getDescription(), ad.getOptionValues() == null ? List.of() : List.of(ad.getOptionValues())));
            }
        }
        return new ConfigInfo(pid, c != null, props, attributes);
    }

    private static Map<String, Object> masked(Map<String, Object> props, MetatypeValidator validator) {
        Map<String, Object> out = new TreeMap<>();
        props.forEach((k, v) -> out.put(k, validator.isPassword(k) ? MetatypeValidator.MASK : v));
        return out;
    }

    /** Properties as a plain map; arrays as lists so that they compare and print by value. */
    static Map<String, Object> toMap(Dictionary<String, Object> d) {
        Map<String, Object> m = new TreeMap<>();
        if (d == null) {
            return m;
        }
        for (Enumeration<String> keys = d.keys(); keys.hasMoreElements();) {
            String k = keys.nextElement();
            Object v = d.get(k);
            if (v != null && v.getClass().isArray()) {
                List<Object> list = new ArrayList<>();
                for (int i = 0; i < Array.getLength(v); i++) {
                    list.add(Array.get(v, i));
                }
                v = list;
            }
            m.put(k, v);
        }
        return m;
    }

    private static Dictionary<String, Object> copy(Dictionary<String, Object> d) {
        Hashtable<String, Object> copy = new Hashtable<>();
        for (Enumeration<String> keys = d.keys(); keys.hasMoreElements();) {
            String k = keys.nextElement();
            copy.put(k, d.get(k));
        }
        return copy;
    }

    private static void checkPid(String pid) throws PluginException {
        if (pid == null || !pid.matches("[A-Za-z0-9._~-]{1,200}")) {
            throw new PluginException("invalid-config", "A PID is letters, digits, '.', '_', '~' and '-' (at most 200)");
        }
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").replace("*", "\\*");
    }

    // ---- common

    @FunctionalInterface
    private interface Work<T> {
        T call() throws PluginException, IOException;
    }

    /** Runs a change on the one worker thread, bounded by twice the transaction timeout. */
    private <T> T run(Work<T> work) throws PluginException {
        Future<T> f = worker.submit(() -> {
            // The marker tells the HTTP router to hold machine requests for the length of the change.
            Hashtable<String, Object> props = new Hashtable<>();
            props.put(SWAP_MARKER, "plugin change by runtime management");
            ServiceRegistration<?> marker = context.registerService(Object.class.getName(), new Object(), props);
            try {
                return work.call();
            } finally {
                try {
                    marker.unregister();
                } catch (IllegalStateException gone) {
                    // the bundle is stopping
                }
            }
        });
        long wait = 2L * config.transaction_timeout_seconds() + 30;
        try {
            return f.get(wait, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof PluginException p) {
                throw p;
            }
            LOG.error("Plugin change failed", cause);
            throw new PluginException("failed", "The change failed: " + reason(cause));
        } catch (TimeoutException e) {
            throw new PluginException("timeout", "The change did not finish within " + wait + " s; it goes on in the background, see the log");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PluginException("failed", "Interrupted");
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new PluginException("failed", "Runtime management is stopping");
        }
    }

    private long deadline() {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(config.transaction_timeout_seconds());
    }

    private void notify(PluginChange change) {
        LOG.info("{} {} by {}: {} -> {}", change.action(), change.target(), change.actor(), change.before(), change.after());
        for (PluginChangeListener l : listeners) {
            try {
                l.changed(change);
            } catch (RuntimeException e) {
                LOG.error("A plugin change listener failed on {}: {}", change.action(), e.getMessage(), e);
            }
        }
    }

    private Path journalFile() {
        return state.resolve("journal.properties");
    }

    private Properties records() {
        try {
            return StateFiles.read(state.resolve("plugins.properties"));
        } catch (IOException e) {
            LOG.warn("Cannot read {}: {}", state.resolve("plugins.properties"), e.getMessage());
            return new Properties();
        }
    }

    private void remember(Bundle b, String signer, String sha, String actor) throws IOException {
        String bsn = b.getSymbolicName();
        Properties p = records();
        p.setProperty(bsn + ".modified", Long.toString(b.getLastModified()));
        p.setProperty(bsn + ".signer", signer);
        p.setProperty(bsn + ".sha256", sha);
        p.setProperty(bsn + ".by", actor);
        p.setProperty(bsn + ".at", Instant.now().toString());
        StateFiles.write(state.resolve("plugins.properties"), p, "Who signed and installed each plugin");
    }

    /** After a rollback the previous bytes are back under a new revision: the record made for them holds again. */
    private void touch(Bundle b, Properties before) throws IOException {
        String bsn = b.getSymbolicName();
        if (before.getProperty(bsn + ".signer") == null) {
            return;
        }
        Properties p = records();
        p.setProperty(bsn + ".modified", Long.toString(b.getLastModified()));
        StateFiles.write(state.resolve("plugins.properties"), p, "Who signed and installed each plugin");
    }

    private void forget(String bsn) throws IOException {
        Properties p = records();
        p.keySet().removeIf(k -> String.valueOf(k).startsWith(bsn + "."));
        StateFiles.write(state.resolve("plugins.properties"), p, "Who signed and installed each plugin");
    }

    private Map<String, Object> bundleState(Bundle b, Properties records) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", b.getBundleId());
        m.put("version", b.getVersion().toString());
        m.put("state", bundleState(b));
        PluginInfo info = info(b, records);
        m.put("signer", info.signer());
        if (info.sha256() != null) {
            m.put("sha256", info.sha256());
        }
        return m;
    }

    static Manifest manifest(byte[] jar) throws PluginException {
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar))) {
            Manifest mf = in.getManifest();
            if (mf == null) {
                throw new PluginException("invalid-jar", "Not an OSGi bundle: the jar has no manifest (or it is not the first entry)");
            }
            return mf;
        } catch (IOException e) {
            throw new PluginException("invalid-jar", "Not a jar: " + e.getMessage());
        }
    }

    static String symbolicName(Manifest mf) throws PluginException {
        String bsn = mf.getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME);
        if (bsn == null || bsn.isBlank()) {
            throw new PluginException("invalid-jar", "Not an OSGi bundle: the manifest has no Bundle-SymbolicName");
        }
        int semi = bsn.indexOf(';');
        String name = (semi < 0 ? bsn : bsn.substring(0, semi)).trim();
        if (!name.matches("[A-Za-z0-9._-]{1,200}")) {
            throw new PluginException("invalid-jar", "Bundle-SymbolicName \"" + printable(name) + "\" is not a valid name");
        }
        return name;
    }

    private static String versionOf(Manifest mf) {
        String v = mf.getMainAttributes().getValue(Constants.BUNDLE_VERSION);
        return v == null ? "0.0.0" : v.trim();
    }

    static String bundleState(Bundle b) {
        boolean fragment = b.getHeaders("").get(Constants.FRAGMENT_HOST) != null;
        return switch (b.getState()) {
            case Bundle.ACTIVE -> "ACTIVE";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.RESOLVED -> fragment ? "FRAGMENT" : "RESOLVED";
            case Bundle.INSTALLED -> "INSTALLED";
            default -> "UNINSTALLED";
        };
    }

    static String stateName(int state) {
        return switch (state) {
            case ComponentConfigurationDTO.ACTIVE -> "ACTIVE";
            case ComponentConfigurationDTO.SATISFIED -> "SATISFIED";
            case ComponentConfigurationDTO.UNSATISFIED_REFERENCE -> "UNSATISFIED_REFERENCE";
            case ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION -> "UNSATISFIED_CONFIGURATION";
            case ComponentConfigurationDTO.FAILED_ACTIVATION -> "FAILED_ACTIVATION";
            default -> "UNKNOWN";
        };
    }

    /** A failure for a person: a missing package is named as such; otherwise the first line of the message. */
    static String reason(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        Matcher m = MISSING_PACKAGE.matcher(message);
        if (m.find()) {
            return "missing package " + m.group(1) + " (no bundle exports it)";
        }
        return firstLine(message);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return null;
        }
        String line = s.lines().findFirst().orElse(s);
        return line.length() > 300 ? line.substring(0, 300) + "…" : line;
    }

    private static String printable(String s) {
        String cut = s.length() > 80 ? s.substring(0, 80) + "…" : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
