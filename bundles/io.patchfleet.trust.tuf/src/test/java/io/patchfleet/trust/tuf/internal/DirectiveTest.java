package io.patchfleet.trust.tuf.internal;

import static io.patchfleet.trust.tuf.internal.Fixture.KERNEL;
import static io.patchfleet.trust.tuf.internal.Fixture.T0;
import static io.patchfleet.trust.tuf.internal.Fixture.patch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.model.MachineId;
import io.patchfleet.trust.api.DelegatedTargets;
import io.patchfleet.trust.api.Directive;
import io.patchfleet.trust.api.ExpiredMetadataException;
import io.patchfleet.trust.api.MalformedMetadataException;
import io.patchfleet.trust.api.RollbackException;
import io.patchfleet.trust.api.SignatureException;
import io.patchfleet.trust.api.TargetMismatchException;
import io.patchfleet.trust.api.TrustException;
import io.patchfleet.trust.api.TrustException.Reason;
import io.patchfleet.trust.api.TrustService;
import io.patchfleet.trust.api.VerifiedDirective;
import io.patchfleet.trust.api.VerifiedTarget;
import io.patchfleet.trust.tuf.LocalSigningKey;
import io.patchfleet.trust.tuf.Tuf;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Uptane director checks: the client acts only where directive and publisher agree. */
class DirectiveTest {
    static final MachineId MACHINE = MachineId.of("0123456789abcdef0123456789abcdef");
    static final Instant NOW = T0.plusSeconds(120);

    @TempDir
    Path dir;
    final TrustService trust = Tuf.trustService();
    final LocalSigningKey serverKey = LocalSigningKey.generate(LocalSigningKey.Type.ED25519);
    Map<String, VerifiedTarget> publisher;
    VerifiedTarget v1;
    VerifiedTarget v2;

    @BeforeEach
    void setUp() throws Exception {
        Fixture repo = new Fixture(dir);
        repo.publish(patch(KERNEL, 1), patch(KERNEL, 2).withRevoked(true));
        TufVerifier client = repo.pinnedClient(new Fixture.MemoryStore());
        Fixture.Source source = new Fixture.Source(repo.repo);
        client.refresh(source, NOW);
        DelegatedTargets mine = client.targetsFor(KERNEL, source, NOW).orElseThrow();
        publisher = mine.targets();
        v1 = mine.target(patch(KERNEL, 1).targetName()).orElseThrow();
        v2 = mine.target(patch(KERNEL, 2).targetName()).orElseThrow();
    }

    byte[] signed(Directive d) throws TrustException {
        return trust.signDirective(d, serverKey);
    }

    VerifiedDirective verify(byte[] directive, long lastCounter) throws TrustException {
        return trust.verifyDirective(directive, serverKey.publicKey(), MACHINE, lastCounter, publisher, NOW);
    }

    @Test
    void agreeingDirectiveIsAccepted() throws Exception {
        VerifiedDirective v = verify(signed(Directive.install(MACHINE, v1, 5, T0, T0.plus(Duration.ofDays(1)))), 4);
        assertEquals(v1, v.target().orElseThrow());
        VerifiedDirective none = verify(signed(Directive.none(MACHINE, 6, T0, T0.plus(Duration.ofDays(1)))), 5);
        assertTrue(none.target().isEmpty());
    }

    @Test
    void replayedDirectiveIsRejected() throws Exception {
        byte[] d = signed(Directive.install(MACHINE, v1, 5, T0, T0.plus(Duration.ofDays(1))));
        verify(d, 4);
        RollbackException e = assertThrows(RollbackException.class, () -> verify(d, 5));
        assertTrue(e.getMessage().contains("replayed"), e.getMessage());
    }

    @Test
    void directiveForAnotherMachineIsRejected() throws Exception {
        byte[] d = signed(Directive.install(MachineId.of("other"), v1, 5, T0, T0.plus(Duration.ofDays(1))));
        assertEquals(Reason.WRONG_MACHINE, assertThrows(TrustException.class, () -> verify(d, 0)).reason());
    }

    @Test
    void expiredDirectiveIsRejected() throws Exception {
        byte[] d = signed(Directive.install(MACHINE, v1, 5, T0, NOW));
        assertThrows(ExpiredMetadataException.class, () -> verify(d, 0));
    }

    @Test
    void directiveSignedByAnotherKeyIsRejected() throws Exception {
        byte[] d = trust.signDirective(Directive.install(MACHINE, v1, 5, T0, T0.plus(Duration.ofDays(1))),
                LocalSigningKey.generate(LocalSigningKey.Type.ED25519));
        assertThrows(SignatureException.class, () -> verify(d, 0));
    }

    @Test
    void compromisedDirectorCannotNameBytesThePublisherDidNotSign() throws Exception {
        Map<String, String> otherHash = new HashMap<>(v1.hashes());
        otherHash.put("sha256", "00".repeat(32));
        Directive wrongHash = new Directive(MACHINE, Optional.of(new Directive.Target(v1.name(), v1.length(), otherHash)),
                5, T0, T0.plus(Duration.ofDays(1)));
        assertEquals(Reason.HASH_MISMATCH, assertThrows(TargetMismatchException.class,
                () -> verify(signed(wrongHash), 0)).reason());
        Directive wrongLength = new Directive(MACHINE, Optional.of(new Directive.Target(v1.name(), v1.length() + 1,
                v1.hashes())), 5, T0, T0.plus(Duration.ofDays(1)));
        assertEquals(Reason.LENGTH_MISMATCH, assertThrows(TargetMismatchException.class,
                () -> verify(signed(wrongLength), 0)).reason());
        Directive unknown = new Directive(MACHINE, Optional.of(new Directive.Target("5.15.0-91-generic/x86_64/evil.ko",
                v1.length(), v1.hashes())), 5, T0, T0.plus(Duration.ofDays(1)));
        assertEquals(Reason.UNKNOWN_TARGET, assertThrows(TargetMismatchException.class,
                () -> verify(signed(unknown), 0)).reason());
        TargetMismatchException revoked = assertThrows(TargetMismatchException.class,
                () -> verify(signed(Directive.install(MACHINE, v2, 5, T0, T0.plus(Duration.ofDays(1)))), 0));
        assertTrue(revoked.getMessage().contains("revoked"), revoked.getMessage());
    }

    @Test
    void tamperedOrMalformedDirectiveIsRejected() throws Exception {
        String d = new String(signed(Directive.install(MACHINE, v1, 5, T0, T0.plus(Duration.ofDays(1)))),
                StandardCharsets.UTF_8);
        assertThrows(SignatureException.class, () -> verify(d.replace("\"counter\":5", "\"counter\":50")
                .getBytes(StandardCharsets.UTF_8), 0));
        assertThrows(MalformedMetadataException.class, () -> verify(d.replace("\"counter\":5", "\"counter\":5.0")
                .getBytes(StandardCharsets.UTF_8), 0));
        assertThrows(MalformedMetadataException.class, () -> verify(d.replace("\"length\":", "\"size\":")
                .getBytes(StandardCharsets.UTF_8), 0));
    }
}
