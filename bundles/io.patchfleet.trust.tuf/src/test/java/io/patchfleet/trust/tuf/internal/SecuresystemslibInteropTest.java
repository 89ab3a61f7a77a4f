package io.patchfleet.trust.tuf.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.patchfleet.model.Sha256;
import io.patchfleet.trust.api.KeyId;
import io.patchfleet.trust.api.MetadataFile;
import io.patchfleet.trust.api.RoleKeys;
import io.patchfleet.trust.api.RoleName;
import io.patchfleet.trust.api.SigningKey;
import io.patchfleet.trust.api.TrustAnchor;
import io.patchfleet.trust.api.TrustKey;
import io.patchfleet.trust.api.TrustedMetadata;
import io.patchfleet.trust.api.VerifiedTarget;
import io.patchfleet.trust.tuf.LocalSigningKey;
import io.patchfleet.trust.tuf.RepositoryDirectory;
import io.patchfleet.trust.tuf.TargetVerification;
import io.patchfleet.trust.tuf.TufLimits;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interoperability with an implementation nobody here wrote: Debian's python3-securesystemslib
 * (0.26, bookworm), run by Debian's {@code /usr/bin/python3} (another python3 earlier on the
 * PATH may lack the module). The scripts are in {@code src/test/resources/interop/}.
 *
 * <p>In CI ({@code CI=true}) a missing module fails the test: {@code .ci/run} installs it. Elsewhere
 * the test is skipped with a message saying how to install it.
 */
class SecuresystemslibInteropTest {
    static final String PYTHON = "/usr/bin/python3";

    @TempDir
    Path dir;

    @BeforeAll
    static void requireSecuresystemslib() throws Exception {
        String problem = null;
        if (!Files.isExecutable(Path.of(PYTHON))) {
            problem = PYTHON + " does not exist";
        } else {
            Result r = run(List.of(PYTHON, "-c", "import securesystemslib, securesystemslib.keys; print(securesystemslib.__version__)"));
            if (r.code != 0) {
                problem = PYTHON + " cannot import securesystemslib: " + r.output.strip();
            }
        }
        if (problem != null) {
            String message = problem + " (install Debian's package: apt-get install -y python3-securesystemslib)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail("CI=true and the interoperability test cannot run: " + message);
            }
            Assumptions.abort("skipped outside CI: " + message);
        }
    }

    record Result(int code, String output) {}

    static Result run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            out = in.readAllBytes();
        }
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("timed out: " + command);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    Path script(String name) throws IOException {
        Path target = dir.resolve(name);
        try (InputStream in = getClass().getResourceAsStream("/interop/" + name)) {
            Files.copy(in, target);
        }
        return target;
    }

    @Test
    void javaVerifiesARepositorySignedBySecuresystemslib() throws Exception {
        Path repoDir = dir.resolve("repo");
        Result r = run(List.of(PYTHON, script("sslib_repository.py").toString(), repoDir.toString()));
        assertEquals(0, r.code, r.output);
        List<String> sslibKeyIds = r.output.strip().lines().toList();
        assertEquals(2, sslibKeyIds.size(), r.output);

        // the full client workflow from the pinned root: root, timestamp, snapshot, targets
        RepositoryDirectory repo = RepositoryDirectory.repository(repoDir);
        MetadataFile root1 = repo.fetch("1.root.json", Long.MAX_VALUE).orElseThrow();
        Fixture.MemoryStore store = new Fixture.MemoryStore();
        store.save(RoleName.ROOT, root1);
        TufVerifier client = new TufVerifier(TrustAnchor.pinned(Sha256.digestOf(root1.content())), store, TufLimits.DEFAULTS);
        TrustedMetadata md = client.refresh(repo, Instant.now());

        // key ids as securesystemslib computes them (its keyid_hash_algorithms field included)
        Set<KeyId> rootKeys = md.root().roles().get(RoleName.ROOT).keyIds();
        assertEquals(Set.of(new KeyId(sslibKeyIds.get(0)), new KeyId(sslibKeyIds.get(1))), rootKeys);
        assertEquals(2, md.root().roles().get(RoleName.TIMESTAMP).threshold());
        VerifiedTarget target = md.target("files/interop.ko").orElseThrow();
        assertTrue(target.hashes().containsKey("sha512"));
        TargetVerification.verify(target, repoDir.resolve("targets/files/interop.ko"));

        // canonical JSON of awkward strings: Java re-encodes what Python signed, both signatures count
        Signed tricky = Signed.parse(Files.readAllBytes(repoDir.resolve("tricky.json")), "tricky.json", 1 << 20, "interop");
        Signed parsedRoot = Signed.parse(root1.content(), "1.root.json", 1 << 20, "root");
        Map<KeyId, TrustKey> keys = Metadata.root(parsedRoot).keys();
        assertEquals(rootKeys, tricky.validSigners(keys, new RoleKeys(rootKeys, 2)),
                "Java's canonical form of the signed document must equal securesystemslib's");
    }

    @Test
    void securesystemslibVerifiesJavaSignaturesAndCanonicalJson() throws Exception {
        LocalSigningKey ed = LocalSigningKey.generate(LocalSigningKey.Type.ED25519);
        LocalSigningKey ec = LocalSigningKey.generate(LocalSigningKey.Type.ECDSA_P256);
        Map<String, Object> signed = new LinkedHashMap<>();
        signed.put("_type", "timestamp");
        signed.put("spec_version", "1.0.31");
        signed.put("version", 7L);
        signed.put("expires", "2030-01-01T00:00:00Z");
        signed.put("meta", Map.of("snapshot.json", Map.of("version", 3L, "length", 512L,
                "hashes", Map.of("sha256", "ab".repeat(32)))));
        Files.write(dir.resolve("signed.json"), Envelopes.sign(signed, List.<SigningKey>of(ed, ec)));
        Map<String, Object> keys = new TreeMap<>();
        for (LocalSigningKey k : List.of(ed, ec)) {
            keys.put(k.publicKey().id().hex(), Keys.toJson(k.publicKey()));
        }
        Files.write(dir.resolve("keys.json"), CanonicalJson.encodeFile(keys));

        Map<String, Object> value = new LinkedHashMap<>();
        value.put("strings", new ArrayList<>(List.of("plain", "quote \" inside", "back\\slash", "\\\"", "tab\there",
                "new\nline", "\u0001ctl\u001f", "\u007fdel", "caf\u00e9", "\u65e5\u672c\u8a9e", "emoji \uD83D\uDE00",
                "\u2028sep", "/slash/", "", "{}[],:")));
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("b", new ArrayList<>(List.of(1L, -2L, 0L, Long.MAX_VALUE, Long.MIN_VALUE, true, false, Json.NULL,
                Map.of("z", List.of(), "a", Map.of()))));
        nested.put("a\u00e9", "x");
        nested.put("a\uD83D\uDE00", "astral key sorts after U+FFFF"); // code point order, not UTF-16
        nested.put("a\uFFFF", "bmp max");
        nested.put("A", "upper");
        nested.put("", "empty key");
        value.put("nested", nested);
        Files.write(dir.resolve("canonical.bin"), CanonicalJson.encode(value));
        Files.write(dir.resolve("value.json"), CanonicalJson.encodeFile(value));

        Result r = run(List.of(PYTHON, script("sslib_verify.py").toString(), dir.toString()));
        assertEquals(0, r.code, "securesystemslib disagrees:\n" + r.output);
        assertTrue(r.output.startsWith("OK 2 signatures"), r.output);
    }
}
