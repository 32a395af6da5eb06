package dev.graft.adapters.head;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Writes a directory all at once: the content goes into a hidden sibling, which is renamed into place only when
 * everything in it was written. A failure or an interrupted JVM leaves at most a hidden {@code .name.tmp-*}
 * sibling, never a half-written directory under the real name. An existing directory is replaced only when it
 * is empty or holds what {@code marker} says a previous save wrote.
 */
public final class SavedDirectory {

    /** Writes the content of a directory. */
    @FunctionalInterface
    public interface Content {
        void writeInto(Path dir) throws IOException;
    }

    private SavedDirectory() {
    }

    /**
     * @param target where the directory ends up
     * @param marker a file name that identifies a directory this kind of save wrote (e.g. {@code head_config.json})
     * @throws IOException when writing fails (nothing is left under {@code target}'s name) or {@code target}
     *                     exists and is neither empty nor a previous save
     */
    public static void write(Path target, String marker, Content content) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent == null) {
            throw new IOException("cannot save into the file-system root " + abs);
        }
        if (Files.exists(abs)) {
            if (!Files.isDirectory(abs)) {
                throw new IOException(abs + " exists and is not a directory; not overwriting it");
            }
            try (Stream<Path> entries = Files.list(abs)) {
                if (entries.findAny().isPresent() && !Files.exists(abs.resolve(marker))) {
                    throw new IOException(abs + " exists, is not empty and holds no " + marker
                            + "; refusing to overwrite it (choose an empty or new directory)");
                }
            }
        }
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + abs.getFileName() + ".tmp-");
        boolean done = false;
        try {
            openUp(tmp);
            content.writeInto(tmp);
            if (Thread.currentThread().isInterrupted()) {
                throw new IOException("interrupted while saving " + abs);
            }
            Path old = null;
            if (Files.exists(abs)) {
                old = Files.createTempDirectory(parent, "." + abs.getFileName() + ".old-");
                Files.delete(old);
                move(abs, old);
            }
            move(tmp, abs);
            done = true;
            if (old != null) {
                deleteTree(old);
            }
        } finally {
            if (!done) {
                deleteTree(tmp);
            }
        }
    }

    /** Temporary directories are created owner-only; a saved head is as readable as any other directory. */
    private static void openUp(Path dir) throws IOException {
        if (Files.getFileStore(dir).supportsFileAttributeView(java.nio.file.attribute.PosixFileAttributeView.class)) {
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException | DirectoryNotEmptyException e) {
            Files.move(from, to);
        }
    }

    /** Deletes a directory tree; quietly does nothing when it is gone already. */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
