package io.patchfleet.trust.tuf.internal;

import static io.patchfleet.trust.tuf.internal.Fixture.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.trust.api.DelegatedTargets;
import io.patchfleet.trust.api.MetadataFile;
import io.patchfleet.trust.tuf.KernelRoles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 10,000 patches across 500 kernels: a client downloads the top-level metadata and its own
 * kernel's role only, and a publication for one kernel re-signs only that kernel's role.
 */
class DelegationScaleTest {
    static final int KERNELS = 500;
    static final int PATCHES_PER_KERNEL = 20;

    @TempDir
    Path dir;

    static KernelId kernel(int i) {
        return KernelId.of("5." + (i / 100) + ".0-" + (i % 100 + 1) + "-generic", i % 2 == 0 ? "x86_64" : "aarch64", "");
    }

    @Test
    void clientFetchesOnlyTopLevelAndItsOwnKernelRole() throws Exception {
        Fixture repo = new Fixture(dir, false);
        List<PatchRelease> all = new ArrayList<>();
        for (int k = 0; k < KERNELS; k++) {
            for (int v = 1; v <= PATCHES_PER_KERNEL; v++) {
                all.add(Fixture.patch(kernel(k), v));
            }
        }
        long t0 = System.nanoTime();
        repo.publish(all, Set.of(), T0);
        long published = System.nanoTime();
        assertEquals(KERNELS, repo.repo.publishedTargets().size() / PATCHES_PER_KERNEL);

        KernelId mine = kernel(123);
        Fixture.Source source = new Fixture.Source(repo.repo);
        TufVerifier client = repo.pinnedClient(new Fixture.MemoryStore());
        long c0 = System.nanoTime();
        client.refresh(source, T0.plusSeconds(60));
        DelegatedTargets targets = client.targetsFor(mine, source, T0.plusSeconds(60)).orElseThrow();
        long c1 = System.nanoTime();

        assertEquals(PATCHES_PER_KERNEL, targets.targets().size());
        assertEquals(List.of("2.root.json", "timestamp.json", "1.snapshot.json", "1.targets.json",
                "1." + KernelRoles.roleFor(mine) + ".json"), source.fetched);
        long ownRole = repo.repo.fetch("1." + KernelRoles.roleFor(mine) + ".json", Long.MAX_VALUE).orElseThrow().length();
        long everything = 0;
        for (String f : repo.repo.metadataFiles()) {
            if (f.startsWith("1.kernel-")) {
                everything += repo.repo.fetch(f, Long.MAX_VALUE).orElseThrow().length();
            }
        }
        System.out.printf("scale: published %d patches for %d kernels in %d ms; client refresh + lookup in %d ms, "
                + "%d files, %d bytes (own role %d bytes; all roles together %d bytes)%n", all.size(), KERNELS,
                (published - t0) / 1_000_000, (c1 - c0) / 1_000_000, source.fetched.size(), source.bytes.get(), ownRole,
                everything);
        assertTrue(source.bytes.get() < everything / 10, "the client must not download other kernels' roles");

        // publishing one patch for another kernel re-signs that role only
        List<MetadataFile> written = repo.publish(Fixture.patch(kernel(7), PATCHES_PER_KERNEL + 1));
        assertEquals(List.of("2." + KernelRoles.roleFor(kernel(7)) + ".json", "2.snapshot.json", "timestamp.json"),
                written.stream().map(MetadataFile::name).toList());
        source.fetched.clear();
        client.refresh(source, T0.plusSeconds(120));
        client.targetsFor(mine, source, T0.plusSeconds(120));
        assertEquals(List.of("2.root.json", "timestamp.json", "2.snapshot.json"), source.fetched,
                "an unrelated kernel's publication costs this client the snapshot and timestamp only");
    }
}
