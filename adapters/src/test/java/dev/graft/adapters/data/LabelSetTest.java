package dev.graft.adapters.data;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LabelSetTest {

    @Test
    void indicesFollowSortedOrderWhateverTheInputOrder() {
        LabelSet a = LabelSet.of(List.of("card_arrival", "atm_support", "card_arrival", "Zeta"));
        LabelSet b = LabelSet.of(List.of("Zeta", "atm_support", "card_arrival"));
        assertThat(a).isEqualTo(b);
        assertThat(a.labels()).containsExactly("Zeta", "atm_support", "card_arrival");
        assertThat(a.index("atm_support")).isEqualTo(1);
        assertThat(a.label(2)).isEqualTo("card_arrival");
        assertThat(a.contains("nope")).isFalse();
        assertThatThrownBy(() -> a.label(3)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void unknownLabelNamesLabelPlaceAndKnownLabels() {
        LabelSet labels = LabelSet.ofTexts(List.of(new LabeledText("x", "pos"), new LabeledText("y", "neg")));
        List<LabeledText> test = List.of(
                new LabeledText("a", "pos", new SourceLine(Path.of("test.csv"), 2)),
                new LabeledText("b", "neutral", new SourceLine(Path.of("test.csv"), 3)));
        assertThatThrownBy(() -> labels.indices(test))
                .isInstanceOfSatisfying(UnknownLabelException.class, e -> {
                    assertThat(e.label()).isEqualTo("neutral");
                    assertThat(e.where()).isEqualTo("test.csv:3");
                    assertThat(e.knownLabels()).containsExactly("neg", "pos");
                })
                .hasMessageContaining("'neutral'").hasMessageContaining("test.csv:3").hasMessageContaining("[neg, pos]");
        assertThatThrownBy(() -> labels.index("other")).isInstanceOf(UnknownLabelException.class)
                .hasMessageContaining("'other'").hasMessageContaining("[neg, pos]");
    }

    @Test
    void tagIndicesNameSentenceAndWord() {
        TaggedSentence train = new TaggedSentence(List.of("the", "dog"), List.of("DET", "NOUN"));
        LabelSet tags = LabelSet.ofTags(List.of(train));
        TaggedSentence dev = new TaggedSentence(List.of("dogs", "bark"), List.of("NOUN", "VERB"),
                new SourceLine(Path.of("dev.conllu"), 40));
        assertThat(tags.tagIndices(List.of(train))).isDeepEqualTo(new int[][]{{0, 1}});
        assertThatThrownBy(() -> tags.tagIndices(List.of(dev))).isInstanceOf(UnknownLabelException.class)
                .hasMessageContaining("'VERB'").hasMessageContaining("dev.conllu:40, word 2 ('bark')")
                .hasMessageContaining("[DET, NOUN]");
    }

    @Test
    void unlabelledOrBlankInputIsRejected() {
        var unlabelled = new LabeledText("t", null, new SourceLine(Path.of("in.txt"), 7));
        assertThatThrownBy(() -> LabelSet.ofTexts(List.of(unlabelled))).hasMessageContaining("in.txt:7 has no label");
        assertThatThrownBy(() -> LabelSet.of(List.of())).hasMessageContaining("at least one label");
        assertThatThrownBy(() -> LabelSet.of(List.of(" "))).hasMessageContaining("non-blank");
        assertThatThrownBy(() -> new TaggedSentence(List.of("a", "b"), List.of("X")))
                .hasMessageContaining("2 words but 1 tags");
    }
}
