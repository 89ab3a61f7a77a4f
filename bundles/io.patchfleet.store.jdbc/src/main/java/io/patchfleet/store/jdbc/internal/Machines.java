package io.patchfleet.store.jdbc.internal;

import io.patchfleet.model.Machine;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.TierName;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** Machine rows shared by the machine and enrollment stores. */
final class Machines {
    static final int MAX_TAGS_CHARS = 16384;

    private Machines() {}

    /** Tags as one column: sorted, space separated (tags never hold spaces). */
    static String tags(Set<String> tags) {
        String joined = String.join(" ", new TreeSet<>(tags));
        if (joined.length() > MAX_TAGS_CHARS) {
            throw new IllegalArgumentException("machine tags longer than " + MAX_TAGS_CHARS + " characters in total");
        }
        return joined;
    }

    static Set<String> tags(String column) {
        return column.isEmpty() ? Set.of() : Set.copyOf(Arrays.asList(column.split(" ")));
    }

    static Machine machine(ResultSet rs) throws SQLException {
        return new Machine(MachineId.of(rs.getString("machine_id")), TierName.of(rs.getString("tier_name")),
                tags(rs.getString("tags")), Sql.instant(rs, "enrolled_at"));
    }

    static Optional<Machine> find(Connection c, MachineId id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT machine_id, tier_name, tags, enrolled_at FROM machines WHERE machine_id = ?")) {
            ps.setString(1, id.value());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(machine(rs)) : Optional.empty();
            }
        }
    }
}
