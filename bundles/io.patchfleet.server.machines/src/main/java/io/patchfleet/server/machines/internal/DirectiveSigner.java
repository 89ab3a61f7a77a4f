package io.patchfleet.server.machines.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.patchfleet.trust.api.Directive;
import io.patchfleet.trust.api.TrustException;
import io.patchfleet.trust.api.TrustKey;
import io.patchfleet.trust.api.TrustService;
import io.patchfleet.trust.tuf.KeyFileException;
import io.patchfleet.trust.tuf.KeyFiles;
import io.patchfleet.trust.tuf.LocalSigningKey;

/**
 * The on-prem server's own directive key (DESIGN.md §2): created on first start as
 * {@code DATA/keys/directive.key} (owner-only; an unattended server cannot type a passphrase, so
 * the file's permissions are its protection), handed to machines at enrollment, and used to sign
 * every directive. A compromise of this key lets an attacker withhold patches or pick among
 * publisher-signed ones, never inject code: clients check every directive against the
 * publisher's targets.
 */
@Component(service = DirectiveSigner.class)
public class DirectiveSigner {
    private static final Logger LOG = LoggerFactory.getLogger(DirectiveSigner.class);

    private final TrustService trust;
    private final LocalSigningKey key;
    /** Strictly increasing, and ahead of the clock's microseconds so a restart never repeats a counter. */
    private final AtomicLong counter = new AtomicLong();

    @Activate
    public DirectiveSigner(BundleContext context, @Reference TrustService trust) throws IOException, KeyFileException {
        this.trust = trust;
        this.key = loadOrCreate(Path.of(context.getProperty("patchfleet.data"), "keys", "directive.key"));
    }

    DirectiveSigner(TrustService trust, LocalSigningKey key) {
        this.trust = trust;
        this.key = key;
    }

    static LocalSigningKey loadOrCreate(Path file) throws IOException, KeyFileException {
        if (Files.exists(file)) {
            return KeyFiles.read(file, null);
        }
        Files.createDirectories(file.getParent());
        Files.setPosixFilePermissions(file.getParent(), PosixFilePermissions.fromString("rwx------"));
        LocalSigningKey key = LocalSigningKey.generate(LocalSigningKey.Type.ED25519);
        KeyFiles.writePlain(file, key);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        LOG.info("Created the directive key {} (key id {})", file, key.publicKey().id());
        return key;
    }

    TrustKey publicKey() {
        return key.publicKey();
    }

    /** The public key as a TUF key object, as machines pin it. */
    Map<String, Object> publicKeyObject() {
        TrustKey k = key.publicKey();
        Map<String, Object> object = new LinkedHashMap<>();
        object.put("keytype", k.keyType());
        object.put("scheme", k.scheme());
        object.put("keyval", Map.of("public", k.publicKey()));
        return object;
    }

    long nextCounter() {
        long now = System.currentTimeMillis() * 1000;
        return counter.updateAndGet(previous -> Math.max(previous + 1, now));
    }

    byte[] sign(Directive directive) throws TrustException {
        return trust.signDirective(directive, key);
    }
}
