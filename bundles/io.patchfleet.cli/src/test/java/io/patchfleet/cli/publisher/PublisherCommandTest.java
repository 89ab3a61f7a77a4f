package io.patchfleet.cli.publisher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.patchfleet.cli.ExitCodes;
import io.patchfleet.kernel.simulated.SimulatedModules;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code patchfleet publisher} end to end, in process, on a repository in a temp folder. */
class PublisherCommandTest {
    static final String RELEASE = "5.15.0-91-generic";
    static final String TARGET = RELEASE + "/x86_64/lkp_5_15_0_91-1.ko";

    @TempDir
    Path dir;
    Path repo;
    final Map<String, String> env = new HashMap<>();
    String out;
    String err;

    @BeforeEach
    void setUp() {
        repo = dir.resolve("repo");
        env.put(PublisherCommand.PASSPHRASE_ENV, "correct horse battery staple");
    }

    int run(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        CommandLine cl = new CommandLine(new PublisherCommand(env::get));
        cl.setOut(new PrintWriter(o));
        cl.setErr(new PrintWriter(e));
        int code = cl.execute(args);
        out = o.toString();
        err = e.toString();
        return code;
    }

    void ok(String... args) {
        assertEquals(ExitCodes.OK, run(args), () -> String.join(" ", args) + "\nout: " + out + "\nerr: " + err);
    }

    Path module(String name, String release, SimulatedModules.Flag... flags) throws Exception {
        return SimulatedModules.write(dir.resolve(name + ".ko"), name, release, "x86_64", flags);
    }

    JsonNode statusJson() throws Exception {
        ok("status", "--repo", repo.toString(), "--format", "json");
        return new ObjectMapper().readTree(out);
    }

