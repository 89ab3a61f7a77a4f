import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seeds a stopped server's database with enrolled machines for the check-in benchmark, straight
 * through JDBC: enrolling a million machines through the HTTP API would take hours (each
 * enrollment is one fsync'ed transaction and a token use). Bench-only; the product never runs it.
 *
 * <p>Machine i has id {@code %032x} of i and credential base64url(HMAC-SHA256(seed,
 * "machine-" + i)), so the load generator derives every credential without a list; the row
 * stores the credential's SHA-256 in hex, as enrollment does. Machines {@code [0, reported)}
 * have reported before (kernel 6.1.0-56-amd64, patch 1 applied) — the steady-state fleet;
 * machines {@code [reported, total)} are enrolled but never checked in.
 *
 * <p>Runs with the HSQLDB log off (nothing to recover from: a failed seed is redone from
 * scratch), batches of 10,000 rows, one commit per 100,000, and a SHUTDOWN that checkpoints.
 *
 * <p>Usage: {@code java -cp hsqldb.jar CheckInSeed.java DB_PATH SEED REPORTED TOTAL}
 */
public final class CheckInSeed {
    public static void main(String[] args) throws Exception {
        String path = args[0];
        byte[] seed = args[1].getBytes(StandardCharsets.UTF_8);
        long reported = Long.parseLong(args[2]);
        long total = Long.parseLong(args[3]);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(seed, "HmacSHA256"));
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        HexFormat hex = HexFormat.of();
        OffsetDateTime enrolled = OffsetDateTime.parse("2026-11-01T00:00:00Z");
        OffsetDateTime boot = OffsetDateTime.parse("2026-11-20T08:00:00Z");
        OffsetDateTime seen = OffsetDateTime.parse("2026-11-25T07:00:00Z");
        long start = System.nanoTime();
        try (Connection c = DriverManager.getConnection("jdbc:hsqldb:file:" + path + ";ifexists=true", "SA", "")) {
            try (Statement s = c.createStatement()) {
                s.execute("SET FILES LOG FALSE");
                s.execute("SET FILES CACHE ROWS 200000");
            }
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO machines (machine_id, tier_name, tags, enrolled_at, "
                    + "credential_hash, last_seen, kernel_release, kernel_arch, kernel_flavour, kernel_build, patch_state, "
                    + "patch_version, client_version, boot_time, uptime_ms) VALUES (?, 'edge', 'bench', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (long i = 0; i < total; i++) {
                    String credential = Base64.getUrlEncoder().withoutPadding()
                            .encodeToString(mac.doFinal(("machine-" + i).getBytes(StandardCharsets.UTF_8)));
                    String hash = hex.formatHex(sha.digest(credential.getBytes(StandardCharsets.UTF_8)));
                    ps.setString(1, String.format("%032x", i));
                    ps.setObject(2, enrolled);
                    ps.setString(3, hash);
                    if (i < reported) {
                        ps.setObject(4, seen);
                        ps.setString(5, "6.1.0-56-amd64");
                        ps.setString(6, "x86_64");
                        ps.setString(7, "amd64");
                        ps.setString(8, "");
                        ps.setString(9, "applied");
                        ps.setLong(10, 1);
                        ps.setString(11, "1.0.0");
                        ps.setObject(12, boot);
                        ps.setLong(13, 3_600_000L);
                    } else {
                        ps.setNull(4, Types.TIMESTAMP_WITH_TIMEZONE);
                        for (int col = 5; col <= 9; col++) {
                            ps.setNull(col, Types.VARCHAR);
                        }
                        ps.setNull(10, Types.BIGINT);
                        ps.setNull(11, Types.VARCHAR);
                        ps.setNull(12, Types.TIMESTAMP_WITH_TIMEZONE);
                        ps.setNull(13, Types.BIGINT);
                    }
                    ps.addBatch();
                    if ((i + 1) % 10_000 == 0) {
                        ps.executeBatch();
                    }
                    if ((i + 1) % 100_000 == 0) {
                        c.commit();
                        System.err.printf("seeded %,d machines in %.0f s%n", i + 1, (System.nanoTime() - start) / 1e9);
                    }
                }
                if (total % 10_000 != 0) {
                    ps.executeBatch();
                }
                c.commit();
            }
            try (Statement s = c.createStatement()) {
                s.execute("SET FILES LOG TRUE");
                // Sizing for a million machines (HSQLDB's defaults suit a small server): a row
                // cache that can hold the machines table and its indexes (rows; KB), and the data
                // file memory-mapped (MB; above this size HSQLDB reads through RandomAccessFile,
                // a system call per row). Persisted in the database; the server then needs the
                // heap for it (bench/checkin.sh: HEAP).
                s.execute("SET FILES CACHE ROWS 4000000");
                s.execute("SET FILES CACHE SIZE 3000000");
                s.execute("SET FILES NIO SIZE 4096");
                s.execute("SHUTDOWN");
            }
        }
        System.err.printf("seeded %,d machines (%,d reported) in %.0f s%n", total, reported, (System.nanoTime() - start) / 1e9);
    }
}
