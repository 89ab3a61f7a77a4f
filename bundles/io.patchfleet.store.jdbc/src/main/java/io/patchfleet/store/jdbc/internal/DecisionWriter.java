package io.patchfleet.store.jdbc.internal;

import io.patchfleet.store.api.RolloutDecision;
import io.patchfleet.store.api.StoreException;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes machines' last rollout decisions (what {@code admin machine show} and the held filters
 * read) in the background, in batches, instead of one transaction per changed decision on the
 * check-in path.
 *
 * <p><b>Why.</b> A decision changes for many machines at once — a wave step, a window opening,
 * the first check-ins after an upgrade that added the columns — and each change was an UPDATE of
 * the wide, many-indexed machines row with its own commit and fsync, on the thread that answers
 * the machine. Here the change goes to the in-memory fleet index at once (so the machine's
 * status is exact immediately) and into this map; a thread writes the map every second, up to
 * {@link #BATCH} rows per transaction, the newest decision per machine winning.
 *
 * <p><b>Durability.</b> A decision is derived, not reported: a crash loses at most the last
 * second's changes, and each such machine's next check-in computes its decision again and, as it
 * then differs from the database's, records it. Reads that filter on decisions in SQL call
 * {@link #flush} first, and {@link #close} writes what is pending.
 */
final class DecisionWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DecisionWriter.class);
    static final int BATCH = 1000;

    private final Database db;
    private final ConcurrentHashMap<String, RolloutDecision> pending = new ConcurrentHashMap<>();
    private final Thread thread;
    private final Object signal = new Object();
    private volatile boolean closed;

    DecisionWriter(Database db) {
        this.db = db;
        this.thread = new Thread(this::run, "patchfleet-decision-writer");
        thread.setDaemon(true);
        thread.start();
    }

    /** Records {@code decision} as machine {@code id}'s newest; written within about a second. */
    void put(String id, RolloutDecision decision) {
        pending.put(id, decision);
        if (pending.size() >= BATCH) {
            synchronized (signal) {
                signal.notifyAll();
            }
        }
    }

    /** The decision waiting to be written for {@code id}, or null. */
    RolloutDecision pending(String id) {
        return pending.get(id);
    }

    /** Writes every pending decision now (returns when they are committed). */
    synchronized void flush() throws StoreException {
        while (!pending.isEmpty()) {
            List<Map.Entry<String, RolloutDecision>> batch = new ArrayList<>(Math.min(BATCH, pending.size()));
            for (Map.Entry<String, RolloutDecision> e : pending.entrySet()) {
                batch.add(Map.entry(e.getKey(), e.getValue()));
                if (batch.size() == BATCH) {
                    break;
                }
            }
            db.inTransaction(c -> {
                try (PreparedStatement ps = c.prepareStatement("UPDATE machines SET decision_outcome = ?, decision_reason = ?, "
                        + "decision_not_before = ?, decision_at = ? WHERE machine_id = ?")) {
                    for (Map.Entry<String, RolloutDecision> e : batch) {
                        RolloutDecision d = e.getValue();
                        ps.setString(1, d.outcome());
                        ps.setString(2, d.reason());
                        if (d.notBefore().isPresent()) {
                            Sql.setInstant(ps, 3, d.notBefore().get());
                        } else {
                            ps.setNull(3, java.sql.Types.TIMESTAMP_WITH_TIMEZONE);
                        }
                        Sql.setInstant(ps, 4, d.decidedAt());
                        ps.setString(5, e.getKey());
                        ps.addBatch(); // a machine removed meanwhile updates no row, which is right
                    }
                    ps.executeBatch();
                }
                return null;
            });
            for (Map.Entry<String, RolloutDecision> e : batch) {
                pending.remove(e.getKey(), e.getValue()); // a newer decision that arrived meanwhile stays
            }
        }
    }

    private void run() {
        while (!closed) {
            try {
                synchronized (signal) {
                    if (!closed && pending.size() < BATCH) {
                        signal.wait(TimeUnit.SECONDS.toMillis(1));
                    }
                }
                flush();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (StoreException | RuntimeException e) {
                LOG.warn("Writing {} machine decision(s) failed; retrying in a second: {}", pending.size(), e.getMessage());
            }
        }
    }

    /** Stops the thread and writes what is pending (a failure is logged: decisions are derived). */
    @Override
    public void close() {
        closed = true;
        synchronized (signal) {
            signal.notifyAll();
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            flush();
        } catch (StoreException | RuntimeException e) {
            LOG.warn("{} machine decision(s) not written at shutdown; the machines' next check-ins record them again: {}",
                    pending.size(), e.getMessage());
        }
    }
}
