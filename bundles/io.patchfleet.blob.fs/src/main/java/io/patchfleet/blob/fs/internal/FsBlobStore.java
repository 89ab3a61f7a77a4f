package io.patchfleet.blob.fs.internal;

import io.patchfleet.model.Sha256;
import io.patchfleet.store.api.BlobInfo;
import io.patchfleet.store.api.BlobInventory;
import io.patchfleet.store.api.BlobStore;
import io.patchfleet.store.api.StoreException;
import io.patchfleet.store.api.StoreException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Objects;
import java.util.Optional;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link BlobStore} as content-addressed files: {@code ROOT/ab/cd/abcd…} named by the SHA-256
 * of their content. Only {@link Sha256} values (64 lower-case hex characters, validated by the
 * type) become file names, so no caller input can reach a path outside the root.
 *
 * <p><b>Writing</b> streams into {@code ROOT/.tmp} (same filesystem, so the rename is atomic)
 * while hashing, stops beyond the length limit, checks the digest, forces the file to disk,
 * renames it into place with {@code ATOMIC_MOVE} and forces the directory, so after
 * {@code put} returns the blob survives {@code kill -9} and power loss, and at no moment is a
 * partial file visible under a digest name. Leftovers of interrupted writes stay in
 * {@code .tmp} and are deleted at start. Concurrent puts of the same content each write their own
 * temp file; the renames replace one identical file with another.
 */
@Component(service = BlobStore.class, configurationPid = FsBlobStore.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = FsBlobStore.Config.class)
public final class FsBlobStore implements BlobStore {
    static final String PID = "io.patchfleet.blob.fs";
    static final String DATA_PROPERTY = "patchfleet.data";
    static final String TMP = ".tmp";
    private static final Logger LOG = LoggerFactory.getLogger(FsBlobStore.class);
    private static final int BUFFER = 64 * 1024;

    @ObjectClassDefinition(name = "Patchfleet blob store", description = "Where patch modules and other blobs are kept")
    public @interface Config {
        @AttributeDefinition(name = "Directory", description = "Empty: DATA/blobs under the server's data directory")
        String directory() default "";
    }

    private final Path root;
    private final Path tmp;

    @Activate
    public FsBlobStore(BundleContext context, Config config) throws IOException {
        this(root(context, config));
    }

