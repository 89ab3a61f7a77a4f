package io.patchfleet.trust.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A private key able to sign, kept wherever the publisher keeps offline keys (a file unlocked
 * for one command, a hardware token). Implemented by the publisher tooling; the platform never
 * sees the key material.
 *
 * <p>May be called from any thread, one signature at a time. Never returns {@code null}.
 */
@ConsumerType
public interface SigningKey {

    /** The public half, as it appears in root metadata. */
    TrustKey publicKey();

    /**
     * Signs {@code message} (the canonical JSON of a metadata {@code signed} object) with the
     * key's scheme.
     *
     * @return the raw signature bytes
     * @throws TrustException with {@link TrustException.Reason#SIGNING_FAILED} if the key is
     *     unavailable or refuses
     */
    byte[] sign(byte[] message) throws TrustException;
}
