package io.patchfleet.sync.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.trust.api.MetadataFile;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SyncValuesTest {

    @Test
    void cursorIsBoundedPrintableToken() {
        assertTrue(SyncCursor.START.isStart());
        assertFalse(new SyncCursor("v=42;t=abc").isStart());
        assertThrows(IllegalArgumentException.class, () -> new SyncCursor("a b"));
        assertThrows(IllegalArgumentException.class, () -> new SyncCursor("a\nb"));
        assertThrows(IllegalArgumentException.class, () -> new SyncCursor("x".repeat(1025)));
    }

    @Test
    void changeSetCopiesLists() {
        List<MetadataFile> files = new ArrayList<>(List.of(new MetadataFile("timestamp.json", new byte[] {'{', '}'})));
        ChangeSet c = new ChangeSet(files, List.of(), new SyncCursor("1"), false);
        files.clear();
        assertEquals(1, c.metadata().size());
        assertTrue(new ChangeSet(List.of(), List.of(), SyncCursor.START, false).isEmpty());
    }

    @Test
    void statusRejectsNegativeCountsAndRetryableReasonsAreTransient() {
        assertThrows(IllegalArgumentException.class, () -> new SyncStatus(SyncStatus.State.IDLE, Optional.empty(),
                Optional.empty(), Optional.empty(), SyncCursor.START, -1, 0, 0, Duration.ZERO));
        assertTrue(new SyncException(SyncException.Reason.UNREACHABLE, "x").isRetryable());
        assertFalse(new SyncException(SyncException.Reason.UNAUTHORIZED, "x").isRetryable());
        assertFalse(new SyncException(SyncException.Reason.VERIFICATION_FAILED, "x").isRetryable());
    }
}
