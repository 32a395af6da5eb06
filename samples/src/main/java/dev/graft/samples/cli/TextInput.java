package dev.graft.samples.cli;

import dev.graft.adapters.data.InvalidUtf8Exception;
import dev.graft.adapters.data.Utf8Input;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one text per line from a file or standard input ("-"), strict UTF-8, with clear errors: invalid bytes are
 * reported as {@code name:line} of the line they are on.
 */
final class TextInput {
    private TextInput() {
    }

    /** {@code file:line} of the input at {@code index} (0-based) of {@link #lines}: one input per line. */
    static String where(String input, int index) {
        return (input.equals("-") ? "standard input" : input) + ":" + (index + 1);
    }

    static List<String> lines(String input, InputStream stdin) throws IOException {
        if (input.equals("-")) {
            return read(stdin, "standard input");
        }
        Path p = Path.of(input);
        if (!Files.isRegularFile(p)) {
            throw new NoSuchFileException(input, null, "input file not found");
        }
        try (InputStream in = Files.newInputStream(p)) {
            return read(in, input);
        }
    }

    private static List<String> read(InputStream in, String name) throws IOException {
        List<String> lines = new ArrayList<>();
        BufferedReader r = Utf8Input.reader(in); // not closed: the caller owns the stream
        try {
            for (String line; (line = r.readLine()) != null; ) {
                lines.add(line);
            }
        } catch (InvalidUtf8Exception e) {
            throw new IOException(name + ":" + e.line() + ": not valid UTF-8 (invalid byte sequence at byte offset "
                    + e.byteOffset() + "; save the input as UTF-8)", e);
        }
        return lines;
    }
}
