package io.patchfleet.trust.tuf;

import io.patchfleet.trust.api.TargetMismatchException;
import io.patchfleet.trust.api.TrustException.Reason;
import io.patchfleet.trust.api.VerifiedTarget;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Checks target bytes against a {@link VerifiedTarget} while streaming them: never reads more
 * than the signed length plus one byte (endless data, TUF attack 7), then compares the exact
 * length and the SHA-256, and the SHA-512 when the target lists one (attack 1).
 */
public final class TargetVerification {
    private TargetVerification() {}

    /**
     * Reads {@code in} to its end (at most {@code target.length() + 1} bytes) and checks it.
     *
     * @throws TargetMismatchException {@code LENGTH_MISMATCH} or {@code HASH_MISMATCH}
     * @throws IOException if reading fails
     */
    public static void verify(VerifiedTarget target, InputStream in) throws IOException, TargetMismatchException {
        copyVerified(target, in, OutputStream.nullOutputStream());
    }

    /** Checks a file's bytes against {@code target}. */
    public static void verify(VerifiedTarget target, Path file) throws IOException, TargetMismatchException {
        try (InputStream in = Files.newInputStream(file)) {
            verify(target, in);
        }
    }

    /**
     * Copies {@code in} to {@code out} while checking it; {@code out} receives at most
     * {@code target.length()} bytes. On a mismatch, whatever was written must be discarded by
     * the caller (write to a temp file, rename only after this returns).
     */
    public static void copyVerified(VerifiedTarget target, InputStream in, OutputStream out)
            throws IOException, TargetMismatchException {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(out, "out");
        MessageDigest sha256 = digest("SHA-256");
        String sha512Expected = target.hashes().get("sha512");
        MessageDigest sha512 = sha512Expected == null ? null : digest("SHA-512");
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        int n;
        while ((n = in.read(buf, 0, (int) Math.min(buf.length, target.length() + 1 - total))) > 0) {
            total += n;
            if (total > target.length()) {
                throw new TargetMismatchException(Reason.LENGTH_MISMATCH, "target " + target.name()
                        + ": more than the signed " + target.length() + " bytes");
            }
            sha256.update(buf, 0, n);
            if (sha512 != null) {
                sha512.update(buf, 0, n);
            }
            out.write(buf, 0, n);
        }
        target.checkContent(total, io.patchfleet.model.Sha256.ofDigest(sha256.digest()));
        if (sha512 != null && !HexFormat.of().formatHex(sha512.digest()).equals(sha512Expected)) {
            throw new TargetMismatchException(Reason.HASH_MISMATCH, "target " + target.name()
                    + ": SHA-512 differs from the signed one");
        }
    }

    private static MessageDigest digest(String alg) {
        try {
            return MessageDigest.getInstance(alg);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the Java runtime lacks " + alg, e);
        }
    }
}
