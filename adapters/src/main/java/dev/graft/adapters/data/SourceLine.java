package dev.graft.adapters.data;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where an example was read from: a file (or a pseudo-path such as {@code (stdin)}) and the 1-based line its
 * record starts on. Kept with every example so that an error found later — an unknown label at evaluation time —
 * can name the exact place.
 */
public record SourceLine(Path file, long line) {

    public SourceLine {
        Objects.requireNonNull(file, "file");
        if (line < 1) {
            throw new IllegalArgumentException("line numbers are 1-based, got " + line);
        }
    }

    /** {@code file:line}, the form compilers and the data-set exceptions use. */
    @Override
    public String toString() {
        return file + ":" + line;
    }
}