    /** A store rooted at {@code root}, created if missing; deletes leftover temporary files. */
    public FsBlobStore(Path root) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        this.tmp = this.root.resolve(TMP);
        Files.createDirectories(tmp);
        int removed = 0;
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(tmp)) {
            for (Path p : leftovers) {
                Files.deleteIfExists(p);
                removed++;
            }
        }
        if (removed > 0) {
            LOG.info("Removed {} unfinished blob uploads from {}", removed, tmp);
        }
    }

    private static Path root(BundleContext context, Config config) {
        if (!config.directory().isBlank()) {
            return Path.of(config.directory());
        }
        String data = context.getProperty(DATA_PROPERTY);
        if (data == null || data.isBlank()) {
            throw new IllegalStateException("framework property " + DATA_PROPERTY + " is not set and no directory is "
                    + "configured in " + PID + "; start the server with 'patchfleet server'");
        }
        return Path.of(data).resolve("blobs");
    }

    /** Where a blob lives: {@code ROOT/ab/cd/<hex>}. */
    Path path(Sha256 sha256) {
        String hex = sha256.hex();
        return root.resolve(hex.substring(0, 2)).resolve(hex.substring(2, 4)).resolve(hex);
    }

    @Override
    public BlobInfo put(InputStream in, Optional<Sha256> expected, long maxLength) throws StoreException {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(expected, "expected");
        if (maxLength < 0) {
            throw new IllegalArgumentException("maxLength must not be negative: " + maxLength);
        }
        Path temp = null;
        try {
            temp = Files.createTempFile(tmp, "put-", ".part");
            MessageDigest digest = Sha256.newDigest();
            long length = 0;
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                byte[] buffer = new byte[BUFFER];
                int n;
                while ((n = readInput(in, buffer)) > 0) {
                    length += n;
                    if (length > maxLength) {
                        throw new StoreException(Reason.LIMIT, "blob larger than " + maxLength + " bytes");
                    }
                    digest.update(buffer, 0, n);
                    ByteBuffer bb = ByteBuffer.wrap(buffer, 0, n);
                    while (bb.hasRemaining()) {
                        out.write(bb);
                    }
                }
                out.force(true);
            }
            Sha256 actual = Sha256.ofDigest(digest.digest());
            if (expected.isPresent() && !expected.get().equals(actual)) {
                throw new StoreException(Reason.DIGEST_MISMATCH, "content has SHA-256 " + actual + ", expected "
                        + expected.get());
            }
            Path target = path(actual);
            if (Files.exists(target)) {
                return new BlobInfo(actual, length);
            }
            Path dir = target.getParent();
            boolean newDirs = !Files.isDirectory(dir);
            boolean newTop = newDirs && !Files.isDirectory(dir.getParent());
            Files.createDirectories(dir);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new StoreException(Reason.UNAVAILABLE, "the blob directory does not support atomic renames: " + root, e);
            }
            temp = null;
            fsyncDirectory(dir);
            if (newDirs) {
                fsyncDirectory(dir.getParent());
                if (newTop) { // the root changed only when the first-level folder is new
                    fsyncDirectory(root);
                }
            }
            return new BlobInfo(actual, length);
        } catch (IOException e) {
            throw new StoreException(Reason.UNAVAILABLE, "cannot store blob: " + e.getMessage(), e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    LOG.warn("Cannot delete temporary blob {}: {}", temp, e.getMessage());
                }
            }
        }
    }

    private static int readInput(InputStream in, byte[] buffer) throws IOException {
        return in.readNBytes(buffer, 0, buffer.length);
    }

    /** Makes a rename durable; some platforms cannot open directories, where the rename is durable already. */
    private static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            LOG.debug("Cannot fsync directory {}: {}", dir, e.getMessage());
        }
    }

    @Override
    public InputStream open(Sha256 sha256, long offset) throws StoreException {
        Objects.requireNonNull(sha256, "sha256");
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative: " + offset);
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(path(sha256), StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new StoreException(Reason.NOT_FOUND, "no blob " + sha256);
        } catch (IOException e) {
            throw new StoreException(Reason.UNAVAILABLE, "cannot open blob " + sha256 + ": " + e.getMessage(), e);
        }
        try {
            long size = ch.size();
            if (offset > size) {
                ch.close();
                throw new IllegalArgumentException("offset " + offset + " beyond blob length " + size);
            }
            ch.position(offset);
            return Channels.newInputStream(ch);
        } catch (IOException e) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // reported below
            }
            throw new StoreException(Reason.UNAVAILABLE, "cannot read blob " + sha256 + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<BlobInfo> stat(Sha256 sha256) throws StoreException {
        Objects.requireNonNull(sha256, "sha256");
        try {
            return Optional.of(new BlobInfo(sha256, Files.size(path(sha256))));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StoreException(Reason.UNAVAILABLE, "cannot stat blob " + sha256 + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean exists(Sha256 sha256) throws StoreException {
        Objects.requireNonNull(sha256, "sha256");
        return Files.isRegularFile(path(sha256));
    }

    @Override
    public boolean delete(Sha256 sha256) throws StoreException {
        Objects.requireNonNull(sha256, "sha256");
        try {
            boolean deleted = Files.deleteIfExists(path(sha256));
            if (deleted) {
                fsyncDirectory(path(sha256).getParent());
            }
            return deleted;
        } catch (IOException e) {
            throw new StoreException(Reason.UNAVAILABLE, "cannot delete blob " + sha256 + ": " + e.getMessage(), e);
        }
    }

    @Override
    public BlobInventory inventory() throws StoreException {
        java.util.List<BlobInfo> found = new java.util.ArrayList<>();
        java.util.List<String> strays = new java.util.ArrayList<>();
        java.util.List<String> temporary = new java.util.ArrayList<>();
        try (java.util.stream.Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                String relative = root.relativize(p).toString();
                if (p.getParent().equals(tmp)) {
                    temporary.add(relative);
                    continue;
                }
                Sha256 sha;
                try {
                    sha = Sha256.of(p.getFileName().toString());
                } catch (IllegalArgumentException e) {
                    strays.add(relative);
                    continue;
                }
                if (!path(sha).equals(p)) {
                    strays.add(relative); // a digest name in the wrong folder: never found by open()
                    continue;
                }
                found.add(new BlobInfo(sha, Files.size(p)));
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new StoreException(Reason.UNAVAILABLE, "cannot list the blob store " + root + ": " + e.getMessage(), e);
        }
        return new BlobInventory(found, strays, temporary);
    }
}