    @Test
    void initAddVerifyTamperRevokeRotate() throws Exception {
        // given a new repository with encrypted keys
        ok("init", "--repo", repo.toString());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(repo.resolve("keys"))));
        try (Stream<Path> keys = Files.list(repo.resolve("keys"))) {
            for (Path k : keys.toList()) {
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(k)), k.toString());
                assertTrue(Files.readString(k).contains("\"ciphertext\""), k + " must be encrypted");
            }
        }
        ok("verify", "--repo", repo.toString());

        // when a livepatch module is added
        ok("add", "--repo", repo.toString(), "--cve", "CVE-2024-1086:high", "--description", "nf_tables",
                module("lkp_5_15_0_91", RELEASE).toString());
        assertTrue(out.contains(TARGET), out);
        Path target = repo.resolve("targets").resolve(TARGET);
        assertTrue(Files.isRegularFile(target));
        ok("verify", "--repo", repo.toString());
        assertTrue(out.startsWith("OK:") && out.contains("1 target(s)"), out);

        // a changed byte in a target is found and named
        byte[] good = Files.readAllBytes(target);
        byte[] bad = good.clone();
        bad[bad.length / 2] ^= 1;
        Files.write(target, bad);
        assertEquals(ExitCodes.VERIFY_FAILED, run("verify", "--repo", repo.toString()));
        assertTrue(err.contains("target " + TARGET) && err.contains("SHA-256"), err);
        Files.write(target, good);
        ok("verify", "--repo", repo.toString());

        // a revoked patch stays listed, marked revoked
        ok("revoke", "--repo", repo.toString(), RELEASE, "x86_64", "1");
        JsonNode status = statusJson();
        JsonNode t = status.path("targets").get(0);
        assertEquals(TARGET, t.path("name").asText());
        assertTrue(t.path("revoked").asBoolean(), status.toString());
        assertEquals("CVE-2024-1086:high", t.path("cves").get(0).asText());
        assertEquals("kernel-" + RELEASE + "-x86_64", status.path("kernels").get(0).path("role").asText());
        assertEquals(1, status.path("kernels").get(0).path("revoked").asInt());
        ok("revoke", "--repo", repo.toString(), "--target", TARGET);
        assertTrue(out.contains("already revoked"), out);

        // a second patch version supersedes the first (replace=Y)
        ok("add", "--repo", repo.toString(), module("lkp_5_15_0_91", RELEASE).toString());
        assertTrue(out.contains("patch version 2 (supersedes 1)"), out);

        // root and timestamp key rotation keep the repository verifiable from root 1
        ok("rotate-key", "--repo", repo.toString(), "root", "--keys", "2", "--threshold", "2");
        ok("rotate-key", "--repo", repo.toString(), "timestamp");
        ok("rotate-key", "--repo", repo.toString(), "targets");
        ok("verify", "--repo", repo.toString(), "--format", "json");
        JsonNode v = new ObjectMapper().readTree(out);
        assertTrue(v.path("ok").asBoolean(), out);
        assertEquals(4, v.path("rootVersion").asInt());
        assertEquals(2, v.path("targets").asInt());
        JsonNode roles = statusJson().path("roles");
        assertEquals("root", roles.get(0).path("role").asText());
        assertEquals(2, roles.get(0).path("threshold").asInt());
        try (Stream<Path> retired = Files.list(repo.resolve("keys/retired"))) {
            assertEquals(3, retired.count());
        }
        ok("sign", "--repo", repo.toString(), "--root");
        ok("verify", "--repo", repo.toString());
        ok("status", "--repo", repo.toString());
        assertTrue(out.contains("Roles:") && out.contains("Kernels:") && out.contains(TARGET), out);
    }

    @Test
    void wrongOrMissingPassphraseIsACleanError() throws Exception {
        ok("init", "--repo", repo.toString());
        Path pass = Files.writeString(dir.resolve("pass"), "not the passphrase\n");
        Path ko = module("lkp_a", RELEASE);
        assertEquals(ExitCodes.KEY_UNAVAILABLE, run("add", "--repo", repo.toString(), "--passphrase-file", pass.toString(),
                ko.toString()));
        assertTrue(err.contains("wrong passphrase"), err);
        assertFalse(Files.exists(repo.resolve("targets").resolve(RELEASE)), "nothing published on failure");

        env.clear(); // no file, no environment, no terminal in a test
        assertEquals(ExitCodes.KEY_UNAVAILABLE, run("sign", "--repo", repo.toString()));
        assertTrue(err.contains("no passphrase was given") && err.contains(PublisherCommand.PASSPHRASE_ENV), err);

        Files.writeString(pass, "correct horse battery staple\n");
        ok("add", "--repo", repo.toString(), "--passphrase-file", pass.toString(), ko.toString());
    }

    @Test
    void nonLivepatchModulesAndOtherFilesAreRefused() throws Exception {
        ok("init", "--repo", repo.toString(), "--insecure-plain-keys");
        Path plain = module("e1000e", RELEASE, SimulatedModules.Flag.NOT_LIVEPATCH);
        assertEquals(ExitCodes.FAILED, run("add", "--repo", repo.toString(), plain.toString()));
        assertTrue(err.contains("not a livepatch module"), err);
        Path text = Files.writeString(dir.resolve("notes.ko"), "hello, not an ELF file");
        assertEquals(ExitCodes.FAILED, run("add", "--repo", repo.toString(), text.toString()));
        assertTrue(err.contains("not an ELF file"), err);
        assertEquals(0, statusJson().path("targets").size());
        assertFalse(Files.exists(repo.resolve("targets")));
    }

    @Test
    void plainEcdsaKeysWithThresholdsAndMissingKeys() throws Exception {
        env.clear();
        ok("init", "--repo", repo.toString(), "--insecure-plain-keys", "--key-type", "ecdsa", "--keys", "2",
                "--threshold", "2");
        ok("add", "--repo", repo.toString(), module("lkp_b", "6.8.0-40-generic").toString());
        ok("verify", "--repo", repo.toString());
        assertEquals(ExitCodes.FAILED, run("init", "--repo", repo.toString(), "--insecure-plain-keys"));
        assertTrue(err.contains("already holds a repository"), err);

        // one of two targets keys gone: the threshold cannot be met
        try (Stream<Path> keys = Files.list(repo.resolve("keys"))) {
            Files.delete(keys.filter(p -> p.getFileName().toString().startsWith("targets-")).findFirst().orElseThrow());
        }
        assertEquals(ExitCodes.KEY_UNAVAILABLE, run("add", "--repo", repo.toString(), module("lkp_c", RELEASE).toString()));
        assertTrue(err.contains("missing keys for role targets"), err);
    }

    @Test
    void expiredMetadataFailsVerificationWithAHint() throws Exception {
        ok("init", "--repo", repo.toString(), "--insecure-plain-keys", "--timestamp-expiry", "1");
        assertEquals(ExitCodes.VERIFY_FAILED, run("verify", "--repo", repo.toString(), "--at", "2099-01-01T00:00:00Z"));
        assertTrue(err.contains("expired") && err.contains("patchfleet publisher sign"), err);
    }

    @Test
    void missingRepositoryAndBadUsage() {
        assertEquals(ExitCodes.FAILED, run("status", "--repo", repo.toString()));
        assertTrue(err.contains("publisher init"), err);
        assertEquals(ExitCodes.USAGE, run("rotate-key", "--repo", repo.toString()));
        assertEquals(ExitCodes.USAGE, run("add", "--repo", repo.toString(), "--bogus", "x.ko"));
    }

    @Test
    void everyVerbHasHelpWithAnExample() {
        for (String verb : List.of("init", "add", "revoke", "sign", "rotate-key", "verify", "status")) {
            ok(verb, "--help");
            assertTrue(out.contains("Example:") && out.contains("Exit codes:") && out.contains("--repo"), verb + ": " + out);
        }
    }
}
