package io.patchfleet.sync.api;

import java.io.IOException;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Where a {@link MirrorSource} writes a module's bytes as they arrive
 * ({@link MirrorSource#transferTarget}); the mirror's side: it hands them to the blob store, which
 * hashes them on the way and checks the whole against the signed target before anything is
 * stored. The source trusts nothing it writes here and is trusted for nothing: it only moves bytes.
 *
 * @since 1.3
 */
@ProviderType
public interface ModuleSink {

    /**
     * Bytes of the module the sink already holds from an earlier, interrupted transfer: the source
     * sends from this offset (an HTTP {@code Range} request), or calls {@link #restart()} first.
     */
    long position();

    /** The module's next bytes, at {@link #position()}. */
    void write(byte[] bytes, int offset, int length) throws IOException;

    /** Drops what the sink holds: the source sends from the module's first byte after all. */
    void restart() throws IOException;
}
