package io.patchfleet.trust.api;

import io.patchfleet.model.KernelId;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The trusted state of one TUF repository and the update that advances it (TUF 1.0 client
 * workflow: root chain, timestamp, snapshot, targets), obtained from {@link TrustService#open}.
 *
 * <p><b>Threading:</b> thread-safe. {@link #refresh} calls are serialized (a second caller
 * waits for the first); {@link #root()} and {@link #current()} never block and return the state
 * of the last complete update.
 */
@ProviderType
public interface Verifier {

    /**
     * The currently trusted root.
     *
     * @return empty until a root has been trusted (a new store: the first {@link #refresh}
     *     fetches and checks it against the anchor)
     */
    Optional<TrustedRoot> root();

    /**
     * The metadata of the last successful update, loaded from the store at open time or set by
     * {@link #refresh}. It may have expired since: check {@link TrustedMetadata#isExpired}.
     *
     * @return empty if no complete update ever succeeded
     */
    Optional<TrustedMetadata> current();

    /**
     * Runs one complete update against {@code source}. Every expiry is checked against the one
     * time {@code updateStart}, fixed by the caller when the update began. On success the new
     * state is saved to the store and returned; on any failure the trusted state is unchanged.
     *
     * @param source where to fetch files from; never {@code null}
     * @param updateStart the start of this update, from the caller's clock; never {@code null}
     * @return the new trusted metadata; never {@code null}
     * @throws TrustException if the fetched metadata is not trustworthy (see its subclasses)
     * @throws IOException if fetching or saving failed
     *
     * <p>As TUF requires, every root of the rotation chain and a new timestamp are saved as
     * soon as each is verified, even when a later step fails (they only ever move forward);
     * {@link #current()} keeps describing the last complete update until one succeeds.
     */
    TrustedMetadata refresh(MetadataSource source, Instant updateStart) throws TrustException, IOException;

    /**
     * Fetches and verifies the delegated targets role holding the patches of one kernel, and
     * nothing else: a client downloads the top-level metadata (in {@link #refresh}) plus this one
     * role file, not the targets of every kernel the publisher serves. Which role holds a kernel
     * is the implementation's delegation scheme (the default maps a kernel series, release and
     * architecture, to one role). Call after a successful {@link #refresh}, with the same
     * {@code updateStart}. The role version comes from the trusted snapshot; an unchanged role
     * saved by an earlier call is reused without a download.
     *
     * @param kernel the machine's kernel; never {@code null}
     * @param source where to fetch the role file from; never {@code null}
     * @param updateStart the start time of the update; expiries are checked against it
     * @return the kernel's verified targets; empty if the publisher delegates no role to this
     *     kernel (the kernel is not supported)
     * @throws TrustException if the role file is not trustworthy, or no refresh succeeded yet
     *     ({@link TrustException.Reason#UNKNOWN_TARGET}), or the current metadata has expired
     * @throws IOException if fetching or saving failed
     */
    Optional<DelegatedTargets> targetsFor(KernelId kernel, MetadataSource source, Instant updateStart)
            throws TrustException, IOException;

    /**
     * Fetches and verifies one delegated targets role by name, as {@link #targetsFor} does for
     * a kernel's role. For servers that mirror every role; the names are in
     * {@link TrustedMetadata#delegatedRoles()}.
     *
     * @param role a role delegated by the top-level targets role
     * @throws TrustException if the role is not delegated or listed in the snapshot
     *     ({@link TrustException.Reason#UNKNOWN_TARGET}), or its file is not trustworthy
     * @throws IOException if fetching or saving failed
     */
    DelegatedTargets delegatedTargets(String role, MetadataSource source, Instant updateStart)
            throws TrustException, IOException;

    /**
     * Announces to {@code source} ({@link MetadataSource#expect}) the files that
     * {@link #delegatedTargets} will fetch for these roles, in this order: those whose verified
     * copy this verifier does not hold yet. Verifies nothing and changes no state; call after a
     * successful {@link #refresh}, then ask for the roles in the same order.
     *
     * @param roles delegated roles, in the order they will be asked for; unknown ones are skipped
     * @since 1.1
     */
    default void expectDelegated(List<String> roles, MetadataSource source) {
        // an implementation that cannot name the files announces nothing
    }
}
