import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Load generator for the check-in benchmark (bench/checkin.sh): HTTP/1.1 keep-alive over raw
 * non-blocking sockets, one selector thread, so it takes little of the CPU it shares with the
 * server (java.net.http costs several times more per request).
 *
 * <p>Machines are the ones {@code CheckInSeed} wrote: id {@code %032x} of i, credential
 * base64url(HMAC-SHA256(seed, "machine-" + i)). Every check-in of a phase comes from a machine
 * no other check-in of the run used (distinct ids). The mix per request:
 * <ul>
 * <li>steady state: a reported machine sends the same state again with the ETag of its last
 * answer in If-None-Match (answer 304; the server moves only last_seen/uptime);
 * <li>state change: a reported machine reports a failed apply with events (full report, history
 * row and events; its answer is 304 or 200 depending on the decision);
 * <li>first check-in: a machine enrolled but never reported, no ETag, trusts no metadata yet
 * (answer 200 with the metadata delta and a signed directive).
 * </ul>
 * The ETag of the steady state is learned from one check-in before the run: it covers the
 * decision, which depends on kernel, tier and state, not on the machine id.
 *
 * <p>Load model: closed loop (each connection sends its next request when the answer arrived:
 * the server's capacity) or, with {@code rate > 0}, open loop at a constant rate with latency
 * measured from the intended send time (no coordinated omission, like wrk2).
 *
 * <p>Usage: {@code java CheckInLoad.java host port seed reportedMachines totalMachines
 * connections warmupSeconds checkinSeconds healthSeconds rate firstPercent changePercent out.json}
 */
public final class CheckInLoad {
    static final String KERNEL = "{\"release\":\"6.1.0-56-amd64\",\"architecture\":\"x86_64\",\"flavour\":\"amd64\",\"build\":\"\"}";
    static final String BOOT = "2026-11-20T08:00:00Z";

    enum Kind { STEADY, CHANGE, FIRST, HEALTH, FLOOR }

    final String host;
    final int port;
    final byte[] seed;
    final long reported;
    final long total;
    final SplittableRandom random = new SplittableRandom(42);
    String steadyEtag;
    long nextReported;
    long nextFirst;
    /**
     * WARMUP_POOL: when above 0, the warm-up's steady-state and state-change check-ins cycle over
     * this many reported machines (the last ones in the visiting order), so a warm-up can run long
     * enough for the server's JIT to finish without using up the fleet. The measured phase still
     * takes every check-in from a machine no other check-in of the run used: it never reaches the
     * pool. First check-ins are never repeated (a machine reports for the first time once).
     */
    final long warmupPool = Long.parseLong(System.getenv().getOrDefault("WARMUP_POOL", "0"));
    boolean warmingUp;
    long nextWarm;
    final long stride;

    CheckInLoad(String host, int port, byte[] seed, long reported, long total) throws Exception {
        this.host = host;
        this.port = port;
        this.seed = seed;
        this.reported = reported;
        this.total = total;
        this.nextFirst = reported;
        // Visit reported machines in a scattered but repeat-free order: i * stride mod n with
        // stride coprime to n (the rows of consecutive ids are neighbours on disk).
        long s = 1_000_003L;
        while (gcd(s, reported) != 1) {
            s += 2;
        }
        this.stride = s;
    }

    static long gcd(long a, long b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    /**
     * Every machine's credential, computed before the first phase (in parallel): a real machine
     * holds its credential, and an HMAC per request would take CPU from the server it shares the
     * cores with during the measurement.
     */
    String[] credentials;

    void precomputeCredentials() {
        long t0 = System.nanoTime();
        credentials = new String[(int) total];
        java.util.stream.IntStream.range(0, (int) total).parallel().forEach(i -> credentials[i] = computeCredential(i));
        System.err.printf(Locale.ROOT, "%d credentials computed in %.1f s%n", total, (System.nanoTime() - t0) / 1e9);
    }

    private static final ThreadLocal<Mac> MACS = new ThreadLocal<>();

    String computeCredential(long i) {
        try {
            Mac m = MACS.get();
            if (m == null) {
                m = Mac.getInstance("HmacSHA256");
                m.init(new SecretKeySpec(seed, "HmacSHA256"));
                MACS.set(m);
            }
            return Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(m.doFinal(("machine-" + i).getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    String credential(long i) {
        return credentials != null ? credentials[(int) i] : computeCredential(i);
    }

    static String machineId(long i) {
        String hex = Long.toHexString(i);
        return "0".repeat(32 - hex.length()) + hex;
    }

    byte[] request(Kind kind) {
        if (kind == Kind.FLOOR) {
            // An unknown route: Jetty, the servlet dispatch and the router answer 404 with a JSON
            // error and nothing else runs. Its CPU per request is the HTTP stack's floor.
            return ("GET /v1/no-such-route HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        }
        if (kind == Kind.HEALTH) {
            return ("GET /v1/health HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        }
        long i;
        String body;
        String etag = null;
        long uptime = 3600 + random.nextInt(1_000_000);
        if (kind == Kind.FIRST) {
            if (nextFirst >= total) {
                throw new IllegalStateException("ran out of never-reported machines; seed more or lower the first share");
            }
            i = nextFirst++;
            body = "{\"machineId\":\"" + machineId(i) + "\",\"kernel\":" + KERNEL + ",\"patchState\":\"unapplied\","
                    + "\"patchVersion\":0,\"clientVersion\":\"1.0.0\",\"bootTime\":\"" + BOOT + "\",\"uptimeSeconds\":" + uptime
                    + ",\"events\":[],\"trustedVersions\":{},\"directiveCounter\":0}";
        } else {
            if (warmingUp && warmupPool > 0) {
                long position = reported - 1 - (nextWarm++ % warmupPool);
                i = (position * stride) % reported;
            } else {
                if (nextReported >= reported - warmupPool) {
                    throw new IllegalStateException("every reported machine checked in once; seed more or shorten the run");
                }
                i = (nextReported++ * stride) % reported;
            }
            etag = steadyEtag;
            if (kind == Kind.STEADY) {
                body = "{\"machineId\":\"" + machineId(i) + "\",\"kernel\":" + KERNEL + ",\"patchState\":\"applied\","
                        + "\"patchVersion\":1,\"clientVersion\":\"1.0.0\",\"bootTime\":\"" + BOOT + "\",\"uptimeSeconds\":"
                        + uptime + ",\"events\":[],\"trustedVersions\":{},\"directiveCounter\":1}";
            } else {
                body = "{\"machineId\":\"" + machineId(i) + "\",\"kernel\":" + KERNEL + ",\"patchState\":\"apply-failed\","
                        + "\"patchVersion\":0,\"clientVersion\":\"1.0.0\",\"bootTime\":\"" + BOOT + "\",\"uptimeSeconds\":"
                        + uptime + ",\"events\":[{\"kind\":\"error\",\"time\":\"2026-11-25T08:00:00Z\",\"patchVersion\":1,"
                        + "\"detail\":\"transition stalled\"}],\"trustedVersions\":{},\"directiveCounter\":1}";
            }
        }
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String head = "POST /v1/check-in HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\n"
                + "Authorization: Bearer " + credential(i) + "\r\n" + (etag == null ? "" : "If-None-Match: " + etag + "\r\n")
                + "Content-Length: " + b.length + "\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] out = Arrays.copyOf(h, h.length + b.length);
        System.arraycopy(b, 0, out, h.length, b.length);
        return out;
    }

    /** One keep-alive connection and its request in flight. */
    final class Conn {
        final SocketChannel ch;
        final SelectionKey key;
        ByteBuffer out;
        ByteBuffer in = ByteBuffer.allocate(1 << 16);
        long started;
        long next; // open loop: intended send time of the next request
        boolean busy;
        Kind kind;

        Conn(Selector selector) throws IOException {
            ch = SocketChannel.open(new InetSocketAddress(host, port));
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.configureBlocking(false);
            // Read interest stays on for the connection's life: changing it per request cost two
            // epoll_ctl calls per request on the cores the generator shares with the server.
            key = ch.register(selector, SelectionKey.OP_READ, this);
        }
    }

    /** The parsed head of a complete response, or null while incomplete. */
    record Response(int status, int length, String etag) {}

    static Response parse(ByteBuffer in) {
        byte[] a = in.array();
        int n = in.position();
        int end = -1;
        for (int i = 3; i < n; i++) {
            if (a[i] == '\n' && a[i - 1] == '\r' && a[i - 2] == '\n' && a[i - 3] == '\r') {
                end = i + 1;
                break;
            }
        }
        if (end < 0) {
            return null;
        }
        String head = new String(a, 0, end, StandardCharsets.ISO_8859_1);
        int status = Integer.parseInt(head.substring(9, 12));
        int length = 0;
        String etag = null;
        boolean chunked = false;
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            if (name.equals("content-length")) {
                length = Integer.parseInt(value);
            } else if (name.equals("etag")) {
                etag = value;
            } else if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) {
                chunked = true;
            }
        }
        if (chunked) {
            // Complete when the last chunk (0) and its blank line arrived.
            int p = end;
            while (true) {
                int lineEnd = indexOfCrlf(a, p, n);
                if (lineEnd < 0) {
                    return null;
                }
                int size = Integer.parseInt(new String(a, p, lineEnd - p, StandardCharsets.ISO_8859_1).split(";")[0].trim(), 16);
                p = lineEnd + 2 + size + 2;
                if (p > n) {
                    return null;
                }
                if (size == 0) {
                    return new Response(status, p, etag);
                }
            }
        }
        if (n < end + length) {
            return null;
        }
        return new Response(status, end + length, etag);
    }

    static int indexOfCrlf(byte[] a, int from, int n) {
        for (int i = from; i + 1 < n; i++) {
            if (a[i] == '\r' && a[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** Results of one phase. */
    static final class Stats {
        final long[] latencies = new long[8_000_000];
        final byte[] kindOf = new byte[8_000_000];
        int count;
        long errors;
        final Map<Integer, Long> statuses = new TreeMap<>();
        final Map<Kind, Long> kinds = new TreeMap<>();
        long startNanos;
        long endNanos;
        /** CPU time (ns) the server process and this generator used during the phase; -1 unknown. */
        long serverCpuNanos = -1;
        long generatorCpuNanos = -1;

        void add(Kind kind, int status, long nanos) {
            statuses.merge(status, 1L, Long::sum);
            kinds.merge(kind, 1L, Long::sum);
            if ((status >= 400 || status < 200) && !(kind == Kind.FLOOR && status == 404)) {
                errors++;
            }
            if (count < latencies.length) {
                kindOf[count] = (byte) kind.ordinal();
                latencies[count++] = nanos;
            }
        }

        double percentileMs(double p) {
            if (count == 0) {
                return 0;
            }
            long[] sorted = Arrays.copyOf(latencies, count);
            Arrays.sort(sorted);
            int idx = (int) Math.min(count - 1, Math.ceil(p / 100.0 * count) - 1);
            return sorted[Math.max(idx, 0)] / 1e6;
        }

        double seconds() {
            return (endNanos - startNanos) / 1e9;
        }

        String json(String name) {
            long[] sorted = Arrays.copyOf(latencies, count);
            Arrays.sort(sorted);
            return String.format(Locale.ROOT, "{\"phase\":\"%s\",\"requests\":%d,\"seconds\":%.2f,\"perSecond\":%.0f,"
                    + "\"p50ms\":%.2f,\"p90ms\":%.2f,\"p99ms\":%.2f,\"p999ms\":%.2f,\"maxms\":%.2f,\"errors\":%d,"
                    + "\"statuses\":\"%s\",\"kinds\":\"%s\",\"serverCpuUsPerRequest\":%.1f,\"generatorCpuUsPerRequest\":%.1f}",
                    name, count, seconds(), count / seconds(),
                    percentileMs(50), percentileMs(90), percentileMs(99), percentileMs(99.9),
                    count == 0 ? 0 : sorted[count - 1] / 1e6, errors, statuses, kinds,
                    perRequestUs(serverCpuNanos), perRequestUs(generatorCpuNanos)).replaceFirst("}$", byKind() + "}");
        }

        /** p50/p99 per kind of request, when the phase mixed kinds: a slow minority shows here. */
        String byKind() {
            if (kinds.size() < 2) {
                return "";
            }
            StringBuilder out = new StringBuilder(",\"byKind\":{");
            String sep = "";
            for (Kind k : kinds.keySet()) {
                long[] own = new long[count];
                int n = 0;
                for (int i = 0; i < count; i++) {
                    if (kindOf[i] == k.ordinal()) {
                        own[n++] = latencies[i];
                    }
                }
                long[] sorted = Arrays.copyOf(own, n);
                Arrays.sort(sorted);
                out.append(sep).append(String.format(Locale.ROOT, "\"%s\":{\"requests\":%d,\"p50ms\":%.2f,\"p99ms\":%.2f}", k, n,
                        pick(sorted, 50), pick(sorted, 99)));
                sep = ",";
            }
            return out.append("}").toString();
        }

        static double pick(long[] sorted, double p) {
            if (sorted.length == 0) {
                return 0;
            }
            int idx = (int) Math.min(sorted.length - 1, Math.ceil(p / 100.0 * sorted.length) - 1);
            return sorted[Math.max(idx, 0)] / 1e6;
        }

        double perRequestUs(long cpuNanos) {
            return cpuNanos < 0 || count == 0 ? -1 : cpuNanos / 1e3 / count;
        }
    }

    interface Mix {
        Kind next();
    }

    /** The server's process id (from PATCHFLEET_SERVER_PID), for its CPU time per request; 0 unknown. */
    static final long SERVER_PID = Long.parseLong(System.getenv().getOrDefault("PATCHFLEET_SERVER_PID", "0"));

    /**
     * CPU time (user + system, ns) of a process from /proc/PID/stat, or -1. CPU time per request
     * is the figure that noise on a shared machine disturbs least: throughput and latency fall
     * when other work takes the cores, the work each request costs does not.
     */
    static long cpuNanos(long pid) {
        if (pid <= 0) {
            return -1;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
            return ticks * 10_000_000L; // USER_HZ is 100 on Linux
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Runs one phase for {@code seconds}; rate 0 = closed loop. */
    Stats run(int connections, double seconds, double rate, Mix mix) throws IOException {
        Stats stats = new Stats();
        try (Selector selector = Selector.open()) {
            List<Conn> conns = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                conns.add(new Conn(selector));
            }
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            long interval = rate > 0 ? (long) (1e9 * connections / rate) : 0;
            for (int i = 0; i < conns.size(); i++) {
                conns.get(i).next = start + (interval * i) / connections;
            }
            stats.startNanos = start;
            long serverCpu0 = cpuNanos(SERVER_PID);
            long ownCpu0 = cpuNanos(ProcessHandle.current().pid());
            while (true) {
                long now = System.nanoTime();
                long wake = Long.MAX_VALUE;
                boolean anyBusy = false;
                for (Conn c : conns) {
                    if (!c.busy && now < end) {
                        if (rate <= 0 || c.next <= now) {
                            c.kind = mix.next();
                            c.out = ByteBuffer.wrap(request(c.kind));
                            c.started = rate > 0 ? c.next : now;
                            c.next += interval;
                            c.busy = true;
                            c.ch.write(c.out);
                            if (c.out.hasRemaining()) {
                                c.key.interestOps(SelectionKey.OP_WRITE | SelectionKey.OP_READ);
                            }
                        } else {
                            wake = Math.min(wake, c.next);
                        }
                    }
                    anyBusy |= c.busy;
                }
                if (!anyBusy && now >= end) {
                    break;
                }
                long timeoutMs = wake == Long.MAX_VALUE ? 100 : Math.max(1, (wake - System.nanoTime()) / 1_000_000);
                selector.select(timeoutMs);
                for (SelectionKey k : selector.selectedKeys()) {
                    Conn c = (Conn) k.attachment();
                    if (k.isWritable() && c.out.hasRemaining()) {
                        c.ch.write(c.out);
                        if (!c.out.hasRemaining()) {
                            k.interestOps(SelectionKey.OP_READ);
                        }
                    }
                    if (k.isReadable() && !c.busy) {
                        // Nothing is expected on an idle connection: the server closed it (at the
                        // end of the run, its idle timeout) or sent bytes it should not have.
                        int r = c.ch.read(c.in);
                        if (r > 0) {
                            throw new IOException("unexpected bytes on an idle connection");
                        }
                        if (r < 0) {
                            k.cancel();
                            if (System.nanoTime() < end) {
                                throw new IOException("server closed a connection");
                            }
                        }
                        continue;
                    }
                    if (k.isReadable()) {
                        if (!c.in.hasRemaining()) {
                            ByteBuffer bigger = ByteBuffer.allocate(c.in.capacity() * 2);
                            c.in.flip();
                            bigger.put(c.in);
                            c.in = bigger;
                        }
                        int r = c.ch.read(c.in);
                        if (r < 0) {
                            throw new IOException("server closed a connection");
                        }
                        Response resp = parse(c.in);
                        if (resp != null) {
                            long done = System.nanoTime();
                            if (c.kind != Kind.HEALTH && resp.status == 200 && c.kind != Kind.FIRST && steadyEtag == null) {
                                steadyEtag = resp.etag;
                            }
                            stats.add(c.kind, resp.status, done - c.started);
                            int extra = c.in.position() - resp.length;
                            if (extra > 0) {
                                throw new IOException("unexpected bytes after a response");
                            }
                            c.in.clear();
                            c.busy = false;
                        }
                    }
                }
                selector.selectedKeys().clear();
            }
            stats.endNanos = System.nanoTime();
            long serverCpu1 = cpuNanos(SERVER_PID);
            long ownCpu1 = cpuNanos(ProcessHandle.current().pid());
            stats.serverCpuNanos = serverCpu0 < 0 || serverCpu1 < 0 ? -1 : serverCpu1 - serverCpu0;
            stats.generatorCpuNanos = ownCpu0 < 0 || ownCpu1 < 0 ? -1 : ownCpu1 - ownCpu0;
            for (Conn c : conns) {
                c.ch.close();
            }
        }
        return stats;
    }

    /** One blocking exchange on a fresh connection (learning the steady-state ETag). */
    Response once(Kind kind) throws IOException {
        try (SocketChannel ch = SocketChannel.open(new InetSocketAddress(host, port))) {
            ch.write(ByteBuffer.wrap(request(kind)));
            ByteBuffer in = ByteBuffer.allocate(1 << 20);
            while (true) {
                if (ch.read(in) < 0) {
                    throw new IOException("connection closed before the answer was complete");
                }
                Response r = parse(in);
                if (r != null) {
                    System.err.println(new String(in.array(), 0, Math.min(in.position(), 400), StandardCharsets.UTF_8));
                    return r;
                }
            }
        }
    }

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        byte[] seed = args[2].getBytes(StandardCharsets.UTF_8);
        long reported = Long.parseLong(args[3]);
        long total = Long.parseLong(args[4]);
        int connections = Integer.parseInt(args[5]);
        double warmup = Double.parseDouble(args[6]);
        double checkin = Double.parseDouble(args[7]);
        double health = Double.parseDouble(args[8]);
        double rate = Double.parseDouble(args[9]);
        int firstPercent = Integer.parseInt(args[10]);
        int changePercent = Integer.parseInt(args[11]);
        Path out = Path.of(args[12]);

        CheckInLoad load = new CheckInLoad(host, port, seed, reported, total);
        load.precomputeCredentials();
        // A steady machine without ETag: its 200 carries the ETag every steady machine will send.
        String saved = null;
        load.steadyEtag = null;
        Response learn = load.once(Kind.STEADY);
        if (learn.status() != 200 || learn.etag() == null) {
            throw new IllegalStateException("learning the steady-state ETag failed: status " + learn.status());
        }
        load.steadyEtag = learn.etag();
        saved = learn.etag();
        System.err.println("steady-state ETag " + saved);

        SplittableRandom pick = new SplittableRandom(7);
        Mix checkins = () -> {
            int p = pick.nextInt(100);
            return p < firstPercent ? Kind.FIRST : p < firstPercent + changePercent ? Kind.CHANGE : Kind.STEADY;
        };
        List<String> results = new ArrayList<>();
        if (warmup > 0) {
            load.warmingUp = true;
            Stats w = load.run(connections, warmup, 0, checkins);
            load.warmingUp = false;
            System.err.println("warm-up " + w.json("warmup") + (load.warmupPool > 0 ? " (steady and changes cycling over "
                    + load.warmupPool + " machines)" : ""));
        }
        Stats c = load.run(connections, checkin, rate, checkins);
        results.add(c.json(rate > 0 ? "checkin-rate-" + (long) rate : "checkin"));
        System.err.println(results.get(results.size() - 1));
        if (health > 0) {
            Stats h = load.run(connections, health, 0, () -> Kind.HEALTH);
            results.add(h.json("health"));
            System.err.println(results.get(results.size() - 1));
        }
        double floor = Double.parseDouble(System.getenv().getOrDefault("FLOOR_SECONDS", "0"));
        if (floor > 0) {
            Stats f = load.run(connections, floor, 0, () -> Kind.FLOOR);
            results.add(f.json("http-floor"));
            System.err.println(results.get(results.size() - 1));
        }
        Files.writeString(out, "[" + String.join(",\n", results) + "]\n");
    }
}
