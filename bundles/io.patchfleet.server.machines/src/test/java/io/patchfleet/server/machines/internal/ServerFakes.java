package io.patchfleet.server.machines.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.Machine;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Sha256;
import io.patchfleet.model.TierName;
import io.patchfleet.store.api.BlobInfo;
import io.patchfleet.store.api.BlobStore;
import io.patchfleet.store.api.HealthCount;
import io.patchfleet.store.api.MachineFilter;
import io.patchfleet.store.api.MachineStatus;
import io.patchfleet.store.api.MachineStore;
import io.patchfleet.store.api.PatchCatalog;
import io.patchfleet.store.api.StoreException;
import io.patchfleet.store.api.StoredReport;

/**
 * In-memory machine store, catalog and blob store for the fleet simulation, which runs the real
 * check-in code in process on a simulated clock (the JDBC store and the blob folder have their
 * own tests, and the in-framework tests run check-ins over HTTP against them). Only what the
 * check-in path and the publisher mirror call is implemented; the rest fails loudly.
 */
final class ServerFakes {
    private ServerFakes() {}

    static final class MemoryMachines implements MachineStore {
        final Map<MachineId, Machine> machines = new ConcurrentHashMap<>();
        final Map<MachineId, StoredReport> last = new ConcurrentHashMap<>();

        @Override
        public Machine enroll(Machine machine) {
            machines.put(machine.id(), machine);
            return machine;
        }

        @Override
        public Optional<Machine> find(MachineId id) {
            return Optional.ofNullable(machines.get(id));
        }

        @Override
        public void recordReport(StoredReport report) {
            last.put(report.report().machineId(), report);
        }

        final Map<MachineId, io.patchfleet.store.api.RolloutDecision> decisions = new ConcurrentHashMap<>();
        final java.util.concurrent.atomic.AtomicLong decisionWrites = new java.util.concurrent.atomic.AtomicLong();
        final Map<MachineId, java.util.concurrent.atomic.AtomicInteger> writesPerMachine = new ConcurrentHashMap<>();

        @Override
        public boolean recordDecision(MachineId id, io.patchfleet.store.api.RolloutDecision decision) {
            if (decision.sameAs(decisions.get(id))) {
                return false;
            }
            decisions.put(id, decision);
            decisionWrites.incrementAndGet();
            writesPerMachine.computeIfAbsent(id, k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
            return true;
        }

        @Override
        public Optional<io.patchfleet.store.api.RolloutDecision> lastDecision(MachineId id) {
            return Optional.ofNullable(decisions.get(id));
        }

        @Override
        public Optional<StoredReport> lastReport(MachineId id) {
            return Optional.ofNullable(last.get(id));
        }

        @Override
        public List<Machine> findByTier(TierName tier, int offset, int limit) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<StoredReport> reports(MachineId id, Instant since, int limit) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean remove(MachineId id) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<MachineStatus> query(MachineFilter filter, int offset, int limit) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long count(MachineFilter filter) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<HealthCount> patchHealth(MachineFilter filter) {
            return List.of();
        }

        @Override
        public long deleteReportsBefore(Instant cutoff) {
            throw new UnsupportedOperationException();
        }
    }

    /** Releases with the highest tier each was promoted to, in the order of {@code tiers}; new ones start in the first. */
    static final class MemoryCatalog implements PatchCatalog {
        final List<TierName> tiers;
        final Map<String, PatchRelease> releases = new ConcurrentHashMap<>();
        final Map<String, Integer> promoted = new ConcurrentHashMap<>();

        MemoryCatalog(List<TierName> tiers) {
            this.tiers = List.copyOf(tiers);
        }

        @Override
        public List<PatchRelease> findAll() {
            return List.copyOf(releases.values());
        }

        private static String key(KernelId kernel, long version) {
            return kernel + "#" + version;
        }

        @Override
        public boolean add(PatchRelease release) {
            String k = key(release.kernel(), release.version());
            promoted.putIfAbsent(k, 0);
            return releases.putIfAbsent(k, release) == null;
        }

        @Override
        public Optional<PatchRelease> find(KernelId kernel, long version) {
            return Optional.ofNullable(releases.get(key(kernel, version)));
        }

        @Override
        public List<PatchRelease> findByKernel(KernelId kernel) {
            return releases.values().stream().filter(r -> r.kernel().equals(kernel))
                    .sorted(Comparator.comparingLong(PatchRelease::version)).toList();
        }

        @Override
        public List<PatchRelease> findByRelease(String kernelRelease) {
            return releases.values().stream().filter(r -> r.kernel().release().equals(kernelRelease)).toList();
        }

        @Override
        public List<PatchRelease> findAvailable(KernelId kernel, TierName tier) {
            int at = tiers.indexOf(tier);
            List<PatchRelease> out = new ArrayList<>();
            for (PatchRelease r : findByKernel(kernel)) {
                if (!r.revoked() && at >= 0 && promoted.get(key(kernel, r.version())) >= at) {
                    out.add(r);
                }
            }
            return out;
        }

        @Override
        public boolean revoke(KernelId kernel, long version) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean promote(KernelId kernel, long version, TierName tier) {
            int to = tiers.indexOf(tier);
            return to > promoted.merge(key(kernel, version), to, Math::max) - 1 && to >= 0;
        }

        @Override
        public int promoteAll(TierName from, TierName to) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<PatchRelease> findAvailableTo(TierName tier) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<TierName> promotedTo(KernelId kernel, long version) {
            Integer at = promoted.get(key(kernel, version));
            return at == null ? Optional.empty() : Optional.of(tiers.get(at));
        }
    }

