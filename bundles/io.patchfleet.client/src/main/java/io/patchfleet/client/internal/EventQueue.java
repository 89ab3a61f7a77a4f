package io.patchfleet.client.internal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import org.slf4j.Logger;

import io.patchfleet.protocol.CheckInRequest.WireEvent;

/**
 * Events waiting for a check-in, one file per event ({@code DATA/client/events/<seq>.json}),
 * each written atomically before the step it reports goes on. A check-in carries a snapshot of
 * the queue; only when the server answered are exactly those events removed, so none is lost
 * while the server is down or when the daemon is killed mid-check-in (the server may then see
 * one twice, which a report tolerates). The queue is bounded: past {@link #MAX_EVENTS}, the
 * oldest are dropped (and the drop is logged) rather than filling the disk.
 */
final class EventQueue {
    static final int MAX_EVENTS = 1000;
    private static final Logger LOG = AgentLog.logger(EventQueue.class);
    private static final Pattern NAME = Pattern.compile("\\d{19}\\.json");

    /** A queued event and its sequence number. */
    record Entry(long seq, WireEvent event) {}

    private final Path dir;
    private long next;

    EventQueue(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        List<Long> seqs = sequences();
        next = seqs.isEmpty() ? 1 : seqs.get(seqs.size() - 1) + 1;
    }

    synchronized void append(WireEvent event) throws IOException {
        JsonFiles.write(dir.resolve(String.format("%019d.json", next)), event);
        next++;
        List<Long> seqs = sequences();
        for (int i = 0; i < seqs.size() - MAX_EVENTS; i++) {
            LOG.warn("Event queue is full ({} events); dropping the oldest", MAX_EVENTS);
            Files.deleteIfExists(file(seqs.get(i)));
        }
    }

    /** The queued events, oldest first. A file that cannot be read (never written whole) is skipped. */
    synchronized List<Entry> snapshot() throws IOException {
        List<Entry> entries = new ArrayList<>();
        for (long seq : sequences()) {
            try {
                entries.add(new Entry(seq, JsonFiles.MAPPER.readValue(file(seq).toFile(), WireEvent.class)));
            } catch (IOException e) {
                LOG.warn("Skipping unreadable event {}: {}", file(seq), e.getMessage());
                Files.deleteIfExists(file(seq));
            }
        }
        return entries;
    }

    /** Removes the events a successful check-in carried. */
    synchronized void acknowledge(List<Entry> delivered) throws IOException {
        if (delivered.isEmpty()) {
            return; // nothing removed: no directory sync (most check-ins carry no event)
        }
        for (Entry e : delivered) {
            Files.deleteIfExists(file(e.seq()));
        }
        JsonFiles.syncDirectory(dir);
    }

    private Path file(long seq) {
        return dir.resolve(String.format("%019d.json", seq));
    }

    private List<Long> sequences() throws IOException {
        List<Long> seqs = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (NAME.matcher(name).matches()) {
                    seqs.add(Long.parseLong(name.substring(0, 19)));
                }
            }
        }
        seqs.sort(null);
        return seqs;
    }
}
