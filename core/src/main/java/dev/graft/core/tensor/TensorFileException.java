package dev.graft.core.tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A Graft feature file (an Arrow IPC file) that cannot be read or written as asked: not an Arrow file,
 * truncated, corrupt, or a column that is not what the caller needs. The message names the file and, when
 * one is at fault, the column.
 */
public final class TensorFileException extends IOException {
    private final transient Path file;
    private final String column;

    public TensorFileException(Path file, String column, String message, Throwable cause) {
        super(file + (column != null ? ": column '" + column + "'" : "") + ": " + message, cause);
        this.file = file;
        this.column = column;
    }

    public TensorFileException(Path file, String message) {
        this(file, null, message, null);
    }

    /** The file at fault. */
    public Path file() {
        return file;
    }

    /** The column at fault, if one is. */
    public Optional<String> column() {
        return Optional.ofNullable(column);
    }
}
