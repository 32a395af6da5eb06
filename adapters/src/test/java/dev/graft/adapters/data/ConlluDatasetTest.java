package dev.graft.adapters.data;

import dev.graft.backbones.eval.DatasetFormatException;
import dev.graft.backbones.testing.ModelResources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConlluDatasetTest {

    private static final List<String> UPOS = List.of("ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN",
            "NUM", "PART", "PRON", "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X");

    @TempDir
    Path dir;

    private static Path ewt(String split) {
        return ModelResources.shared("datasets/ud_english_ewt/en_ewt-ud-" + split + ".conllu");
    }

    @Test
    void readsEwtTrainWithThe17UposTags() throws IOException {
        Path file = ewt("train");
        List<TaggedSentence> train = ConlluDataset.read(file);
        assertThat(train).hasSize(12_544);
        assertThat(train.stream().mapToInt(TaggedSentence::size).sum()).isEqualTo(204_577);
        assertThat(LabelSet.ofTags(train).labels()).isEqualTo(UPOS);

        TaggedSentence first = train.getFirst();
        assertThat(first.source()).isEqualTo(new SourceLine(file, 5));
        assertThat(first.size()).isEqualTo(29);
        assertThat(first.words().subList(0, 8)).containsExactly("Al", "-", "Zaman", ":", "American", "forces", "killed", "Shaikh");
        assertThat(first.tags().subList(0, 8)).containsExactly("PROPN", "PUNCT", "PROPN", "PUNCT", "ADJ", "NOUN", "VERB", "PROPN");
        // every word of the first sentence, in order, is in its "# text =" comment
        String text = Files.readAllLines(file).get(3);
        assertThat(text).startsWith("# text = ");
        int at = 0;
        for (String word : first.words()) {
            at = text.indexOf(word, at);
            assertThat(at).as("word '%s' in %s", word, text).isNotNegative();
            at += word.length();
        }
    }

    @Test
    void multiWordTokensAndEmptyNodesAreSkipped() throws IOException {
        List<TaggedSentence> train = ConlluDataset.read(ewt("train"));
        // sentence 9 has the multi-word token 19-20 "don't" = "do" + "n't"
        TaggedSentence withMwt = train.get(8);
        assertThat(withMwt.words()).doesNotContain("don't");
        assertThat(withMwt.words().subList(17, 21)).containsExactly("I", "do", "n't", "find");
        assertThat(withMwt.tags().subList(17, 21)).containsExactly("PRON", "AUX", "PART", "VERB");
        // sentence 62 has the empty node 8.1 "reported" after its 13 words
        TaggedSentence withEmptyNode = train.get(61);
        assertThat(withEmptyNode.size()).isEqualTo(13);
        assertThat(withEmptyNode.words()).containsOnlyOnce("reported");
    }

    @Test
    void readsEwtDevAndTestAndTheLastSentence() throws IOException {
        List<TaggedSentence> dev = ConlluDataset.read(ewt("dev"));
        List<TaggedSentence> test = ConlluDataset.read(ewt("test"));
        assertThat(dev).hasSize(2_001);
        assertThat(test).hasSize(2_077);
        assertThat(LabelSet.ofTags(dev).labels()).isEqualTo(UPOS);
        assertThat(LabelSet.ofTags(test).labels()).isEqualTo(UPOS);

        List<TaggedSentence> unlabeled = ConlluDataset.readUnlabeled(ewt("dev"));
        assertThat(unlabeled).hasSize(2_001).allMatch(s -> !s.labelled());
        assertThat(unlabeled.getLast().words()).isEqualTo(dev.getLast().words());
    }

    @Test
    void finalSentenceWithoutTrailingBlankLineCountsAndCrlfAndExtraBlankLinesWork() throws IOException {
        Path file = write("small.conllu", "\uFEFF# sent_id = 1\r\n"
                + tok(1, "Hello", "INTJ") + "\r\n" + tok(2, "!", "PUNCT") + "\r\n\r\n\r\n"
                + "# sent_id = 2\n" + "1-2\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n"
                + tok(1, "do", "AUX") + "\n" + tok(2, "n't", "PART") + "\n" + "2.1\tx\tx\tX\t_\t_\t_\t_\t_\t_\n"
                + tok(3, "go", "VERB"));
        List<TaggedSentence> sentences = ConlluDataset.read(file);
        assertThat(sentences).containsExactly(
                new TaggedSentence(List.of("Hello", "!"), List.of("INTJ", "PUNCT"), new SourceLine(file, 2)),
                new TaggedSentence(List.of("do", "n't", "go"), List.of("AUX", "PART", "VERB"), new SourceLine(file, 8)));
    }

    @Test
    void wrongColumnCount() throws IOException {
        assertFormatError(write("cols.conllu", tok(1, "a", "DET") + "\n1\tb\tb\tNOUN\t_\t_\t_\t_\t_\n"), 2,
                "expected 10 tab-separated columns, got 9");
        assertFormatError(write("spaces.conllu", "1 a a DET _ _ _ _ _ _\n"), 1, "got 1");
    }

    @Test
    void nonNumericId() throws IOException {
        assertFormatError(write("id.conllu", tok(1, "a", "DET") + "\n" + "x\tb\tb\tNOUN\t_\t_\t_\t_\t_\t_\n"), 2,
                "word id 'x' is not a number");
    }

    @Test
    void idsMustCountFromOne() throws IOException {
        assertFormatError(write("gap.conllu", "# c\n" + tok(1, "a", "DET") + "\n" + tok(3, "b", "NOUN") + "\n"), 3,
                "word id 3 out of order: expected 2");
        assertFormatError(write("restart.conllu", tok(1, "a", "DET") + "\n\n" + tok(2, "b", "NOUN") + "\n"), 3,
                "expected 1");
    }

    @Test
    void emptyFormOrUposAndUnderscoreUposInLabelledData() throws IOException {
        assertFormatError(write("form.conllu", tok(1, "a", "DET") + "\n" + tok(2, "", "NOUN") + "\n"), 2, "empty FORM");
        assertFormatError(write("upos.conllu", tok(1, "a", "DET") + "\n" + tok(2, "b", "") + "\n"), 2, "no UPOS tag");
        Path underscore = write("under.conllu", tok(1, "a", "DET") + "\n\n" + tok(1, "b", "_") + "\n");
        assertFormatError(underscore, 3, "word 1 ('b') has no UPOS tag (column 4 is '_')");
        // unlabelled reading ignores column 4
        assertThat(ConlluDataset.readUnlabeled(underscore)).extracting(TaggedSentence::words)
                .containsExactly(List.of("a"), List.of("b"));
    }

    @Test
    void fileWithoutSentencesOrMissing() throws IOException {
        assertFormatError(write("comments.conllu", "# only\n# comments\n\n"), 3, "no sentences");
        assertThatThrownBy(() -> ConlluDataset.read(dir.resolve("gone.conllu")))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("gone.conllu");
    }

    @Test
    void invalidUtf8NamesTheLine() throws IOException {
        Path file = dir.resolve("latin1.conllu");
        Files.write(file, (tok(1, "a", "DET") + "\n\n" + tok(1, "caf\u00e9", "NOUN") + "\n")
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertFormatError(file, 3, "not valid UTF-8");
    }

    private static String tok(int id, String form, String upos) {
        return id + "\t" + form + "\t" + form + "\t" + upos + "\t_\t_\t0\troot\t_\t_";
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private static void assertFormatError(Path file, long line, String reason) {
        assertThatThrownBy(() -> ConlluDataset.read(file))
                .isInstanceOfSatisfying(DatasetFormatException.class, e -> {
                    assertThat(e.file()).isEqualTo(file);
                    assertThat(e.line()).isEqualTo(line);
                })
                .hasMessageContaining(file.getFileName() + ":" + line + ": ")
                .hasMessageContaining(reason);
    }
}
