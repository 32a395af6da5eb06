package dev.graft.samples.cli;

import dev.graft.adapters.data.ConlluDataset;
import dev.graft.adapters.data.CsvDataset;
import dev.graft.adapters.data.LabeledText;
import dev.graft.adapters.data.TaggedSentence;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * --format, --text-column, --label-column: how a labelled data file is read. The task fixes the format
 * (classification reads CSV, tagging reads CoNLL-U); {@code --format} states it and is checked against the task.
 *
 * @param format      csv, conllu, or null when not given
 * @param textColumn  the CSV text column, or null for the default
 * @param labelColumn the CSV label column, or null to find it by name
 */
record DataOptions(String format, String textColumn, String labelColumn) {

    static final String USAGE = """
              --format csv|conllu  the data's format, checked against the task: classification reads CSV with a
                                   header row, tagging reads CoNLL-U (default: what the task reads)
              --text-column NAME   CSV column holding the text (default text)
              --label-column NAME  CSV column holding the label (default label, or category when there is none)""";

    static DataOptions read(Options o) {
        String format = o.get("format", null);
        if (format != null) {
            format = format.toLowerCase(Locale.ROOT);
            if (!format.equals("csv") && !format.equals("conllu")) {
                throw new UsageException("--format must be csv or conllu, got '" + format + "'");
            }
        }
        return new DataOptions(format, o.get("text-column", null), o.get("label-column", null));
    }

    /** Fails unless {@code file} can be read in {@code expected}, the format the task reads. */
    private void check(Path file, String expected, String task) {
        if (format != null && !format.equals(expected)) {
            throw new UsageException("--format " + format + " does not fit " + task + ", which reads " + expected
                    + " (classification: CSV with a header row; tagging: CoNLL-U)");
        }
        if (expected.equals("csv") && file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".conllu")) {
            throw new UsageException(file + " looks like CoNLL-U, but " + task
                    + " reads CSV with a header row; CoNLL-U is for tagging (--task tagging)");
        }
    }

    /** A classification data file: CSV with a header row. */
    List<LabeledText> texts(Path file) throws IOException {
        check(file, "csv", "classification");
        String label = labelColumn;
        if (label == null) {
            List<String> header = CsvDataset.header(file);
            label = CsvDataset.guessLabelColumn(header).orElseThrow(() -> new UsageException(file
                    + " has no 'label' or 'category' column (columns: " + header + "); name it with --label-column"));
        }
        return CsvDataset.read(file, textColumn != null ? textColumn : CsvDataset.DEFAULT_TEXT_COLUMN, label);
    }

    /** A tagging data file: CoNLL-U. */
    List<TaggedSentence> sentences(Path file) throws IOException {
        check(file, "conllu", "tagging");
        if (textColumn != null || labelColumn != null) {
            throw new UsageException("--" + (textColumn != null ? "text" : "label") + "-column is for CSV data "
                    + "(classification); tagging reads the words and UPOS tags of CoNLL-U");
        }
        return ConlluDataset.read(file);
    }
}
