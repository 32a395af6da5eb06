package dev.graft.backbones.eval;

import java.nio.file.Path;

/** A data-set file has a row Graft cannot read; the message names the file and the 1-based line. */
public final class DatasetFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final long line;

    public DatasetFormatException(Path file, long line, String reason) {
        super(file + ":" + line + ": " + reason);
        this.file = file;
        this.line = line;
    }

    public Path file() {
        return file;
    }

    /** 1-based line number. */
    public long line() {
        return line;
    }
}
