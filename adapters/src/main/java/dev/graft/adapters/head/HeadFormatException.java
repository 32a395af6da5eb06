package dev.graft.adapters.head;

import java.nio.file.Path;

/** A saved head that Graft cannot load: the message names the file and, where it applies, the field or tensor. */
public final class HeadFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public HeadFormatException(Path file, String reason) {
        super(file + ": " + reason);
        this.file = file;
    }

    public HeadFormatException(Path file, String reason, Throwable cause) {
        super(file + ": " + reason, cause);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
