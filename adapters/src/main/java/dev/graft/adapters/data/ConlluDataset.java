package dev.graft.adapters.data;

import dev.graft.backbones.eval.DatasetFormatException;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads tagged sentences from a CoNLL-U file (Universal Dependencies): the words are column 2 (FORM) and the tags
 * column 4 (UPOS).
 *
 * <p>Comment lines ({@code #}) are skipped, as are multi-word token lines (ids like {@code 3-4}: their parts
 * follow as ordinary words) and empty nodes (ids like {@code 8.1}: they are not surface words). Sentences are
 * separated by blank lines; the last sentence needs no trailing blank line. Each sentence's {@link SourceLine} is
 * the line of its first word.
 *
 * <p>Errors are {@link DatasetFormatException}s naming the file and line: a line that is not 10 tab-separated
 * columns, an id that is not a number (nor a range or empty-node id), word ids that do not count 1, 2, 3… within
 * a sentence, an empty FORM, and — when reading labelled data — an empty or unspecified ({@code _}) UPOS. A file
 * with no sentences is an error too. {@link #readUnlabeled(Path)} ignores column 4 entirely.
 */
public final class ConlluDataset {

    private static final int COLUMNS = 10;
    private static final int ID = 0;
    private static final int FORM = 1;
    private static final int UPOS = 3;

    private ConlluDataset() {
    }

    /** Reads every sentence with its UPOS tags (labelled data: every word must have a UPOS tag). */
    public static List<TaggedSentence> read(Path file) throws IOException {
        return read(file, true);
    }

    /** Reads every sentence's words only ({@link TaggedSentence#tags()} is {@code null}). */
    public static List<TaggedSentence> readUnlabeled(Path file) throws IOException {
        return read(file, false);
    }

    private static List<TaggedSentence> read(Path file, boolean labelled) throws IOException {
        List<TaggedSentence> sentences = new ArrayList<>();
        Map<String, String> canonicalTags = new HashMap<>(); // one String per distinct tag, not one per word
        List<String> words = new ArrayList<>();
        List<String> tags = new ArrayList<>();
        long sentenceLine = 0;
        long lineNumber = 0;
        try (BufferedReader reader = DataFiles.open(file)) {
            while (true) {
                String line;
                try {
                    line = reader.readLine();
                } catch (CharacterCodingException e) {
                    throw DataFiles.notUtf8(file, e, lineNumber + 1);
                }
                if (line != null) {
                    lineNumber++;
                    if (lineNumber == 1) {
                        line = DataFiles.stripBom(line);
                    }
                }
                if (line == null || line.isBlank()) {
                    if (!words.isEmpty()) {
                        sentences.add(new TaggedSentence(words, labelled ? tags : null, new SourceLine(file, sentenceLine)));
                        words.clear();
                        tags.clear();
                    }
                    if (line == null) {
                        break;
                    }
                    continue;
                }
                if (line.startsWith("#")) {
                    continue;
                }
                String[] columns = line.split("\t", -1);
                if (columns.length != COLUMNS) {
                    throw new DatasetFormatException(file, lineNumber,
                            "expected " + COLUMNS + " tab-separated columns, got " + columns.length);
                }
                String id = columns[ID];
                if (isRangeOrEmptyNode(id)) {
                    continue;
                }
                int expected = words.size() + 1;
                if (!isNumber(id)) {
                    throw new DatasetFormatException(file, lineNumber, "word id '" + id
                            + "' is not a number (nor a multi-word range like 3-4 or an empty node like 8.1)");
                }
                if (Integer.parseInt(id) != expected) {
                    throw new DatasetFormatException(file, lineNumber, "word id " + id + " out of order: expected "
                            + expected + " (ids count 1, 2, 3… within each sentence)");
                }
                String form = columns[FORM];
                if (form.isEmpty()) {
                    throw new DatasetFormatException(file, lineNumber, "empty FORM (column 2) for word " + id);
                }
                if (labelled) {
                    String upos = columns[UPOS];
                    if (upos.isEmpty() || upos.equals("_")) {
                        throw new DatasetFormatException(file, lineNumber, "word " + id + " ('" + form
                                + "') has no UPOS tag (column 4 is '" + upos + "'); labelled data needs one");
                    }
                    tags.add(canonicalTags.computeIfAbsent(upos, t -> t));
                }
                if (words.isEmpty()) {
                    sentenceLine = lineNumber;
                }
                words.add(form);
            }
        }
        if (sentences.isEmpty()) {
            throw new DatasetFormatException(file, Math.max(1, lineNumber), "no sentences in the file");
        }
        return sentences;
    }

    private static boolean isNumber(String s) {
        if (s.isEmpty() || s.length() > 9) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** {@code N-M} (multi-word token) or {@code N.M} (empty node), both parts numbers. */
    private static boolean isRangeOrEmptyNode(String id) {
        int sep = Math.max(id.indexOf('-'), id.indexOf('.'));
        return sep > 0 && isNumber(id.substring(0, sep)) && isNumber(id.substring(sep + 1));
    }
}
