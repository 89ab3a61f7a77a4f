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
}
