package dev.graft.backbones.onnx;

import java.io.IOException;
import java.nio.file.Path;

/**
 * An ONNX file that cannot be used: not a valid protobuf (truncated, corrupt), or a graph without the
 * structure or the data types the importer needs. The message always starts with the file's path.
 */
public final class OnnxFormatException extends IOException {
    private final Path file;

    public OnnxFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public OnnxFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file the problem is in. */
    public Path file() {
        return file;
    }
}
