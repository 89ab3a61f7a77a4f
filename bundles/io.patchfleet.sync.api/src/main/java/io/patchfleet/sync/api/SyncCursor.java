package io.patchfleet.sync.api;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where the last sync from a source stopped: an opaque token the source hands out and gets
 * back, stored by the sync service after each committed batch so that sync resumes instead of
 * starting over.
 *
 * @param value the source's token, 0–1024 printable ASCII characters; empty means "from the
 *     beginning" ({@link #START})
 */
public record SyncCursor(String value) {
    private static final Pattern TOKEN = Pattern.compile("[\\x21-\\x7e]{0,1024}");

    /** Sync from the beginning. */
    public static final SyncCursor START = new SyncCursor("");

    public SyncCursor {
        Objects.requireNonNull(value, "sync cursor");
        if (!TOKEN.matcher(value).matches()) {
            throw new IllegalArgumentException("sync cursor must be at most 1024 printable ASCII characters without spaces");
        }
    }

    /** Whether this is {@link #START}. */
    public boolean isStart() {
        return value.isEmpty();
    }
}
