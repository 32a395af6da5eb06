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
        read(in, name, Integer.MAX_VALUE, (batch, first) -> lines.addAll(batch));
        return lines;
    }

    /** Receives the lines of an input a batch at a time. */
    @FunctionalInterface
    interface Batch {
        /**
         * @param lines     the next lines, in order (at least one)
         * @param firstLine the 1-based line number of {@code lines.get(0)}
         */
        void accept(List<String> lines, long firstLine) throws IOException;
    }

    /**
     * Reads {@code input} (a file, or {@code stdin} for "-") a batch of at most {@code size} lines at a time, so that
     * an input of any length is never held whole; invalid UTF-8 fails naming {@code name:line}.
     */
    static void batches(String input, InputStream stdin, int size, Batch batch) throws IOException {
        if (input.equals("-")) {
            read(stdin, "standard input", size, batch);
            return;
        }
        Path p = Path.of(input);
        if (!Files.isRegularFile(p)) {
            throw new NoSuchFileException(input, null, "input file not found");
        }
        try (InputStream in = Files.newInputStream(p)) {
            read(in, input, size, batch);
        }
    }

    private static void read(InputStream in, String name, int size, Batch batch) throws IOException {
        BufferedReader r = Utf8Input.reader(in); // not closed: the caller owns the stream
        List<String> lines = new ArrayList<>();
        long first = 1;
        try {
            for (String line; (line = r.readLine()) != null; ) {
                lines.add(line);
                if (lines.size() == size) {
                    batch.accept(List.copyOf(lines), first);
                    first += lines.size();
                    lines.clear();
                }
            }
        } catch (InvalidUtf8Exception e) {
            throw new IOException(name + ":" + e.line() + ": not valid UTF-8 (invalid byte sequence at byte offset "
                    + e.byteOffset() + "; save the input as UTF-8)", e);
        }
        if (!lines.isEmpty()) {
            batch.accept(List.copyOf(lines), first);
        }
    }
}
