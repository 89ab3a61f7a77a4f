package io.patchfleet.cli.publisher;

import io.patchfleet.trust.api.MetadataFile;
import io.patchfleet.trust.api.RoleName;
import io.patchfleet.trust.api.TrustedMetadataStore;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** The trusted state of one {@code verify} run: a fresh client's, kept in memory. */
final class MemoryStore implements TrustedMetadataStore {
    private final Map<String, MetadataFile> files = new HashMap<>();

    @Override
    public Optional<MetadataFile> load(RoleName role) {
        return Optional.ofNullable(files.get(role.wireName()));
    }

    @Override
    public void save(RoleName role, MetadataFile file) {
        files.put(role.wireName(), file);
    }

    @Override
    public Optional<MetadataFile> loadDelegated(String role) {
        return Optional.ofNullable(files.get("delegated/" + role));
    }

    @Override
    public void saveDelegated(String role, MetadataFile file) {
        files.put("delegated/" + role, file);
    }
}
