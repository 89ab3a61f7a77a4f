package io.patchfleet.store.jdbc.internal;

import io.patchfleet.model.Tier;
import io.patchfleet.model.TierName;
import io.patchfleet.store.api.StoreException;
import io.patchfleet.store.api.TierStore;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** {@link TierStore} over JDBC. */
@Component(service = TierStore.class)
public final class JdbcTierStore implements TierStore {
    private final Database db;

    @Activate
    public JdbcTierStore(@Reference Database db) {
        this.db = db;
    }

    @Override
    public List<Tier> tiers() throws StoreException {
        return db.inTransaction(Tiers::all);
    }

    @Override
    public Optional<Tier> find(TierName name) throws StoreException {
        Objects.requireNonNull(name, "tier name");
        return db.inTransaction(c -> {
            int p = Tiers.positionOrMinus(c, name);
            return p < 0 ? Optional.<Tier>empty() : Optional.of(new Tier(name, p));
        });
    }

    @Override
    public List<Tier> define(List<TierName> ordered) throws StoreException {
        List<TierName> list = List.copyOf(ordered);
        if (list.isEmpty()) {
            throw new IllegalArgumentException("at least one tier is needed");
        }
        if (new HashSet<>(list).size() != list.size()) {
            throw new IllegalArgumentException("duplicate tier in " + list);
        }
        return db.inCatalogWrite(c -> {
            Tiers.lock(c);
            return apply(c, names(Tiers.all(c)), list);
        });
    }

    @Override
    public List<Tier> create(TierName name, int position) throws StoreException {
        Objects.requireNonNull(name, "tier name");
        return db.inCatalogWrite(c -> {
            Tiers.lock(c);
            List<TierName> old = names(Tiers.all(c));
            if (old.contains(name)) {
                throw new StoreException(StoreException.Reason.CONFLICT, "tier " + name + " exists");
            }
            if (position < 0 || position > old.size()) {
                throw new IllegalArgumentException("tier position must be in 0.." + old.size() + ": " + position);
            }
            List<TierName> next = new ArrayList<>(old);
            next.add(position, name);
            return apply(c, old, next);
        });
    }

    @Override
    public List<Tier> delete(TierName name) throws StoreException {
        Objects.requireNonNull(name, "tier name");
        return db.inCatalogWrite(c -> {
            Tiers.lock(c);
            List<TierName> old = names(Tiers.all(c));
            if (!old.contains(name)) {
                throw new StoreException(StoreException.Reason.NOT_FOUND, "no tier " + name);
            }
            List<TierName> next = new ArrayList<>(old);
            next.remove(name);
            return apply(c, old, next);
        });
    }

    /** Writes the new order; removed tiers must be unused; their releases fall back (see TierStore). */
    private static List<Tier> apply(Connection c, List<TierName> old, List<TierName> next)
            throws SQLException, StoreException {
        if (next.isEmpty()) {
            throw new StoreException(StoreException.Reason.CONFLICT, "the last tier cannot be deleted");
        }
        Set<TierName> keep = Set.copyOf(next);
        for (int i = 0; i < old.size(); i++) {
            TierName gone = old.get(i);
            if (keep.contains(gone)) {
                continue;
            }
            long machines = Sql.queryLong(c, "SELECT COUNT(*) FROM machines WHERE tier_name = ?", gone.value());
            long tokens = Sql.queryLong(c, "SELECT COUNT(*) FROM enrollment_tokens WHERE tier_name = ?", gone.value());
            if (machines > 0 || tokens > 0) {
                throw new StoreException(StoreException.Reason.CONFLICT, "tier " + gone + " still has " + machines
                        + " machines and " + tokens + " enrollment tokens");
            }
        }
        for (int i = 0; i < next.size(); i++) {
            TierName t = next.get(i);
            if (old.contains(t)) {
                Sql.update(c, "UPDATE tiers SET tier_position = ? WHERE tier_name = ?", i, t.value());
            } else {
                Sql.update(c, "INSERT INTO tiers (tier_name, tier_position) VALUES (?, ?)", t.value(), i);
            }
        }
        for (int i = 0; i < old.size(); i++) {
            TierName gone = old.get(i);
            if (keep.contains(gone)) {
                continue;
            }
            TierName fallback = next.get(0);
            for (int j = i - 1; j >= 0; j--) {
                if (keep.contains(old.get(j))) {
                    fallback = old.get(j);
                    break;
                }
            }
            Sql.update(c, "UPDATE patch_releases SET promoted_to = ? WHERE promoted_to = ?", fallback.value(), gone.value());
            Sql.update(c, "DELETE FROM tiers WHERE tier_name = ?", gone.value());
        }
        return Tiers.all(c);
    }

    private static List<TierName> names(List<Tier> tiers) {
        return tiers.stream().map(Tier::name).toList();
    }
}
