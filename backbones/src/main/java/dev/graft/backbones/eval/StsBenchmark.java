package dev.graft.backbones.eval;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the STS Benchmark ({@code sts-train.csv}, {@code sts-dev.csv}, {@code sts-test.csv}).
 *
 * <p>Format: UTF-8, tab-separated, no header, seven columns: genre, file, year, id, score, sentence1, sentence2.
 * Some rows carry extra columns after sentence2 (source attributions); only the first seven are kept. Sentences
 * contain quote characters that are part of the text, so this is <em>not</em> parsed as quoted CSV: a tab is
 * always a separator and a quote is always a character. A row with fewer than seven columns, a score that is not a
 * number in [0, 5], or an empty sentence is a {@link DatasetFormatException} naming the file and line.
 */
public final class StsBenchmark {
    static final double MIN_SCORE = 0;
    static final double MAX_SCORE = 5;
    private static final int COLUMNS = 7;

    /** The three splits, as laid out under {@code <shared>/datasets/stsbenchmark/}. */
    public enum Split {
        TRAIN("sts-train.csv"), DEV("sts-dev.csv"), TEST("sts-test.csv");

        private final String fileName;

        Split(String fileName) {
            this.fileName = fileName;
        }

        public String fileName() {
            return fileName;
        }
    }

    private StsBenchmark() {
    }

    /** The file of {@code split} under a shared directory laid out as {@code <shared>/datasets/stsbenchmark/}. */
    public static Path file(Path sharedDir, Split split) {
        return sharedDir.resolve("datasets").resolve("stsbenchmark").resolve(split.fileName());
    }

    /** Reads {@code split} from a shared directory ({@code graft.shared.dir} in tests). */
    public static List<StsPair> read(Path sharedDir, Split split) throws IOException {
        return read(file(sharedDir, split));
    }

    /** Reads one STS Benchmark file, every row in file order. */
    public static List<StsPair> read(Path file) throws IOException {
        List<StsPair> pairs = new ArrayList<>();
        long lineNo = 0;
        try (BufferedReader in = Files.newBufferedReader(file)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lineNo++;
                pairs.add(parse(file, lineNo, line));
            }
        } catch (CharacterCodingException e) {
            throw new DatasetFormatException(file, lineNo + 1, "not valid UTF-8 (" + e.getMessage() + ")");
        }
        if (pairs.isEmpty()) {
            throw new DatasetFormatException(file, 0, "no rows");
        }
        return pairs;
    }

    private static StsPair parse(Path file, long lineNo, String line) {
        String[] cols = line.split("\t", -1);
        if (cols.length < COLUMNS) {
            throw new DatasetFormatException(file, lineNo, "expected at least " + COLUMNS
                    + " tab-separated columns (genre, file, year, id, score, sentence1, sentence2), found " + cols.length);
        }
        double score;
        try {
            score = Double.parseDouble(cols[4].trim());
        } catch (NumberFormatException e) {
            throw new DatasetFormatException(file, lineNo, "score '" + cols[4] + "' is not a number");
        }
        if (!(score >= MIN_SCORE && score <= MAX_SCORE)) {
            throw new DatasetFormatException(file, lineNo, "score " + cols[4] + " is outside [0, 5]");
        }
        for (int c = 5; c < COLUMNS; c++) {
            if (cols[c].isBlank()) {
                throw new DatasetFormatException(file, lineNo, "sentence" + (c - 4) + " is empty");
            }
        }
        return new StsPair(cols[0], cols[1], cols[2], cols[3], score, cols[5], cols[6]);
    }
}
