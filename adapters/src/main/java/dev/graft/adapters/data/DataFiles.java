package dev.graft.adapters.data;

import dev.graft.backbones.eval.DatasetFormatException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Opening data-set files: strict UTF-8 (bad bytes are an error, never U+FFFD) and a clear missing-file error. */
final class DataFiles {
    static final char BOM = '\uFEFF';

    private DataFiles() {
    }

    static BufferedReader open(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "data set file does not exist");
        }
        if (Files.isDirectory(file)) {
            throw new IOException(file + ": is a directory, not a data set file");
        }
        return reader(Files.newInputStream(file));
    }

    static BufferedReader reader(InputStream in) {
        return Utf8Input.reader(in);
    }

    /**
     * The error for an input a reader found not to be UTF-8: the exact line and byte offset, which
     * {@link Utf8Input}'s readers count as they decode; {@code fallbackLine} only for another decoder's error.
     */
    static DatasetFormatException notUtf8(Path file, java.nio.charset.CharacterCodingException e, long fallbackLine) {
        if (e instanceof InvalidUtf8Exception at) {
            return new DatasetFormatException(file, at.line(), "not valid UTF-8: invalid byte sequence at byte offset "
                    + at.byteOffset() + " (save the file as UTF-8)");
        }
        return new DatasetFormatException(file, fallbackLine,
                "not valid UTF-8 (at or shortly after this line; save the input as UTF-8)");
    }

    /** Drops a leading byte-order mark from the first line of a file. */
    static String stripBom(String firstLine) {
        return firstLine != null && !firstLine.isEmpty() && firstLine.charAt(0) == BOM ? firstLine.substring(1) : firstLine;
    }
}
