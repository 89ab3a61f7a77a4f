package io.patchfleet.store.jdbc.internal;

import io.patchfleet.model.Machine;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.TierName;
import io.patchfleet.store.api.Enrollment;
import io.patchfleet.store.api.EnrollmentStore;
import io.patchfleet.store.api.EnrollmentToken;
import io.patchfleet.store.api.IssuedToken;
import io.patchfleet.store.api.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@link EnrollmentStore} over JDBC. The token's use counter is raised with
 * {@code UPDATE … WHERE uses < max_uses}, so concurrent enrollments never exceed the limit.
 */
@Component(service = EnrollmentStore.class)
public final class JdbcEnrollmentStore implements EnrollmentStore {
    private static final String TOKEN_COLUMNS = "token_id, tier_name, description, created_by, created_at, expires_at, "
            + "max_uses, uses, revoked";

    private final Database db;

    @Activate
    public JdbcEnrollmentStore(@Reference Database db) {
        this.db = db;
    }

    @Override
    public IssuedToken createToken(TierName tier, Instant expiresAt, int maxUses, String description, String createdBy)
            throws StoreException {
        Objects.requireNonNull(tier, "tier");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Instant now = Sql.micros(db.clock().instant());
        if (!expiresAt.isAfter(now)) {
            throw new IllegalArgumentException("token expiry must be in the future: " + expiresAt);
        }
        String id = Secrets.newId();
        // Validates every field before anything is written.
        EnrollmentToken token = new EnrollmentToken(id, tier, description, createdBy, now, Sql.micros(expiresAt), maxUses,
                0, false);
        if (createdBy.isEmpty() || createdBy.length() > 128) {
            throw new IllegalArgumentException("createdBy must have 1..128 characters");
        }
        String secret = Secrets.newSecret();
        db.inTransaction(c -> {
            Tiers.position(c, tier);
            return Sql.update(c, "INSERT INTO enrollment_tokens (token_id, secret_hash, tier_name, description, created_by,"
                    + " created_at, expires_at, max_uses, uses, revoked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, FALSE)",
                    id, Secrets.hash(secret), tier.value(), description, createdBy, now, token.expiresAt(), maxUses);
        });
        return new IssuedToken(token, secret);
    }

    @Override
    public List<EnrollmentToken> tokens() throws StoreException {
        return db.inTransaction(c -> tokens(c, "SELECT " + TOKEN_COLUMNS
                + " FROM enrollment_tokens ORDER BY created_at DESC, token_id"));
    }

    @Override
    public Optional<EnrollmentToken> findToken(String id) throws StoreException {
        Objects.requireNonNull(id, "token id");
        return db.inTransaction(c -> tokens(c, "SELECT " + TOKEN_COLUMNS + " FROM enrollment_tokens WHERE token_id = ?", id)
                .stream().findFirst());
    }

    @Override
    public boolean revokeToken(String id) throws StoreException {
        Objects.requireNonNull(id, "token id");
        return db.inTransaction(c -> {
            if (tokens(c, "SELECT " + TOKEN_COLUMNS + " FROM enrollment_tokens WHERE token_id = ?", id).isEmpty()) {
                throw new StoreException(StoreException.Reason.NOT_FOUND, "no enrollment token " + id);
            }
            return Sql.update(c, "UPDATE enrollment_tokens SET revoked = TRUE WHERE token_id = ? AND revoked = FALSE", id) == 1;
        });
    }

