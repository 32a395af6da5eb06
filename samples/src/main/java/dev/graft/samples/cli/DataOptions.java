package dev.graft.samples.cli;

import dev.graft.adapters.data.ConlluDataset;
import dev.graft.adapters.data.CsvDataset;
import dev.graft.adapters.data.LabeledText;
import dev.graft.adapters.data.TaggedSentence;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** --format, --text-column, --label-column: how a labelled data file is read. */
record DataOptions(String format, String textColumn, String labelColumn) {

    static final String USAGE = """
              --format csv|conllu  data format (default: conllu for *.conllu files, else csv with a header row)
              --text-column NAME   CSV column holding the text (default text)
              --label-column NAME  CSV column holding the label (default label, or category when there is none)""";

    static DataOptions read(Options o) {
        String format = o.get("format", null);
        if (format != null) {
            format = format.toLowerCase(Locale.ROOT);
            if (!format.equals("csv") && !format.equals("conllu")) {
                throw new UsageException("--format must be csv or conllu, was " + format);
            }
        }
        return new DataOptions(format, o.get("text-column", CsvDataset.DEFAULT_TEXT_COLUMN), o.get("label-column", null));
    }

    /** The format for {@code file}: the option, or guessed from the extension. */
    String formatOf(Path file) {
        if (format != null) {
            return format;
        }
        return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".conllu") ? "conllu" : "csv";
    }

    List<LabeledText> texts(Path file) throws IOException {
        String label = labelColumn;
        if (label == null) {
            List<String> header = CsvDataset.header(file);
            label = CsvDataset.guessLabelColumn(header).orElseThrow(() -> new UsageException(file
                    + " has no 'label' or 'category' column (columns: " + header + "); name it with --label-column"));
        }
        return CsvDataset.read(file, textColumn, label);
    }

    List<TaggedSentence> sentences(Path file) throws IOException {
        return ConlluDataset.read(file);
    }
}
