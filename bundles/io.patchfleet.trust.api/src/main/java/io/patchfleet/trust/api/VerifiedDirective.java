package io.patchfleet.trust.api;

import java.util.Objects;
import java.util.Optional;

/**
 * A directive that passed {@link TrustService#verifyDirective}: signed by the pinned directive
 * key, for this machine, unexpired, newer than the last accepted one, and naming exactly a
 * publisher-verified, unrevoked target of the machine's kernel. The caller must now persist
 * {@code directive().counter()} as the last accepted counter before acting on it.
 *
 * @param directive the verified directive; never {@code null}
 * @param target the publisher's target it names; empty for a "run no patch" directive
 */
public record VerifiedDirective(Directive directive, Optional<VerifiedTarget> target) {
    public VerifiedDirective {
        Objects.requireNonNull(directive, "directive");
        Objects.requireNonNull(target, "target");
        if (directive.target().isPresent() != target.isPresent()) {
            throw new IllegalArgumentException("a verified directive names a target exactly when its directive does");
        }
    }
}
