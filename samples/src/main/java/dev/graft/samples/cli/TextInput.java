package dev.graft.samples.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads one text per line from a file or standard input ("-"), UTF-8, with clear errors. */
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
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, decoder))) {
            for (String line; (line = r.readLine()) != null; ) {
                lines.add(line);
            }
        } catch (CharacterCodingException e) {
            throw new IOException(name + ": not valid UTF-8 after line " + lines.size(), e);
        }
        return lines;
    }
}
