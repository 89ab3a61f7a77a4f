package io.patchfleet.trust.tuf;

import io.patchfleet.trust.api.TrustService;
import io.patchfleet.trust.tuf.internal.TufTrustService;

/**
 * The TUF trust service without OSGi (command line tools, tests, benchmarks). In a framework,
 * use the {@link TrustService} this bundle registers instead.
 */
public final class Tuf {
    private Tuf() {}

    /** A trust service with the {@linkplain TufLimits#DEFAULTS default limits}. */
    public static TrustService trustService() {
        return trustService(TufLimits.DEFAULTS);
    }

    /** A trust service with the given download caps. */
    public static TrustService trustService(TufLimits limits) {
        return new TufTrustService(limits);
    }
}
