package io.patchfleet.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.patchfleet.client.internal.AgentState.AppliedPatch;
import io.patchfleet.protocol.CheckInRequest.WireEvent;

/** The client's files: atomic writes, a durable event queue, the crash guard's marker, the machine id. */
class ClientStateTest {
    @TempDir
    Path dir;

    @Test
    void stateSurvivesARestartAndAnInterruptedWriteLeavesTheOldContent() throws Exception {
        ClientFiles files = new ClientFiles(dir);
        AppliedPatch patch = new AppliedPatch("lkp_1", 3, "6.1.0-56-amd64/x86_64/lkp_1.ko", "ab".repeat(32), 10, "/x",
                List.of(Map.of("id", "CVE-2024-1086", "severity", "high")), "fix", "2026-01-01T00:00:00Z");
        files.save(AgentState.initial().withApplied(patch, null).withCounter(7));

        // kill -9 between writing the temporary file and the rename: a torn temp file stays behind.
        Files.writeString(dir.resolve(".state.json.tmp"), "{\"applied\": {\"na", StandardCharsets.UTF_8);
        AgentState read = new ClientFiles(dir).state();
        assertEquals(patch, read.applied());
        assertEquals("applied", read.patchState());
        assertEquals(7, read.directiveCounter());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("state.json"))));

        // The next write replaces the torn temp file.
        files.save(read.withPatchState("apply-failed", "x"));
        assertEquals("apply-failed", new ClientFiles(dir).state().patchState());
    }

    @Test
    void eventsStayQueuedUntilACheckInCarryingThemSucceeded() throws Exception {
        EventQueue queue = new EventQueue(dir.resolve("events"));
        queue.append(new WireEvent("before-insert", Instant.now().toString(), 3, "lkp_3"));
        queue.append(new WireEvent("after-insert", Instant.now().toString(), 3, "lkp_3"));
        List<EventQueue.Entry> carried = queue.snapshot();
        queue.append(new WireEvent("health-ping", Instant.now().toString(), 3, "1 min"));

        // The daemon dies before the check-in answered: a new daemon sees all three.
        EventQueue restarted = new EventQueue(dir.resolve("events"));
        assertEquals(3, restarted.snapshot().size());
        assertEquals("before-insert", restarted.snapshot().get(0).event().kind());

        // The check-in succeeded: exactly the events it carried go; the later one stays.
        restarted.acknowledge(carried);
        List<EventQueue.Entry> left = new EventQueue(dir.resolve("events")).snapshot();
        assertEquals(1, left.size());
        assertEquals("health-ping", left.get(0).event().kind());

        // New events are numbered after the ones left, so the order holds.
        restarted.append(new WireEvent("error", Instant.now().toString(), 3, "x"));
        assertEquals(List.of("health-ping", "error"), restarted.snapshot().stream().map(e -> e.event().kind()).toList());
    }

    @Test
    void aTornEventFileIsSkippedAndTheQueueIsBounded() throws Exception {
        EventQueue queue = new EventQueue(dir.resolve("events"));
        Files.writeString(dir.resolve("events").resolve(String.format("%019d.json", 99)), "{\"kind\": \"bef");
        queue = new EventQueue(dir.resolve("events"));
        queue.append(new WireEvent("error", Instant.now().toString(), 0, "x"));
        assertEquals(1, queue.snapshot().size());
        for (int i = 0; i < EventQueue.MAX_EVENTS + 5; i++) {
            queue.append(new WireEvent("health-ping", Instant.now().toString(), 0, "n" + i));
        }
        List<EventQueue.Entry> all = queue.snapshot();
        assertEquals(EventQueue.MAX_EVENTS, all.size());
        assertEquals("n" + (EventQueue.MAX_EVENTS + 4), all.get(all.size() - 1).event().detail(), "the newest are kept");
    }

    @Test
    void theCrashGuardReportsAnInterruptedInsertionOnce() throws Exception {
        CrashGuard guard = new CrashGuard(dir.resolve("apply-attempt.json"));
        assertTrue(guard.takeInterrupted().isEmpty());
        guard.begin(4, "cd".repeat(32), "boot-1", false, Instant.now());
        // The machine dies here; the new daemon finds the marker.
        CrashGuard.Attempt a = new CrashGuard(dir.resolve("apply-attempt.json")).takeInterrupted().orElseThrow();
        assertEquals(4, a.version());
        assertEquals("boot-1", a.bootId());
        assertFalse(a.settling());
        assertTrue(guard.takeInterrupted().isEmpty(), "reported once");

        guard.begin(5, "ef".repeat(32), "boot-2", true, Instant.now());
        guard.end();
        assertTrue(guard.takeInterrupted().isEmpty(), "an insertion that ended leaves no marker");

        Files.writeString(dir.resolve("apply-attempt.json"), "{\"vers");
        assertTrue(guard.takeInterrupted().isEmpty(), "a torn marker was never complete: insertion had not begun");
    }

    @Test
    void theMachineIdComesFromEtcOrIsGeneratedOnce() throws Exception {
        ClientFiles files = new ClientFiles(dir.resolve("client"));
        Path etc = dir.resolve("machine-id");
        Files.writeString(etc, "0123456789abcdef0123456789abcdef\n");
        assertEquals("0123456789abcdef0123456789abcdef", files.machineId(etc));
        Path missing = dir.resolve("none");
        String generated = files.machineId(missing);
        assertTrue(generated.matches("[0-9a-f]{32}"), generated);
        assertEquals(generated, new ClientFiles(dir.resolve("client")).machineId(missing), "stored once");
    }
}
