package io.patchfleet.trust.tuf.internal;

import io.patchfleet.trust.api.MalformedMetadataException;
import io.patchfleet.trust.api.MetadataFile;
import io.patchfleet.trust.api.VerifiedTarget;
import java.util.List;
import java.util.Map;

/** Reading repository files without verification, for publisher tooling. */
public final class RepositoryFiles {
    private RepositoryFiles() {}

    /** The targets a targets role file lists. */
    public static Map<String, VerifiedTarget> targets(MetadataFile f, String role) throws MalformedMetadataException {
        return Metadata.targets(Signed.parse(f.content(), f.name(), Long.MAX_VALUE, "targets"), role).targets();
    }

    /** The roles a top-level targets file delegates to. */
    public static List<String> delegatedRoles(MetadataFile f) throws MalformedMetadataException {
        return Metadata.targets(Signed.parse(f.content(), f.name(), Long.MAX_VALUE, "targets"), "targets")
                .delegations().stream().map(Metadata.Delegation::name).toList();
    }

    /**
     * Whether a stored delegated role file ({@code R.json} or {@code V.R.json}) is whole: it
     * parses as a targets role of the version the snapshot names for it, and matches the length
     * and hashes the snapshot states. Signatures are not checked (a verifier does that before
     * using it); this tells a file torn by a power loss from a complete one.
     */
    public static boolean intactDelegated(MetadataFile snapshot, String role, String fileName, byte[] content) {
        try {
            Metadata.MetaInfo info = Metadata.snapshot(Signed.parse(snapshot.content(), snapshot.name(), Long.MAX_VALUE,
                    "snapshot")).meta().get(role);
            if (info == null || role.equals("targets")) {
                return false;
            }
            if (!fileName.equals(role + ".json") && !fileName.equals(info.version() + "." + role + ".json")) {
                return false;
            }
            TufVerifier.checkMetaInfo(fileName, content, info, "the snapshot");
            return Metadata.targets(Signed.parse(content, fileName, Long.MAX_VALUE, "targets"), role).version() == info.version();
        } catch (MalformedMetadataException | io.patchfleet.trust.api.RollbackException | RuntimeException e) {
            return false;
        }
    }
}
