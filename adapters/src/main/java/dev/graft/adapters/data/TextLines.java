package dev.graft.adapters.data;

import dev.graft.backbones.eval.DatasetFormatException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads unlabelled text, one example per line — the input of {@code predict}. Lines end with LF, CRLF or CR; a
 * leading UTF-8 byte-order mark is dropped; each line is kept verbatim. A blank line is an error (naming the line)
 * rather than an empty prediction, since it is almost always a stray line break. An input with no lines gives an
 * empty list.
 */
public final class TextLines {

    /** The pseudo-path reported for standard input. */
    public static final Path STDIN = Path.of("(stdin)");

    private TextLines() {
    }

    /** Reads {@code file}, or standard input when {@code pathOrDash} is {@code "-"}. */
    public static List<LabeledText> read(String pathOrDash) throws IOException {
        if ("-".equals(pathOrDash)) {
            return read(System.in, STDIN);
        }
        return read(Path.of(pathOrDash));
    }

    /** Reads one text per line of {@code file}. */
    public static List<LabeledText> read(Path file) throws IOException {
        try (BufferedReader reader = DataFiles.open(file)) {
            return read(reader, file);
        }
    }

    /**
     * Reads one text per line from {@code in} (not closed), reporting errors against {@code name}.
     */
    public static List<LabeledText> read(InputStream in, Path name) throws IOException {
        return read(DataFiles.reader(in), name);
    }

    private static List<LabeledText> read(BufferedReader reader, Path name) throws IOException {
        List<LabeledText> texts = new ArrayList<>();
        long lineNumber = 0;
        while (true) {
            String line;
            try {
                line = reader.readLine();
            } catch (CharacterCodingException e) {
                throw DataFiles.notUtf8(name, e, lineNumber + 1);
            }
            if (line == null) {
                return texts;
            }
            lineNumber++;
            if (lineNumber == 1) {
                line = DataFiles.stripBom(line);
            }
            if (line.isBlank()) {
                throw new DatasetFormatException(name, lineNumber, "empty text (one text per line; remove blank lines)");
            }
            texts.add(new LabeledText(line, null, new SourceLine(name, lineNumber)));
        }
    }
}
