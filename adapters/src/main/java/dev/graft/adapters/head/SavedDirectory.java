package dev.graft.adapters.head;

import dev.graft.core.fs.SavedDirectory.Existing;
import dev.graft.core.fs.SavedDirectory.Kind;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

/**
 * The kinds of directories the adapters module saves (heads, adapters, composed models), written through
 * {@link dev.graft.core.fs.SavedDirectory}: the content goes into a hidden sibling first, a new directory appears
 * complete or not at all, and a previous save of the same kind is replaced file by file — only Graft's own files
 * are replaced or removed, every other file in the directory stays. A non-empty directory that is not such a save
 * is refused before anything is written.
 */
public final class SavedDirectory {
    /** A head, alone or with the adapter it was trained with ({@code head_config.json}). */
    public static final Kind HEAD = new Kind("head", HeadIO.CONFIG_FILE, Set.of(HeadIO.WEIGHTS_FILE,
            "learning-curve.png", "adapter_config.json", "adapter_model.safetensors"));
    /** An adapter in PEFT's layout ({@code adapter_config.json}). */
    public static final Kind ADAPTER = new Kind("adapter", "adapter_config.json", Set.of("adapter_model.safetensors"));
    /** A composed model ({@code model.json} and a {@code heads/} directory). */
    public static final Kind MODEL = new Kind("composed model", "model.json", Set.of("heads/"));

    /** Writes the content of a directory. */
    @FunctionalInterface
    public interface Content extends dev.graft.core.fs.SavedDirectory.Content {
    }

    private SavedDirectory() {
    }

    /**
     * Saves at {@code target}: a new or empty directory, or one holding a previous save of {@code kind} (whose own
     * files are replaced; the directory's other files stay).
     *
     * @throws java.nio.file.FileAlreadyExistsException when {@code target} is a file or a non-empty directory that
     *                                                  is not a save of {@code kind} (nothing is changed)
     */
    public static void write(Path target, Kind kind, Content content) throws IOException {
        dev.graft.core.fs.SavedDirectory.write(target, kind, Existing.REPLACE, content);
    }

    /**
     * Checks before a long run that a save of {@code kind} could be written at {@code target}.
     *
     * @param replace whether a previous save of {@code kind} may be replaced (false: only a new or empty directory)
     */
    public static void checkWritable(Path target, Kind kind, boolean replace) throws IOException {
        dev.graft.core.fs.SavedDirectory.checkWritable(target, kind, replace ? Existing.REPLACE : Existing.REFUSE);
    }
}
