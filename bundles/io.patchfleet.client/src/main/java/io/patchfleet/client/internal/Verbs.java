package io.patchfleet.client.internal;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The control verbs besides {@code status}, each a whiteboard {@link ControlCommand}; the work
 * runs on the daemon's agent thread.
 */
final class Verbs {
    private Verbs() {}

    private static String string(Map<String, Object> args, String key) {
        Object v = args.get(key);
        return v == null ? null : String.valueOf(v);
    }

    /** {@code enable}: {@code token}, {@code server}, {@code rootSha256}, {@code trustOnFirstUse}. */
    @Component(service = ControlCommand.class, property = ControlCommand.NAME + "=enable")
    public static final class Enable implements ControlCommand {
        private final ClientDaemon daemon;

        @Activate
        public Enable(@Reference ClientDaemon daemon) {
            this.daemon = daemon;
        }

        @Override
        public Map<String, Object> execute(Map<String, Object> args) throws ControlException {
            return daemon.onAgent(() -> daemon.enable(string(args, "token"), string(args, "server"), string(args, "rootSha256"),
                    Boolean.TRUE.equals(args.get("trustOnFirstUse"))), Duration.ofMinutes(2));
        }
    }

    /** {@code disable}: {@code unload}. */
    @Component(service = ControlCommand.class, property = ControlCommand.NAME + "=disable")
    public static final class Disable implements ControlCommand {
        private final ClientDaemon daemon;

        @Activate
        public Disable(@Reference ClientDaemon daemon) {
            this.daemon = daemon;
        }

        @Override
        public Map<String, Object> execute(Map<String, Object> args) throws ControlException {
            return daemon.onAgent(() -> daemon.disable(Boolean.TRUE.equals(args.get("unload"))), Duration.ofMinutes(12));
        }
    }

    /** {@code refresh}: {@code wait}, {@code clearCrash}. Without wait, the check is queued and the answer comes at once. */
    @Component(service = ControlCommand.class, property = ControlCommand.NAME + "=refresh")
    public static final class Refresh implements ControlCommand {
        private final ClientDaemon daemon;

        @Activate
        public Refresh(@Reference ClientDaemon daemon) {
            this.daemon = daemon;
        }

        @Override
        public Map<String, Object> execute(Map<String, Object> args) throws ControlException {
            boolean clear = Boolean.TRUE.equals(args.get("clearCrash"));
            if (Boolean.TRUE.equals(args.get("wait"))) {
                return daemon.onAgent(() -> daemon.refresh(clear), Duration.ofMinutes(15));
            }
            if (daemon.enrollment().isEmpty()) {
                throw new ControlException("not-enabled", "The machine is not enabled; run 'patchfleet enable TOKEN'");
            }
            daemon.onAgent(() -> {
                daemon.submitRefresh(clear);
                return null;
            }, Duration.ofSeconds(30));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("queued", true);
            return out;
        }
    }

    /** {@code config}: {@code set} (key → value); none: show. */
    @Component(service = ControlCommand.class, property = ControlCommand.NAME + "=config")
    public static final class Config implements ControlCommand {
        private final ClientDaemon daemon;

        @Activate
        public Config(@Reference ClientDaemon daemon) {
            this.daemon = daemon;
        }

        @Override
        public Map<String, Object> execute(Map<String, Object> args) throws ControlException {
            Map<String, String> set = new LinkedHashMap<>();
            if (args.get("set") instanceof Map<?, ?> m) {
                m.forEach((k, v) -> set.put(String.valueOf(k), v == null ? "" : String.valueOf(v)));
            }
            return daemon.onAgent(() -> daemon.configure(set), Duration.ofSeconds(30));
        }
    }

    /** {@code kernel-upgrade-required}. */
    @Component(service = ControlCommand.class, property = ControlCommand.NAME + "=kernel-upgrade-required")
    public static final class UpgradeRequired implements ControlCommand {
        private final ClientDaemon daemon;

        @Activate
        public UpgradeRequired(@Reference ClientDaemon daemon) {
            this.daemon = daemon;
        }

        @Override
        public Map<String, Object> execute(Map<String, Object> args) {
            return daemon.upgradeRequired();
        }
    }
}
