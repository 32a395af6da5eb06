package dev.graft.adapters.data;

import dev.graft.backbones.eval.DatasetFormatException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads labelled (or unlabelled) text examples from a CSV file with a header row — the format of banking77
 * ({@code text,category}) and of most intent / sentiment data sets.
 *
 * <p>The parser follows RFC 4180: quoted fields may hold commas, line breaks and doubled quotes; CRLF, LF and CR
 * line ends and a UTF-8 byte-order mark are accepted; completely empty lines are skipped. Field values are kept
 * verbatim (no trimming), so a text that begins with a line break keeps it. Columns other than the two asked for
 * are ignored. The caller names the columns; {@link #guessLabelColumn(List)} picks a likely label column from a
 * {@link #header(Path) header}.
 *
 * <p>Every problem is a {@link DatasetFormatException} naming the file and the 1-based line: no header, a column
 * that is not in the header (the message lists the header's columns), a row whose field count differs from the
 * header's, an unterminated quote (the line where the field began), an empty (blank) text or label, invalid UTF-8,
 * and a file with no data rows at all. A missing file is a {@link java.nio.file.NoSuchFileException} naming it.
 */
public final class CsvDataset {

    /** The usual name of the text column. */
    public static final String DEFAULT_TEXT_COLUMN = "text";
    /** The usual name of the label column. */
    public static final String DEFAULT_LABEL_COLUMN = "label";

    private static final List<String> LABEL_COLUMN_GUESSES = List.of("label", "category");

    private CsvDataset() {
    }

    /**
     * Reads every row of {@code file}.
     *
     * @param textColumn  header name of the text column
     * @param labelColumn header name of the label column, or {@code null} to read unlabelled examples
     *                    ({@link LabeledText#label()} is then {@code null})
     * @return the examples in file order, each with its {@link SourceLine}
     */
    public static List<LabeledText> read(Path file, String textColumn, String labelColumn) throws IOException {
        if (textColumn == null) {
            throw new IllegalArgumentException("textColumn must be given");
        }
        try (CsvParser parser = new CsvParser(file, DataFiles.open(file))) {
            CsvParser.Row header = parser.next();
            if (header == null) {
                throw new DatasetFormatException(file, 1, "empty file: no header row (the first line must name the columns)");
            }
            int textIndex = column(file, header, textColumn);
            int labelIndex = labelColumn == null ? -1 : column(file, header, labelColumn);
            int width = header.fields().size();
            List<LabeledText> examples = new ArrayList<>();
            for (CsvParser.Row row = parser.next(); row != null; row = parser.next()) {
                if (row.fields().size() != width) {
                    throw new DatasetFormatException(file, row.line(), "row has " + row.fields().size()
                            + " fields, expected " + width + " like the header " + header.fields()
                            + " (a text containing commas must be in double quotes)");
                }
                String text = row.fields().get(textIndex);
                if (text.isBlank()) {
                    throw new DatasetFormatException(file, row.fieldLines()[textIndex],
                            "empty text in column '" + textColumn + "'");
                }
                String label = null;
                if (labelIndex >= 0) {
                    label = row.fields().get(labelIndex);
                    if (label.isBlank()) {
                        throw new DatasetFormatException(file, row.fieldLines()[labelIndex],
                                "empty label in column '" + labelColumn + "'");
                    }
                }
                examples.add(new LabeledText(text, label, new SourceLine(file, row.line())));
            }
            if (examples.isEmpty()) {
                throw new DatasetFormatException(file, header.line() + 1, "no data rows after the header");
            }
            return examples;
        }
    }

    /** The column names in {@code file}'s header row. */
    public static List<String> header(Path file) throws IOException {
        try (CsvParser parser = new CsvParser(file, DataFiles.open(file))) {
            CsvParser.Row header = parser.next();
            if (header == null) {
                throw new DatasetFormatException(file, 1, "empty file: no header row (the first line must name the columns)");
            }
            return header.fields();
        }
    }

    /**
     * The label column a CSV data set most likely uses: {@code "label"} if the header has it, else
     * {@code "category"} (banking77's name), else empty — the caller must then name it.
     */
    public static Optional<String> guessLabelColumn(List<String> header) {
        return LABEL_COLUMN_GUESSES.stream().filter(header::contains).findFirst();
    }

    private static int column(Path file, CsvParser.Row header, String name) {
        List<String> names = header.fields();
        int index = names.indexOf(name);
        if (index < 0) {
            throw new DatasetFormatException(file, header.line(),
                    "no column '" + name + "' in the header; its columns are " + names);
        }
        if (names.lastIndexOf(name) != index) {
            throw new DatasetFormatException(file, header.line(),
                    "column '" + name + "' appears more than once in the header " + names);
        }
        return index;
    }
}