    @Override
    public Enrollment enroll(String tokenSecret, MachineId machine, Set<String> tags) throws StoreException {
        Objects.requireNonNull(tokenSecret, "token secret");
        Objects.requireNonNull(machine, "machine id");
        Set<String> checkedTags = Set.copyOf(tags);
        checkedTags.forEach(Machine::checkTag);
        String tagColumn = Machines.tags(checkedTags);
        String secretHash = Secrets.hash(tokenSecret);
        Enrollment enrollment = db.inTransaction(c -> {
            Instant now = Sql.micros(db.clock().instant());
            String sql = "SELECT " + TOKEN_COLUMNS + " FROM enrollment_tokens WHERE secret_hash = ?";
            EnrollmentToken token = tokens(c, sql, secretHash).stream().findFirst()
                    .orElseThrow(() -> rejected("unknown enrollment token"));
            if (token.revoked()) {
                throw rejected("enrollment token " + token.id() + " is revoked");
            }
            if (!now.isBefore(token.expiresAt())) {
                throw rejected("enrollment token " + token.id() + " expired at " + token.expiresAt());
            }
            Optional<String> previousToken = enrolledWith(c, machine);
            boolean known = previousToken != null;
            boolean sameToken = known && previousToken.filter(token.id()::equals).isPresent();
            if (!sameToken && Sql.update(c, "UPDATE enrollment_tokens SET uses = uses + 1 "
                    + "WHERE token_id = ? AND uses < max_uses", token.id()) == 0) {
                throw rejected("enrollment token " + token.id() + " is used up (" + token.maxUses() + " uses)");
            }
            String credential = Secrets.newSecret();
            if (known) {
                // The last credential the machine used stays valid until the new one is first
                // used: a machine that refuses the answer (a root that does not match its pin) or
                // never receives it keeps checking in. A second re-enrollment before that keeps
                // the same working one and drops the unused one in between.
                Sql.update(c, "UPDATE machines SET tier_name = ?, tags = ?, token_id = ?, "
                        + "previous_credential_hash = COALESCE(previous_credential_hash, credential_hash), credential_hash = ? "
                        + "WHERE machine_id = ?", token.tier().value(), tagColumn, token.id(), Secrets.hash(credential),
                        machine.value());
            } else {
                Sql.update(c, "INSERT INTO machines (machine_id, tier_name, tags, enrolled_at, token_id, credential_hash) "
                        + "VALUES (?, ?, ?, ?, ?, ?)", machine.value(), token.tier().value(), tagColumn, now, token.id(),
                        Secrets.hash(credential));
            }
            return new Enrollment(Machines.find(c, machine).orElseThrow(), credential, known);
        });
        // After the commit: the new credential works; an unused one issued before it stops at once.
        db.fleet().refresh(db, machine);
        return enrollment;
    }

    /**
     * Answered from the {@link FleetIndex} (a database read only while the index still loads).
     * Both the machine's credential and, after a re-enrollment, its previous one until the new
     * one is first used, are found.
     */
    @Override
    public Optional<MachineId> authenticate(String credential) throws StoreException {
        Objects.requireNonNull(credential, "credential");
        String hash = Secrets.hash(credential);
        FleetIndex fleet = db.fleet();
        FleetIndex.Entry known = fleet.byCredential(hash);
        if (known != null) {
            if (known.previousCredentialHash != null && hash.equals(known.credentialHash)) {
                confirm(known.machine.id(), hash);
            }
            return Optional.of(known.machine.id());
        }
        if (fleet.complete()) {
            return Optional.empty(); // the index holds every machine: no database read for a wrong credential
        }
        Optional<FleetIndex.Entry> found = db.inTransaction(c -> fleet.readByCredential(c, hash));
        if (found.isEmpty()) {
            return Optional.empty();
        }
        FleetIndex.Entry e = found.get();
        if (e.previousCredentialHash != null && hash.equals(e.credentialHash)) {
            confirm(e.machine.id(), hash);
        } else {
            fleet.cacheRead(e);
        }
        return Optional.of(e.machine.id());
    }

    /**
     * The first use of the credential issued at re-enrollment: the one before it (kept working
     * until now, so that a machine that refused or never received its new credential was not
     * locked out) ends here.
     */
    private void confirm(MachineId machine, String credentialHash) throws StoreException {
        db.inTransaction(c -> Sql.update(c, "UPDATE machines SET previous_credential_hash = NULL "
                + "WHERE machine_id = ? AND credential_hash = ?", machine.value(), credentialHash));
        db.fleet().refresh(db, machine);
    }

    /** {@code null} if the machine is unknown; else the token that enrolled it (empty if none). */
    private static Optional<String> enrolledWith(Connection c, MachineId machine) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT token_id FROM machines WHERE machine_id = ?")) {
            ps.setString(1, machine.value());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.ofNullable(rs.getString(1)) : null;
            }
        }
    }

    private static StoreException rejected(String message) {
        return new StoreException(StoreException.Reason.REJECTED, message);
    }

    private static List<EnrollmentToken> tokens(Connection c, String sql, Object... args) throws SQLException {
        List<EnrollmentToken> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            try (ResultSet rs = Sql.bind(ps, args).executeQuery()) {
                while (rs.next()) {
                    out.add(new EnrollmentToken(rs.getString("token_id"), TierName.of(rs.getString("tier_name")),
                            rs.getString("description"), rs.getString("created_by"), Sql.instant(rs, "created_at"),
                            Sql.instant(rs, "expires_at"), rs.getInt("max_uses"), rs.getInt("uses"),
                            rs.getBoolean("revoked")));
                }
            }
        }
        return out;
    }
}
