package dev.graft.adapters.metrics;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class TaggingMetricsTest {

    private static final double EPS = 1e-12;

    /**
     * seqeval's README example: gold MISC[3,6) PER[0,2), predicted MISC[2,6) PER[0,2). One of two predicted spans
     * matches one of two gold spans: P = R = F1 = 0.5 (seqeval's f1_score gives 0.50). Token accuracy 8/10
     * (positions 2 and 3 of the first sentence differ).
     */
    @Test
    void seqevalReadmeExample() {
        var gold = List.of(List.of("O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"), List.of("B-PER", "I-PER", "O"));
        var predicted = List.of(List.of("O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"), List.of("B-PER", "I-PER", "O"));
        TaggingMetrics m = TaggingMetrics.of(gold, predicted);

        assertThat(m.tokens()).isEqualTo(10);
        assertThat(m.correctTokens()).isEqualTo(8);
        assertThat(m.tokenAccuracy()).isCloseTo(0.8, within(EPS));
        assertThat(m.bio()).isTrue();
        EntityScores e = m.entities().orElseThrow();
        assertThat(e).isEqualTo(new EntityScores(2, 2, 1));
        assertThat(e.precision()).isCloseTo(0.5, within(EPS));
        assertThat(e.recall()).isCloseTo(0.5, within(EPS));
        assertThat(e.f1()).isCloseTo(0.5, within(EPS));
        assertThat(m.entitiesByType()).containsOnlyKeys("MISC", "PER");
        assertThat(m.entitiesByType().get("PER").f1()).isEqualTo(1.0);
        assertThat(m.entitiesByType().get("MISC").f1()).isZero();
    }

    /**
     * gold PER[0,2) LOC[3,4) ORG[5,6); predicted PER[0,2) and ORG[5,6) (the latter from an I- after O, which
     * seqeval's default mode accepts as a span start): 2 correct of 2 predicted and 3 gold → P 1, R 2/3, F1 0.8.
     */
    @Test
    void entityScoresWithAMissedSpanAndALenientInsideStart() {
        var gold = List.of(List.of("B-PER", "I-PER", "O", "B-LOC", "O", "B-ORG"));
        var predicted = List.of(List.of("B-PER", "I-PER", "O", "O", "O", "I-ORG"));
        EntityScores e = TaggingMetrics.of(gold, predicted).entities().orElseThrow();
        assertThat(e).isEqualTo(new EntityScores(3, 2, 2));
        assertThat(e.precision()).isCloseTo(1.0, within(EPS));
        assertThat(e.recall()).isCloseTo(2.0 / 3, within(EPS));
        assertThat(e.f1()).isCloseTo(0.8, within(EPS));
    }

    @Test
    void uposTagsGetTokenScoresOnly() {
        var gold = List.of(List.of("DET", "NOUN", "VERB"), List.of("PRON", "VERB"));
        var predicted = List.of(List.of("DET", "NOUN", "NOUN"), List.of("PRON", "VERB"));
        TaggingMetrics m = TaggingMetrics.of(gold, predicted);
        assertThat(m.bio()).isFalse();
        assertThat(m.entities()).isEmpty();
        assertThat(m.entitiesByType()).isEmpty();
        assertThat(m.tokenAccuracy()).isCloseTo(0.8, within(EPS));
        assertThat(m.tagNames()).containsExactly("DET", "NOUN", "PRON", "VERB");
        // VERB: tp 1, fn 1, fp 0 → F1 2/3; NOUN: tp 1, fp 1 → F1 2/3; DET and PRON perfect
        assertThat(m.perTag().f1(3)).isCloseTo(2.0 / 3, within(EPS));
        assertThat(m.perTag().macroF1()).isCloseTo((1 + 2.0 / 3 + 1 + 2.0 / 3) / 4, within(EPS));
    }

    @Test
    void indexApiUsesTheTrainingTagNames() {
        List<String> names = List.of("B-LOC", "I-LOC", "O");
        int[][] gold = {{0, 1, 2}, {2, 0}};
        int[][] predicted = {{0, 2, 2}, {2, 0}};
        TaggingMetrics m = TaggingMetrics.of(gold, predicted, names);
        assertThat(m.tokenAccuracy()).isCloseTo(0.8, within(EPS));
        assertThat(m.entities().orElseThrow()).isEqualTo(new EntityScores(2, 2, 1));
        assertThat(m.toString()).contains("entity P 0.5000 R 0.5000 F1 0.5000");
    }

    @Test
    void shapesMustMatch() {
        assertThatThrownBy(() -> TaggingMetrics.of(List.of(List.of("O")), List.of(List.of("O", "O"))))
                .hasMessageContaining("sentence 0: gold has 1 tags but predicted has 2");
        assertThatThrownBy(() -> TaggingMetrics.of(List.of(List.of("O")), List.of()))
                .hasMessageContaining("gold has 1 sentences but predicted has 0");
        assertThatThrownBy(() -> TaggingMetrics.of(new int[][]{{3}}, new int[][]{{0}}, List.of("O", "B-X")))
                .hasMessageContaining("outside [0, 2)");
    }

    /**
     * Words the tagger did not tag (null: past the token limit) count as words and as errors, are in no predicted
     * entity (the gold entity among them is missed), and are left out of the per-tag confusion.
     */
    @Test
    void untaggedWordsCountAsErrorsAndMissedEntities() {
        var gold = List.of(List.of("B-PER", "I-PER", "O", "O", "B-LOC", "I-LOC"));
        var predicted = java.util.Arrays.asList("B-PER", "I-PER", "O", null, null, null);
        TaggingMetrics m = TaggingMetrics.of(gold, List.of(predicted));
        assertThat(m.tokens()).isEqualTo(6);
        assertThat(m.untagged()).isEqualTo(3);
        assertThat(m.correctTokens()).isEqualTo(3);
        assertThat(m.tokenAccuracy()).isCloseTo(0.5, within(EPS));
        assertThat(m.perTag().total()).as("only tagged words have a predicted class").isEqualTo(3);
        assertThat(m.entities().orElseThrow()).isEqualTo(new EntityScores(2, 1, 1)); // LOC missed, PER found
        assertThat(m.toString()).contains("3 not tagged");

        TaggingMetrics none = TaggingMetrics.of(new int[][]{{0, 1}}, new int[][]{{TaggingMetrics.NOT_TAGGED,
                TaggingMetrics.NOT_TAGGED}}, List.of("NOUN", "VERB"));
        assertThat(none.tokenAccuracy()).isZero();
        assertThat(none.untagged()).isEqualTo(2);
        assertThatThrownBy(none::perTag).isInstanceOf(IllegalStateException.class).hasMessageContaining("no word was tagged");
    }
}
