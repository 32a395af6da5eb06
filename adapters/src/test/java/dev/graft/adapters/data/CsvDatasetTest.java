package dev.graft.adapters.data;

import dev.graft.backbones.eval.DatasetFormatException;
import dev.graft.backbones.testing.ModelResources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CsvDatasetTest {

    @TempDir
    Path dir;

    private static Path banking(String name) {
        return ModelResources.shared("datasets/banking77/" + name);
    }

    @Test
    void readsBanking77TrainWithQuotedCommasDoubledQuotesAndLineBreaks() throws IOException {
        Path train = banking("train.csv");
        List<LabeledText> examples = CsvDataset.read(train, "text", "category");

        assertThat(examples).hasSize(10_003);
        assertThat(examples.getFirst()).isEqualTo(new LabeledText("I am still waiting on my card?", "card_arrival",
                new SourceLine(train, 2)));
        // line 6: "How do I know if I will get my card, or if it is lost?",card_arrival
        LabeledText quotedComma = examples.get(4);
        assertThat(quotedComma.text()).isEqualTo("How do I know if I will get my card, or if it is lost?");
        assertThat(quotedComma.label()).isEqualTo("card_arrival");
        assertThat(quotedComma.source().line()).isEqualTo(6);

        LabeledText doubledQuotes = examples.stream().filter(e -> e.source().line() == 696).findFirst().orElseThrow();
        assertThat(doubledQuotes.text()).contains("listed in the app as \"pending\", it never changes");
        assertThat(doubledQuotes.label()).isEqualTo("extra_charge_on_statement");

        // a quoted text spanning lines 1292-1296; the next record starts on line 1297
        int multiLine = indexOfLine(examples, 1292);
        assertThat(examples.get(multiLine).text()).isEqualTo("\nI can't seem to be able to use my card\n\n\n");
        assertThat(examples.get(multiLine).label()).isEqualTo("card_not_working");
        assertThat(examples.get(multiLine + 1).source().line()).isEqualTo(1297);
        assertThat(examples.getLast().source().line()).isEqualTo(10_017);
    }

    @Test
    void banking77HasThe77CategoriesOfCategoriesJsonInBothSplits() throws IOException {
        List<LabeledText> train = CsvDataset.read(banking("train.csv"), "text", "category");
        List<LabeledText> test = CsvDataset.read(banking("test.csv"), "text", "category");
        assertThat(test).hasSize(3_080);

        LabelSet labels = LabelSet.ofTexts(train);
        assertThat(labels.size()).isEqualTo(77);
        assertThat(LabelSet.ofTexts(test)).isEqualTo(labels);

        String json = Files.readString(banking("categories.json"));
        Matcher names = Pattern.compile("\"([^\"]+)\"").matcher(json);
        List<String> categories = names.results().map(m -> m.group(1)).sorted().toList();
        assertThat(labels.labels()).isEqualTo(categories);

        int[] indices = labels.indices(test);
        assertThat(indices).hasSize(3_080);
        assertThat(java.util.Arrays.stream(indices).distinct().count()).isEqualTo(77);
        assertThat(labels.label(indices[0])).isEqualTo(test.getFirst().label());
    }

    @Test
    void headerAndLabelColumnGuess() throws IOException {
        List<String> header = CsvDataset.header(banking("train.csv"));
        assertThat(header).containsExactly("text", "category");
        assertThat(CsvDataset.guessLabelColumn(header)).contains("category");
        assertThat(CsvDataset.guessLabelColumn(List.of("label", "category", "text"))).contains("label");
        assertThat(CsvDataset.guessLabelColumn(List.of("text", "intent"))).isEmpty();
    }

    @Test
    void readsUnlabelledWhenNoLabelColumnIsGiven() throws IOException {
        Path file = write("u.csv", "id,text\n1,hello\n2,\"a, b\"\n");
        assertThat(CsvDataset.read(file, "text", null)).extracting(LabeledText::text, LabeledText::label)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("hello", null),
                        org.assertj.core.groups.Tuple.tuple("a, b", null));
    }

    @Test
    void rfc4180DetailsCrlfBomEscapesEmptyLinesAndNoFinalNewline() throws IOException {
        Path file = write("rfc.csv", "\uFEFFlabel,text,extra\r\n"
                + "a,\"say \"\"hi\"\"\",x\r\n"
                + "\r\n"
                + "b,\"two\r\nlines\",\r\n"
                + "c,plain,\"\"\r"
                + "d,last,z");
        List<LabeledText> rows = CsvDataset.read(file, "text", "label");
        assertThat(rows).extracting(LabeledText::label).containsExactly("a", "b", "c", "d");
        assertThat(rows).extracting(LabeledText::text).containsExactly("say \"hi\"", "two\r\nlines", "plain", "last");
        assertThat(rows).extracting(r -> r.source().line()).containsExactly(2L, 4L, 6L, 7L);
    }

    @Test
    void missingFileNamesIt() {
        Path missing = dir.resolve("nope.csv");
        assertThatThrownBy(() -> CsvDataset.read(missing, "text", "label"))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("nope.csv");
    }

    @Test
    void emptyFileHasNoHeader() throws IOException {
        assertFormatError(write("empty.csv", ""), "text", "label", 1, "no header");
        assertFormatError(write("blank.csv", "\n\n"), "text", "label", 1, "no header");
    }

    @Test
    void headerWithoutRowsIsAnError() throws IOException {
        assertFormatError(write("header.csv", "text,label\n"), "text", "label", 2, "no data rows");
    }

    @Test
    void unknownColumnListsTheHeader() throws IOException {
        Path file = write("cols.csv", "text,category\nhi,a\n");
        DatasetFormatException e = assertFormatError(file, "text", "label", 1, "no column 'label'");
        assertThat(e).hasMessageContaining("[text, category]");
        assertFormatError(file, "sentence", null, 1, "no column 'sentence'");
    }

    @Test
    void duplicateColumnIsAnError() throws IOException {
        assertFormatError(write("dup.csv", "text,label,text\nhi,a,b\n"), "text", "label", 1, "more than once");
    }

    @Test
    void rowWithWrongFieldCountSaysExpectedAndGot() throws IOException {
        Path file = write("fields.csv", "text,label\nfine,a\nnot, quoted,b\n");
        assertFormatError(file, "text", "label", 3, "row has 3 fields, expected 2");
        assertFormatError(write("short.csv", "text,label\nfine,a\n\"multi\nline\",b\nlonely\n"), "text", "label", 5,
                "row has 1 fields, expected 2");
    }

    @Test
    void unterminatedQuoteNamesTheLineWhereTheFieldBegan() throws IOException {
        Path file = write("quote.csv", "text,label\nok,a\n\"never closed,b\nmore,c\nand more,d\n");
        assertFormatError(file, "text", "label", 3, "unterminated quoted field");
    }

    @Test
    void strayQuotesAreErrors() throws IOException {
        assertFormatError(write("inner.csv", "text,label\nok,a\nsay \"hi\",b\n"), "text", "label", 3,
                "quote character inside an unquoted field");
        assertFormatError(write("after.csv", "text,label\n\"a\nb\"x,b\n"), "text", "label", 3,
                "after the closing quote");
    }

    @Test
    void emptyTextOrLabelIsAnError() throws IOException {
        assertFormatError(write("text.csv", "text,label\nok,a\n,b\n"), "text", "label", 3, "empty text in column 'text'");
        assertFormatError(write("blanktext.csv", "text,label\nok,a\n\"  \",b\n"), "text", "label", 3, "empty text");
        assertFormatError(write("label.csv", "label,text\na,ok\nb,fine\n,missing\n"), "text", "label", 4,
                "empty label in column 'label'");
    }

    @Test
    void invalidUtf8IsAFormatError() throws IOException {
        Path file = dir.resolve("latin1.csv");
        Files.write(file, "text,label\r\n\"x\ny\",a\r\ncaf\u00e9,a\n".getBytes(StandardCharsets.ISO_8859_1));
        assertFormatError(file, "text", "label", 4, "not valid UTF-8: invalid byte sequence at byte offset 24");
    }

    private static int indexOfLine(List<LabeledText> examples, long line) {
        for (int i = 0; i < examples.size(); i++) {
            if (examples.get(i).source().line() == line) {
                return i;
            }
        }
        throw new AssertionError("no example starts on line " + line);
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private static DatasetFormatException assertFormatError(Path file, String text, String label, long line, String reason) {
        try {
            CsvDataset.read(file, text, label);
        } catch (DatasetFormatException e) {
            assertThat(e.file()).isEqualTo(file);
            assertThat(e.line()).isEqualTo(line);
            assertThat(e).hasMessageContaining(file.getFileName().toString() + ":" + line + ": ")
                    .hasMessageContaining(reason);
            return e;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("expected a DatasetFormatException for " + file);
    }
}
