package dev.graft.core.fs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The hidden temporary files and directories Graft writes beside an output before renaming them into place, and
 * what keeps them from outliving the write.
 *
 * <p>A temporary sibling of {@code dir/name} is named {@code dir/.name.graft-PID-RANDOM.tmp}, {@code PID} being the
 * writing process. While it exists it is in a registry; a shutdown hook deletes whatever is still registered
 * when the JVM ends (Ctrl-C, {@code kill}, {@code System.exit}), so an interrupted run leaves nothing behind. What
 * a killed JVM ({@code kill -9}, a power cut) cannot clean up, the next run does: before Graft first writes into a
 * directory it deletes the temporary files of that naming there whose writer is gone — no live process has the
 * PID, or the live one started after the file was last written (the PID was reused). A live writer's files are
 * left alone, and nothing of any other naming is ever touched.
 *
 * <p>Files are created without explicit permissions, so they get the mode the user's umask gives (e.g. 0644);
 * the rename keeps it.
 */
public final class TempFiles {
    private static final Pattern NAME = Pattern.compile("^\\.(.+)\\.graft-(\\d+)-([0-9a-f]{8})\\.tmp$");
    /** Leaves room for the prefix and suffix within the 255 bytes most file systems allow. */
    private static final int MAX_BASE = 180;
    private static final long PID = ProcessHandle.current().pid();
    private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();
    private static final Set<Path> SWEPT = ConcurrentHashMap.newKeySet();
    private static volatile boolean shuttingDown;
    private static volatile boolean hooked;

    private TempFiles() {
    }

    /** Whether {@code name} is a temporary file name of Graft's ({@code .name.graft-PID-RANDOM.tmp}). */
    public static boolean isTempName(String name) {
        return NAME.matcher(name).matches();
    }

    /** The PID in a temporary file name of Graft's, if it is one. */
    public static Optional<Long> writerPid(String name) {
        Matcher m = NAME.matcher(name);
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Long.parseLong(m.group(2)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * Creates an empty temporary file beside {@code target} (registered until {@link #moveIntoPlace} or
     * {@link #delete}), after removing stale temporary files from the target's directory.
     */
    public static Path createFile(Path target) throws IOException {
        return create(target, false);
    }

    /** Creates an empty temporary directory beside {@code target}; see {@link #createFile}. */
    public static Path createDirectory(Path target) throws IOException {
        return create(target, true);
    }

    private static Path create(Path target, boolean directory) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        Path dir = abs.getParent();
        if (dir == null || abs.getFileName() == null) {
            throw new IOException("cannot write at the file-system root: " + target);
        }
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "directory for " + abs.getFileName() + " does not exist");
        }
        sweepOnce(dir);
        String base = abs.getFileName().toString();
        if (base.length() > MAX_BASE) {
            base = base.substring(0, MAX_BASE);
        }
        ensureHook();
        for (int attempt = 0; ; attempt++) {
            if (shuttingDown) {
                throw new IOException("the JVM is shutting down; not starting to write " + abs);
            }
            Path tmp = dir.resolve("." + base + ".graft-" + PID + "-"
                    + String.format("%08x", ThreadLocalRandom.current().nextInt()) + ".tmp");
            LIVE.add(tmp);
            try {
                if (directory) {
                    Files.createDirectory(tmp);
                } else {
                    Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                }
                return tmp;
            } catch (FileAlreadyExistsException e) {
                LIVE.remove(tmp);
                if (attempt > 100) {
                    throw e;
                }
            } catch (IOException | RuntimeException e) {
                LIVE.remove(tmp);
                throw e;
            }
        }
    }

    /**
     * Renames the temporary file or directory {@code tmp} to {@code target} (atomically where the file system can),
     * replacing a file {@code target} when {@code replace}; then {@code tmp} is no longer registered.
     *
     * @throws FileAlreadyExistsException when {@code target} exists and {@code replace} is false
     */
    public static void moveIntoPlace(Path tmp, Path target, boolean replace) throws IOException {
        try {
            if (!replace && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new FileAlreadyExistsException(target.toString(), null, "appeared while it was being written; not replacing it");
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                if (replace) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                } else {
                    Files.move(tmp, target);
                }
            }
        } finally {
            if (!Files.exists(tmp, LinkOption.NOFOLLOW_LINKS)) {
                LIVE.remove(tmp);
            }
        }
    }

    /** Deletes a temporary file or directory (with its content) and forgets it; quiet when it is gone already. */
    public static void delete(Path tmp) throws IOException {
        try {
            deleteTree(tmp);
        } finally {
            LIVE.remove(tmp);
        }
    }

    /** Forgets {@code tmp} without deleting it (its content was moved elsewhere, say). */
    public static void release(Path tmp) {
        LIVE.remove(tmp);
    }

    /** The temporary files of this process that are being written now. */
    public static List<Path> inProgress() {
        return List.copyOf(LIVE);
    }

    /**
     * Deletes the temporary files and directories of Graft's naming in {@code dir} whose writer is gone (see the
     * class comment), and returns them.
     */
    public static List<Path> sweepStale(Path dir) throws IOException {
        List<Path> removed = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return removed;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, ".*.graft-*.tmp")) {
            for (Path p : entries) {
                if (isStale(p)) {
                    try {
                        deleteTree(p);
                        removed.add(p);
                    } catch (IOException e) {
                        // another process may be sweeping the same directory; a file we cannot delete stays
                    }
                }
            }
        }
        return removed;
    }

    /** Whether {@code p} is a temporary file of Graft's naming whose writing process is gone. */
    static boolean isStale(Path p) {
        Optional<Long> pid = writerPid(p.getFileName().toString());
        if (pid.isEmpty() || pid.get() == PID) {
            return false;
        }
        Optional<ProcessHandle> writer = ProcessHandle.of(pid.get());
        if (writer.isEmpty() || !writer.get().isAlive()) {
            return true;
        }
        Optional<Instant> started = writer.get().info().startInstant();
        if (started.isEmpty()) {
            return false;
        }
        try {
            FileTime modified = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS);
            // a process cannot have written a file before it started: the PID was reused (1 s for clock granularity)
            return started.get().isAfter(modified.toInstant().plusSeconds(1));
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * {@link #sweepStale Sweeps} {@code dir} unless this JVM did so already (as {@link #createFile} does before
     * its first write there); for a directory read before it is written, or never written, such as a cache. Best
     * effort: a directory that does not exist or cannot be read is left as it is.
     */
    public static void sweepOnce(Path dir) {
        dir = dir.toAbsolutePath().normalize();
        if (SWEPT.add(dir)) {
            try {
                sweepStale(dir);
            } catch (IOException | UncheckedIOException e) {
                // cleaning up after others is best effort; the write itself goes on
            }
        }
    }

    private static void ensureHook() {
        if (hooked) {
            return;
        }
        synchronized (TempFiles.class) {
            if (!hooked) {
                Runtime.getRuntime().addShutdownHook(new Thread(TempFiles::cleanUpAtExit, "graft-temp-files-cleanup"));
                hooked = true;
            }
        }
    }

    /** Deletes what is still being written; writers that go on meanwhile may add files, hence a few rounds. */
    private static void cleanUpAtExit() {
        shuttingDown = true;
        for (int round = 0; round < 5 && !LIVE.isEmpty(); round++) {
            for (Path p : List.copyOf(LIVE)) {
                try {
                    deleteTree(p);
                    LIVE.remove(p);
                } catch (IOException | RuntimeException e) {
                    // retried in the next round
                }
            }
            if (!LIVE.isEmpty()) {
                Thread.onSpinWait();
            }
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            Files.deleteIfExists(p);
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
