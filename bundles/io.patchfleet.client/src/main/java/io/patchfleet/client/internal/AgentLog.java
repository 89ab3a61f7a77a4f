package io.patchfleet.client.internal;

import java.util.Arrays;
import java.util.Locale;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;

/**
 * The agent's loggers, gated by the {@code log-level} of the client's configuration, which the
 * daemon applies whenever the configuration changes, without a restart.
 *
 * <p>Why a gate: the profiles log through slf4j-simple, which fixes a logger's level when the
 * logger is created and offers no way to change it later. The launcher therefore creates the
 * agent's loggers ({@code io.patchfleet.client.*}) at {@code trace} in slf4j-simple, and this gate
 * decides what passes. The other bundles of the client profile keep slf4j-simple's level (info).
 * The level is static because loggers are static per class and a framework runs one daemon; the
 * daemon sets it at activation and on every configuration change.
 */
final class AgentLog {
    private static volatile Level threshold = Level.INFO;

    private AgentLog() {}

    static Logger logger(Class<?> type) {
        return new Gated(LoggerFactory.getLogger(type));
    }

    /** Applies a configured level (error, warn, info, debug, trace); returns the level now in force. */
    static Level apply(String configured) {
        String v = configured == null || configured.isBlank() ? "info" : configured.trim().toUpperCase(Locale.ROOT);
        try {
            threshold = Level.valueOf(v);
        } catch (IllegalArgumentException e) {
            threshold = Level.INFO;
        }
        return threshold;
    }

    static Level threshold() {
        return threshold;
    }

    private static boolean passes(Level level) {
        return level.toInt() >= threshold.toInt();
    }

    /** Passes what the threshold lets through to the slf4j logger of the same name. */
    private static final class Gated extends LegacyAbstractLogger {
        private static final long serialVersionUID = 1L;
        private final transient Logger delegate;

        Gated(Logger delegate) {
            this.delegate = delegate;
            this.name = delegate.getName();
        }

        @Override
        public boolean isTraceEnabled() {
            return passes(Level.TRACE) && delegate.isTraceEnabled();
        }

        @Override
        public boolean isDebugEnabled() {
            return passes(Level.DEBUG) && delegate.isDebugEnabled();
        }

        @Override
        public boolean isInfoEnabled() {
            return passes(Level.INFO) && delegate.isInfoEnabled();
        }

        @Override
        public boolean isWarnEnabled() {
            return passes(Level.WARN) && delegate.isWarnEnabled();
        }

        @Override
        public boolean isErrorEnabled() {
            return passes(Level.ERROR) && delegate.isErrorEnabled();
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String message, Object[] arguments, Throwable t) {
            Object[] args = arguments == null ? new Object[0] : arguments;
            if (t != null) {
                args = Arrays.copyOf(args, args.length + 1);
                args[args.length - 1] = t; // slf4j takes a trailing Throwable as the exception
            }
            switch (level) {
                case TRACE -> delegate.trace(message, args);
                case DEBUG -> delegate.debug(message, args);
                case INFO -> delegate.info(message, args);
                case WARN -> delegate.warn(message, args);
                default -> delegate.error(message, args);
            }
        }
    }
}
