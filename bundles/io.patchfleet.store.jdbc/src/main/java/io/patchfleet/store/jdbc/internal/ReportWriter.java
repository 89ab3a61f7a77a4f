package io.patchfleet.store.jdbc.internal;

import io.patchfleet.store.api.StoreException;
import io.patchfleet.store.api.StoredReport;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Group commit for check-in reports. Callers of {@link #write} queue their report and wait; one
 * writer thread takes everything queued (up to {@code maxBatch}), writes it in one transaction
 * and commits once, then wakes every caller of that batch. A caller returns only after the
 * commit that holds its report was fsync'ed, so "durable on return" holds exactly as with one
 * transaction per report — but a thousand concurrent check-ins cost one fsync instead of a
 * thousand (HSQLDB with write delay off manages ~400 commits/s on the benchmark machine).
 *
 * <p>No timer: the batch is whatever arrived while the previous commit ran, so a lone check-in
 * pays one commit and no added wait, and batches grow with load by themselves.
 *
 * <p>One report that fails in a batch (its machine was deregistered meanwhile) fails alone: the
 * per-report work reports "not found" without throwing, and a SQL failure of the whole batch is
 * retried one report per transaction so the guilty report is the only one refused.
 */
final class ReportWriter implements AutoCloseable {

    /** Writes one report inside the batch's transaction; returns false if its machine is unknown. */
    @FunctionalInterface
    interface Work {
        boolean write(Statements s, StoredReport report) throws SQLException;
    }

    private record Pending(StoredReport report, CompletableFuture<Boolean> done) {}

    private final Database db;
    private final Work work;
    private final java.util.function.Consumer<io.patchfleet.model.MachineReport> committed;
    private final int maxBatch;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;

    /** {@code committed} runs on the writer's thread after each report's commit, in commit order. */
    ReportWriter(Database db, Work work, int maxBatch, String name,
            java.util.function.Consumer<io.patchfleet.model.MachineReport> committed) {
        this.db = db;
        this.committed = committed;
        this.work = work;
        this.maxBatch = maxBatch;
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * Queues {@code report} and waits until the transaction holding it committed.
     *
     * @return false if the machine is not enrolled (nothing was written for it)
     */
    boolean write(StoredReport report) throws StoreException {
        if (closed) {
            throw new StoreException(StoreException.Reason.UNAVAILABLE, "the machine store is closed");
        }
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        queue.add(new Pending(report, done));
        if (closed) {
            failQueued(); // raced with close(): nobody else will drain the queue
        }
        try {
            return done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            // The report may still commit; the caller only learns that it was not acknowledged.
            throw new StoreException(StoreException.Reason.UNAVAILABLE, "interrupted waiting for the report's commit", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StoreException s) {
                throw s;
            }
            throw new StoreException(StoreException.Reason.UNAVAILABLE, "writing the report failed: " + e.getCause(), e.getCause());
        }
    }

    private void run() {
        List<Pending> batch = new ArrayList<>(maxBatch);
        while (!closed) {
            try {
                Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, maxBatch - 1);
                writeBatch(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (RuntimeException | Error e) {
                dropStatements();
                batch.forEach(p -> p.done().completeExceptionally(e));
            } finally {
                batch.clear();
            }
        }
        dropStatements();
        failQueued();
    }

    /**
     * Prepared statements per pooled connection, kept across batches (writer thread only). Under
     * load a batch holds a few reports, and HSQLDB forgets a compiled statement when its last
     * prepared copy is closed: preparing per batch still cost a fifth of the writer's CPU
     * (async-profiler, bench/checkin.sh). Bounded by the pool's size; dropped after a failure.
     */
    private final Map<Connection, Statements> statements = new IdentityHashMap<>();

    private Statements statementsFor(Connection c) {
        Statements s = statements.get(c);
        if (s == null) {
            if (statements.size() >= 64) {
                dropStatements(); // connections replaced over time: do not keep the dead ones' statements
            }
            s = new Statements(c);
            statements.put(c, s);
        }
        return s;
    }

    private void dropStatements() {
        for (Statements s : statements.values()) {
            try {
                s.close();
            } catch (java.sql.SQLException ignored) {
                // a closed or broken connection: nothing left to release
            }
        }
        statements.clear();
    }

    private void writeBatch(List<Pending> batch) {
        boolean[] found = new boolean[batch.size()];
        try {
            db.inTransaction(c -> {
                Statements s = statementsFor(c);
                for (int i = 0; i < batch.size(); i++) {
                    found[i] = work.write(s, batch.get(i).report());
                }
                return null;
            });
        } catch (StoreException e) {
            dropStatements(); // the failure may have broken a connection: prepare afresh
            if (batch.size() == 1) {
                batch.get(0).done().completeExceptionally(e);
                return;
            }
            for (Pending p : batch) {
                try {
                    boolean ok = db.inTransaction(c -> work.write(statementsFor(c), p.report()));
                    if (ok) {
                        committed.accept(p.report().report());
                    }
                    p.done().complete(ok);
                } catch (StoreException single) {
                    dropStatements();
                    p.done().completeExceptionally(single);
                }
            }
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            if (found[i]) {
                committed.accept(batch.get(i).report().report());
            }
        }
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).done().complete(found[i]);
        }
    }

    private void failQueued() {
        Pending p;
        while ((p = queue.poll()) != null) {
            p.done().completeExceptionally(new StoreException(StoreException.Reason.UNAVAILABLE, "the machine store is closed"));
        }
    }

    /**
     * Stops the writer after the batch in flight; reports still queued fail as unavailable. The
     * thread is not interrupted: an interrupt closes the NIO channel of a file being fsync'ed.
     */
    @Override
    public void close() {
        closed = true;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failQueued();
    }
}
