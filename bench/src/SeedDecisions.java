import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

/**
 * Gives every reported machine of a seeded bench fleet the rollout decision a steady fleet holds
 * (offer of patch 1, as the server answers these machines), once, after the schema migration
 * that added the decision columns. Without it, the first check-in of every machine in a run
 * records a decision, a one-time cost of an upgrade that a steady-state measurement must not
 * include (bench/checkin.sh).
 *
 * <p>Usage: {@code java -cp hsqldb.jar SeedDecisions.java <database path>}
 */
public final class SeedDecisions {
    public static void main(String[] args) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:hsqldb:file:" + args[0] + ";ifexists=true", "SA", "");
                Statement s = c.createStatement()) {
            long t0 = System.nanoTime();
            int n = s.executeUpdate("UPDATE machines SET decision_outcome = 'offer', decision_reason = 'patch 1', "
                    + "decision_at = CURRENT_TIMESTAMP WHERE last_seen IS NOT NULL AND decision_outcome IS NULL");
            c.commit();
            s.execute("SHUTDOWN");
            System.err.printf("decisions seeded for %d machine(s) in %.0f s%n", n, (System.nanoTime() - t0) / 1e9);
        }
    }
}
