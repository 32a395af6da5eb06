package dev.graft.backbones.huggingface;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A Hugging Face model directory whose contents Graft cannot use: a {@code config.json} field missing or not
 * supported, a tensor missing or of the wrong shape. The message names the file and the field or tensor.
 */
public final class HfFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public HfFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public HfFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file at fault. */
    public Path file() {
        return file;
    }
}
