package dev.graft.core.fs;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes a file all at once: the content goes into a hidden temporary sibling ({@link TempFiles}), which is
 * flushed to disk and renamed onto the target only when complete. A failure or an interrupted JVM leaves the
 * target as it was and no temporary file behind.
 */
public final class AtomicFiles {

    /** Writes the content of a file. */
    @FunctionalInterface
    public interface Content {
        /** Writes the whole file at {@code file} (which exists, empty). */
        void writeTo(Path file) throws IOException;
    }

    private AtomicFiles() {
    }

    /** Writes {@code bytes} to {@code target}, replacing it if it exists. */
    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, true, file -> Files.write(file, bytes));
    }

    /**
     * Writes {@code target} through {@code content}, atomically.
     *
     * @param replace whether an existing file {@code target} may be replaced
     * @throws FileAlreadyExistsException when {@code target} exists and {@code replace} is false, or is a directory
     */
    public static void write(Path target, boolean replace, Content content) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        refuseExisting(abs, replace);
        Path tmp = TempFiles.createFile(abs);
        try {
            content.writeTo(tmp);
            force(tmp);
            if (Thread.currentThread().isInterrupted()) {
                throw new IOException("interrupted while writing " + abs + "; it was not written");
            }
            TempFiles.moveIntoPlace(tmp, abs, replace);
        } finally {
            TempFiles.delete(tmp);
        }
    }

    /**
     * Checks, before any long work, that {@link #write} could write {@code target}: its directory exists and a file
     * can be created in it, and an existing {@code target} is a file that may be replaced.
     *
     * @throws FileAlreadyExistsException when {@code target} exists and {@code replace} is false, or is a directory
     * @throws NoSuchFileException        when the directory does not exist
     * @throws IOException                when nothing can be created there (read-only, no permission)
     */
    public static void checkWritable(Path target, boolean replace) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        refuseExisting(abs, replace);
        TempFiles.delete(TempFiles.createFile(abs));
    }

    private static void refuseExisting(Path abs, boolean replace) throws FileAlreadyExistsException {
        if (Files.isDirectory(abs)) {
            throw new FileAlreadyExistsException(abs.toString(), null, "is a directory; not writing a file over it");
        }
        if (!replace && Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(abs.toString(), null, "exists; not replacing it");
        }
    }

    /** Makes a file's content durable before it is renamed into place. */
    public static void force(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }
}
