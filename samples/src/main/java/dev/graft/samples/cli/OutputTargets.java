package dev.graft.samples.cli;

import dev.graft.adapters.head.SavedDirectory;
import dev.graft.core.fs.AtomicFiles;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The checks every command that writes an output makes before its long work starts: the place is writable, and
 * nothing Graft did not write is in the way. An existing output file is replaced only with {@code --overwrite}; a
 * directory only when it is new, empty, or (with {@code --overwrite}) holds a previous save of the same kind —
 * and then only Graft's own files in it are replaced ({@link dev.graft.core.fs.SavedDirectory}).
 */
final class OutputTargets {
    /** The option that allows replacing an existing output. */
    static final String OVERWRITE = "overwrite";
    static final String USAGE =
            "  --overwrite         replace an existing output (a directory: only the files Graft saved in it;\n"
            + "                      everything else in it stays). Without it an existing output is refused.";

    private OutputTargets() {
    }

    /** Checks that {@link AtomicFiles#write} could write the file {@code output} (replacing it only if allowed). */
    static void checkFile(Path output, boolean overwrite) throws IOException {
        Path dir = output.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new NoSuchFileException(String.valueOf(dir), null, "output directory does not exist");
        }
        try {
            AtomicFiles.checkWritable(output, overwrite);
        } catch (FileAlreadyExistsException e) {
            throw Files.isRegularFile(output) ? hint(e) : e;
        }
    }

    /** Checks that a head (or head and adapter) could be saved into {@code output}. */
    static void checkHeadDirectory(Path output, boolean overwrite) throws IOException {
        try {
            SavedDirectory.checkWritable(output, SavedDirectory.HEAD, overwrite);
        } catch (FileAlreadyExistsException e) {
            throw !overwrite && dev.graft.core.fs.SavedDirectory.isSave(output, SavedDirectory.HEAD) ? hint(e) : e;
        }
    }

    /** Checks that an adapter (PEFT layout) could be saved into {@code output}. */
    static void checkAdapterDirectory(Path output, boolean overwrite) throws IOException {
        try {
            SavedDirectory.checkWritable(output, SavedDirectory.ADAPTER, overwrite);
        } catch (FileAlreadyExistsException e) {
            throw !overwrite && dev.graft.core.fs.SavedDirectory.isSave(output, SavedDirectory.ADAPTER) ? hint(e) : e;
        }
    }

    private static FileAlreadyExistsException hint(FileAlreadyExistsException e) {
        FileAlreadyExistsException h = new FileAlreadyExistsException(e.getFile(), null, e.getReason()
                + "; pass --overwrite to replace it");
        h.initCause(e.getCause());
        return h;
    }

    /** Checks that a composed model could be saved into {@code output}. */
    static void checkModelDirectory(Path output, boolean overwrite) throws IOException {
        try {
            SavedDirectory.checkWritable(output, SavedDirectory.MODEL, overwrite);
        } catch (FileAlreadyExistsException e) {
            throw !overwrite && dev.graft.core.fs.SavedDirectory.isSave(output, SavedDirectory.MODEL) ? hint(e) : e;
        }
    }
}
