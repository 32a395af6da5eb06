package dev.graft.core.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A safetensors file whose bytes break the format: a header length past the end of the file, a header that is
 * not JSON, a tensor whose byte range does not fit its shape or overlaps another. The message names the file
 * and the tensor or header field at fault.
 */
public final class SafetensorsFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public SafetensorsFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public SafetensorsFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file that is malformed. */
    public Path file() {
        return file;
    }
}
