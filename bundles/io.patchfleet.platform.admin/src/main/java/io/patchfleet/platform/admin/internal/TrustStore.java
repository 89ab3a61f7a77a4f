package io.patchfleet.platform.admin.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.LinkedHashMap;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.patchfleet.platform.admin.PluginException;
import io.patchfleet.platform.admin.PluginSignature;

/**
 * The plugin trust store: a folder of Ed25519 public keys, one PEM file per signer
 * ({@code NAME.pub}; the file name is the signer's name shown in bundle lists). Read on every
 * check, so adding or removing a key file takes effect at once, without a restart.
 */
final class TrustStore {
    private static final Logger LOG = LoggerFactory.getLogger(TrustStore.class);

    record Signer(String name, PublicKey key) {}

    private final Path folder;

    TrustStore(Path folder) {
        this.folder = folder;
    }

    Path folder() {
        return folder;
    }

    /** Trusted keys by key id. A file that is not an Ed25519 public key is skipped with a warning. */
    Map<String, Signer> keys() {
        Map<String, Signer> keys = new LinkedHashMap<>();
        if (!Files.isDirectory(folder)) {
            return keys;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, "*.pub")) {
            for (Path file : files) {
                try {
                    PublicKey key = PluginSignature.readPublicKey(Files.readString(file, StandardCharsets.US_ASCII));
                    String name = file.getFileName().toString();
                    keys.put(PluginSignature.keyId(key), new Signer(name.substring(0, name.length() - 4), key));
                } catch (GeneralSecurityException | IOException e) {
                    LOG.warn("Plugin trust store: {} is not an Ed25519 public key in PEM, skipped: {}", file, e.getMessage());
                }
            }
        } catch (IOException e) {
            LOG.warn("Plugin trust store {} cannot be read: {}", folder, e.getMessage());
        }
        return keys;
    }

    /**
     * Checks a jar's detached signature against the trusted keys.
     *
     * @return the signer's name; {@code unsigned} when there is no valid signature and
     *     {@code allowUnsigned} is on
     * @throws PluginException unsigned, bad-signature or untrusted-key, with a message that says
     *     what to do
     */
    String check(byte[] jar, byte[] signature, boolean allowUnsigned) throws PluginException {
        if (signature == null || signature.length == 0) {
            if (allowUnsigned) {
                return "unsigned";
            }
            throw new PluginException("unsigned", "The plugin is not signed: sign it with 'patchfleet publisher plugin sign' "
                    + "and send its .sig with it (unsigned plugins are refused unless allow.unsigned is on, for development only)");
        }
        PluginSignature parsed;
        try {
            parsed = PluginSignature.parse(signature);
        } catch (IllegalArgumentException e) {
            if (allowUnsigned) {
                return "unsigned";
            }
            throw new PluginException("bad-signature", "The plugin's signature file is invalid: " + e.getMessage());
        }
        Signer signer = keys().get(parsed.keyId());
        if (signer == null) {
            if (allowUnsigned) {
                return "unsigned";
            }
            throw new PluginException("untrusted-key", "The plugin is signed by key " + parsed.keyId().substring(0, 16)
                    + "…, which is not in the plugin trust store (" + folder + "); add the signer's public key there to trust it");
        }
        if (!parsed.sha256().equals(PluginSignature.sha256Hex(jar))) {
            throw new PluginException("bad-signature", "The plugin's bytes do not match its signature (SHA-256 differs): "
                    + "the jar was changed after signing or the .sig belongs to another jar");
        }
        if (!parsed.verifies(jar, signer.key())) {
            throw new PluginException("bad-signature", "The plugin's signature does not verify with the key of " + signer.name()
                    + ": it was forged or damaged");
        }
        return signer.name();
    }
}
