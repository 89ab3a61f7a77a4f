package io.patchfleet.trust.tuf;

/**
 * Size caps on every metadata download (TUF attack 7, endless data) and the cap on root
 * rotations followed in one update. A file longer than its cap is refused before parsing;
 * where signed metadata states a file's length (timestamp for snapshot, snapshot for targets
 * roles), that exact length is the cap instead, if smaller.
 *
 * @param rootMaxBytes cap for each {@code N.root.json}
 * @param timestampMaxBytes cap for {@code timestamp.json}
 * @param snapshotMaxBytes cap for the snapshot
 * @param targetsMaxBytes cap for the top-level targets
 * @param delegatedMaxBytes cap for one delegated targets role (one kernel series)
 * @param directiveMaxBytes cap for one directive
 * @param maxRootRotations the most new roots fetched in one update
 */
public record TufLimits(long rootMaxBytes, long timestampMaxBytes, long snapshotMaxBytes, long targetsMaxBytes,
        long delegatedMaxBytes, long directiveMaxBytes, int maxRootRotations) {
    /** Root 512 KiB, timestamp 16 KiB, snapshot 2 MiB, targets 4 MiB, delegated 1 MiB, directive 16 KiB, 32 roots. */
    public static final TufLimits DEFAULTS = new TufLimits(512 * 1024, 16 * 1024, 2 * 1024 * 1024, 4 * 1024 * 1024,
            1024 * 1024, 16 * 1024, 32);

    public TufLimits {
        if (rootMaxBytes < 1 || timestampMaxBytes < 1 || snapshotMaxBytes < 1 || targetsMaxBytes < 1
                || delegatedMaxBytes < 1 || directiveMaxBytes < 1 || maxRootRotations < 1) {
            throw new IllegalArgumentException("TUF limits must be positive");
        }
    }
}
