package dev.graft.adapters.adapter;

import java.nio.file.Path;

/** An adapter file Graft cannot load: the message names the file and, where it applies, the field or tensor. */
public final class AdapterFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public AdapterFormatException(Path file, String reason) {
        super(file + ": " + reason);
        this.file = file;
    }

    public AdapterFormatException(Path file, String reason, Throwable cause) {
        super(file + ": " + reason, cause);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
