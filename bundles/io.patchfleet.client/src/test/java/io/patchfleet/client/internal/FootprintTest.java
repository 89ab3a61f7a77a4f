package io.patchfleet.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the footprint work cached or moved must behave as before: the enrollment read once is
 * never stale, and the class-data archive is written once, whole, or not at all.
 */
class FootprintTest {

    @TempDir
    Path dir;

    private static Enrollment enrollment(String server) {
        return new Enrollment("0123456789abcdef0123456789abcdef", "secret", server, "stable", Map.of("keytype", "ed25519"),
                null, true, "2026-11-26T00:00:00Z");
    }

    @Test
    void theCachedEnrollmentFollowsEveryChangeOfTheFile() throws IOException {
        ClientFiles files = new ClientFiles(dir.resolve("client"));
        assertEquals(Optional.empty(), files.enrollment(), "not enabled");

        JsonFiles.write(files.enrollment, enrollment("http://a.example"));
        assertEquals("http://a.example", files.enrollment().orElseThrow().server());
        assertEquals("http://a.example", files.enrollment().orElseThrow().server(), "unchanged file, same answer");

        // Replaced whole (enable again) with content of the same length: another inode.
        JsonFiles.write(files.enrollment, enrollment("http://b.example"));
        assertEquals("http://b.example", files.enrollment().orElseThrow().server());

        // Edited in place by hand, same inode: another size or modification time.
        String edited = Files.readString(files.enrollment).replace("http://b.example", "http://bb.example");
        Files.writeString(files.enrollment, edited);
        assertEquals("http://bb.example", files.enrollment().orElseThrow().server());

        files.deleteEnrollment(); // disable
        assertEquals(Optional.empty(), files.enrollment());
        JsonFiles.write(files.enrollment, enrollment("http://a.example"));
        assertEquals("http://a.example", files.enrollment().orElseThrow().server(), "enabled again after disable");
    }

    /** A stand-in for jcmd: writes its 4th argument (the archive) unless told to fail; logs each call. */
    private Path fakeJcmd(boolean fail) throws IOException {
        Path script = dir.resolve(fail ? "jcmd-failing" : "jcmd");
        String body = "#!/bin/sh\necho \"$@\" >> '" + dir.resolve("calls") + "'\n"
                + (fail ? "exit 1\n" : "[ \"$2\" = VM.cds ] && [ \"$3\" = dynamic_dump ] || exit 2\nprintf 'archive' > \"$4\"\n");
        Files.writeString(script, body, StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }

    private long calls() throws IOException {
        Path calls = dir.resolve("calls");
        return Files.exists(calls) ? Files.readAllLines(calls).size() : 0;
    }

    private long partFiles() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().contains(".part.")).count();
        }
    }

    @Test
    void anArchiveIsRequestedOnlyWithAFileAndJcmd() {
        assertNull(ClassDataArchive.requested(null, "/usr/bin/jcmd"));
        assertNull(ClassDataArchive.requested("/tmp/a.jsa", null));
        assertNull(ClassDataArchive.requested(" ", "/usr/bin/jcmd"));
    }

    @Test
    void theArchiveIsDumpedForThisProcessAndMovedIntoPlaceOnce() throws IOException {
        Path archive = dir.resolve("client-1.jsa");
        ClassDataArchive cds = ClassDataArchive.requested(archive.toString(), fakeJcmd(false).toString());
        cds.afterCheckIn();
        assertEquals("archive", Files.readString(archive));
        assertEquals(0, partFiles(), "written under a temporary name, then moved");
        String call = Files.readAllLines(dir.resolve("calls")).get(0);
        assertTrue(call.startsWith(ProcessHandle.current().pid() + " VM.cds dynamic_dump "), call);

        cds.afterCheckIn();
        assertEquals(1, calls(), "later check-ins write nothing");
    }

    @Test
    void anArchiveAnotherProcessWroteIsKept() throws IOException {
        Path archive = dir.resolve("client-1.jsa");
        Files.writeString(archive, "theirs");
        ClassDataArchive.requested(archive.toString(), fakeJcmd(false).toString()).afterCheckIn();
        assertEquals("theirs", Files.readString(archive));
        assertEquals(0, calls());
    }

    @Test
    void aFailedDumpLeavesNoArchiveAndNoPart() throws IOException {
        Path archive = dir.resolve("client-1.jsa");
        ClassDataArchive.requested(archive.toString(), fakeJcmd(true).toString()).afterCheckIn();
        assertFalse(Files.exists(archive));
        assertEquals(0, partFiles());
        assertEquals(1, calls());
    }

    @Test
    void theLoadedClassesAreReadFromJcmdsClassHierarchy() throws Exception {
        assertEquals("java.util.ListIterator", ClassDataArchive.classNameOf("|  |--java.util.ListIterator/null (intf)"));
        assertEquals("org.slf4j.Logger", ClassDataArchive.classNameOf("|--org.slf4j.Logger/0x00007f901c113d30 (intf)"));
        assertEquals("java.lang.Object", ClassDataArchive.classNameOf("java.lang.Object/null"));
        assertNull(ClassDataArchive.classNameOf("|--a.B$$Lambda$55/0x0000000800c0b2c8/0x00007f901c113d30"), "hidden class");
        assertNull(ClassDataArchive.classNameOf("12345:"));

        // the real jcmd beside this JVM's java, on this JVM
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(jcmd), "no jcmd in " + jcmd);
        java.util.List<String> names = ClassDataArchive.loadedClassNames(jcmd, ProcessHandle.current().pid());
        assertTrue(names.contains("java.lang.String"), "JDK classes");
        assertTrue(names.contains(FootprintTest.class.getName()), "this test's class");
        assertTrue(names.stream().noneMatch(n -> n.contains("/") || n.contains("$$Lambda")), "no hidden classes");
    }
}