    static final class MemoryBlobs implements BlobStore {
        final Map<Sha256, byte[]> blobs = new ConcurrentHashMap<>();
        final java.util.concurrent.atomic.AtomicInteger adopted = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicInteger commits = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicInteger kept = new java.util.concurrent.atomic.AtomicInteger();
        /** When set, a batch's commit fails with it (a disk that cannot sync). */
        volatile StoreException failCommit;
        /** Blobs completed through a receiver. */
        final java.util.concurrent.atomic.AtomicInteger received = new java.util.concurrent.atomic.AtomicInteger();
        /** What receivers closed without completing kept, for the next receive of the blob (a resume). */
        final Map<Sha256, byte[]> receiving = new ConcurrentHashMap<>();

        /** A receiver as the file store's: resumable, checks the whole at complete, drops wrong bytes. */
        io.patchfleet.store.api.BlobReceiver receiver(Sha256 expected, long length) {
            return new io.patchfleet.store.api.BlobReceiver() {
                final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
                boolean done;

                {
                    byte[] kept = receiving.remove(expected);
                    if (kept != null) {
                        bytes.writeBytes(kept);
                    }
                }

                @Override
                public long position() {
                    return bytes.size();
                }

                @Override
                public void write(byte[] b, int offset, int n) throws StoreException {
                    if (done) {
                        throw new IllegalStateException("ended");
                    }
                    if (bytes.size() + n > length) {
                        done = true;
                        throw new StoreException(StoreException.Reason.LIMIT, "more than " + length + " bytes");
                    }
                    bytes.write(b, offset, n);
                }

                @Override
                public void restart() {
                    bytes.reset();
                }

                @Override
                public BlobInfo complete() throws StoreException {
                    done = true;
                    byte[] b = bytes.toByteArray();
                    if (b.length != length || !Sha256.digestOf(b).equals(expected)) {
                        throw new StoreException(StoreException.Reason.DIGEST_MISMATCH, "received bytes do not match " + expected);
                    }
                    blobs.put(expected, b);
                    received.incrementAndGet();
                    return new BlobInfo(expected, length);
                }

                @Override
                public void close() {
                    if (!done) {
                        receiving.put(expected, bytes.toByteArray());
                    }
                    done = true;
                }
            };
        }

        @Override
        public BlobInfo put(InputStream in, Optional<Sha256> expected, long maxLength) throws StoreException {
            byte[] bytes;
            try {
                bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxLength + 1));
            } catch (IOException e) {
                throw new StoreException(StoreException.Reason.UNAVAILABLE, e.getMessage(), e);
            }
            Sha256 sha = Sha256.digestOf(bytes);
            if (bytes.length > maxLength || expected.map(e -> !e.equals(sha)).orElse(false)) {
                throw new StoreException(StoreException.Reason.DIGEST_MISMATCH, "blob does not match what was expected");
            }
            blobs.put(sha, bytes);
            return new BlobInfo(sha, bytes.length);
        }

        @Override
        public BlobInfo adopt(java.nio.file.Path file, Optional<Sha256> expected, long maxLength) throws StoreException {
            BlobInfo info;
            try (InputStream in = java.nio.file.Files.newInputStream(file)) {
                info = put(in, expected, maxLength);
            } catch (IOException e) {
                throw new StoreException(StoreException.Reason.UNAVAILABLE, e.getMessage(), e);
            }
            try {
                java.nio.file.Files.delete(file);
            } catch (IOException e) {
                throw new StoreException(StoreException.Reason.UNAVAILABLE, e.getMessage(), e);
            }
            adopted.incrementAndGet();
            return info;
        }

        /** Memory is durable as soon as written: a batch only counts its commits. */
        @Override
        public io.patchfleet.store.api.BlobBatch batch() {
            return new io.patchfleet.store.api.BlobBatch() {
                @Override
                public BlobInfo put(InputStream in, Optional<Sha256> expected, long maxLength) throws StoreException {
                    return MemoryBlobs.this.put(in, expected, maxLength);
                }

                @Override
                public BlobInfo adopt(java.nio.file.Path file, Optional<Sha256> expected, long maxLength) throws StoreException {
                    return MemoryBlobs.this.adopt(file, expected, maxLength);
                }

                @Override
                public io.patchfleet.store.api.BlobReceiver receive(Sha256 expected, long length) {
                    return receiver(expected, length);
                }

                @Override
                public void keep(Sha256 sha256) throws StoreException {
                    if (!blobs.containsKey(sha256)) {
                        throw new StoreException(StoreException.Reason.NOT_FOUND, "no blob " + sha256);
                    }
                    kept.incrementAndGet();
                }

                @Override
                public void commit() throws StoreException {
                    commits.incrementAndGet();
                    if (failCommit != null) {
                        throw failCommit;
                    }
                }
            };
        }

        @Override
        public InputStream open(Sha256 sha256, long offset) throws StoreException {
            byte[] b = blobs.get(sha256);
            if (b == null) {
                throw new StoreException(StoreException.Reason.NOT_FOUND, "no blob " + sha256);
            }
            return new ByteArrayInputStream(b, (int) offset, b.length - (int) offset);
        }

        @Override
        public Optional<BlobInfo> stat(Sha256 sha256) {
            byte[] b = blobs.get(sha256);
            return b == null ? Optional.empty() : Optional.of(new BlobInfo(sha256, b.length));
        }

        @Override
        public boolean exists(Sha256 sha256) {
            return blobs.containsKey(sha256);
        }

        @Override
        public boolean delete(Sha256 sha256) {
            return blobs.remove(sha256) != null;
        }

        @Override
        public io.patchfleet.store.api.BlobInventory inventory() {
            return new io.patchfleet.store.api.BlobInventory(
                    blobs.entrySet().stream().map(e -> new BlobInfo(e.getKey(), e.getValue().length)).toList(), List.of(), List.of());
        }
    }
}
