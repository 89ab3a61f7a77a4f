import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Build step of the distribution (launcher/pom.xml, run as a single source file): rewrites every
 * jar of a folder with its entries stored, not deflated. Same entries, same order, same content
 * and times, so signatures and manifests stay valid; only the compression goes.
 *
 * <p>Why, for the client profile's bundles: Felix reads a class's bytes from the bundle's jar
 * each time a class is loaded, even when the JVM then takes the class from the class-data
 * archive (it matches the bytes). Inflating them was ~5 % of a client start's CPU; stored, the
 * start to the first check-in measured ~0.08 s faster and the idle RSS ~0.6 MB lower, for
 * ~9 MB more on disk (BENCHMARKS.md, client footprint).
 *
 * <p>Usage: {@code java StoredJars.java DIR}
 */
public final class StoredJars {
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: java StoredJars.java DIR");
            System.exit(2);
        }
        List<Path> jars;
        try (Stream<Path> s = Files.list(Path.of(args[0]))) {
            jars = s.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
        }
        for (Path jar : jars) {
            Path tmp = jar.resolveSibling(jar.getFileName() + ".stored.tmp");
            try (InputStream fin = Files.newInputStream(jar); ZipInputStream in = new ZipInputStream(fin);
                    OutputStream fout = Files.newOutputStream(tmp); ZipOutputStream out = new ZipOutputStream(fout)) {
                out.setMethod(ZipOutputStream.STORED);
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                for (ZipEntry e; (e = in.getNextEntry()) != null;) {
                    buf.reset();
                    in.transferTo(buf);
                    byte[] bytes = buf.toByteArray();
                    CRC32 crc = new CRC32();
                    crc.update(bytes);
                    ZipEntry stored = new ZipEntry(e.getName());
                    stored.setMethod(ZipEntry.STORED);
                    stored.setSize(bytes.length);
                    stored.setCompressedSize(bytes.length);
                    stored.setCrc(crc.getValue());
                    if (e.getLastModifiedTime() != null) {
                        stored.setLastModifiedTime(e.getLastModifiedTime());
                    } else {
                        stored.setTime(e.getTime());
                    }
                    out.putNextEntry(stored);
                    out.write(bytes);
                    out.closeEntry();
                }
            }
            Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        System.out.println("Stored (uncompressed) entries in " + jars.size() + " jars of " + args[0]);
    }
}
