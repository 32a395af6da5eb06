package dev.graft.adapters.metrics;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BioSpansTest {

    @Test
    void decodesWellFormedBio() {
        assertThat(BioSpans.decode(List.of("B-PER", "I-PER", "O", "B-LOC")))
                .containsExactly(new Span("PER", 0, 2), new Span("LOC", 3, 4));
        assertThat(BioSpans.decode(List.of("O", "O"))).isEmpty();
        assertThat(BioSpans.decode(List.of())).isEmpty();
        assertThat(BioSpans.decode(List.of("O", "B-MISC", "I-MISC", "I-MISC")))
                .containsExactly(new Span("MISC", 1, 4));
    }

    @Test
    void adjacentBeginsAreSeparateSpans() {
        assertThat(BioSpans.decode(List.of("B-PER", "B-PER", "I-PER")))
                .containsExactly(new Span("PER", 0, 1), new Span("PER", 1, 3));
    }

    @Test
    void insideWithoutBeginStartsASpanLikeSeqevalsDefaultMode() {
        assertThat(BioSpans.decode(List.of("I-PER", "I-PER", "O", "I-LOC")))
                .containsExactly(new Span("PER", 0, 2), new Span("LOC", 3, 4));
        // a type change inside a span ends it and starts another
        assertThat(BioSpans.decode(List.of("B-PER", "I-LOC", "I-LOC")))
                .containsExactly(new Span("PER", 0, 1), new Span("LOC", 1, 3));
    }

    @Test
    void typeIsEverythingAfterThePrefix() {
        assertThat(BioSpans.decode(List.of("B-ORG-X", "I-ORG-X"))).containsExactly(new Span("ORG-X", 0, 2));
    }

    @Test
    void nonBioTagsAreRejected() {
        assertThatThrownBy(() -> BioSpans.decode(List.of("O", "NOUN")))
                .hasMessageContaining("'NOUN' at position 1 is not a BIO tag");
        assertThatThrownBy(() -> BioSpans.decode(List.of("S-PER"))).hasMessageContaining("'S-PER'");
        assertThatThrownBy(() -> BioSpans.decode(List.of("B-"))).hasMessageContaining("'B-'");
    }

    @Test
    void recognisesBioTagSets() {
        assertThat(BioSpans.isBioTagSet(Set.of("O", "B-PER", "I-PER"))).isTrue();
        assertThat(BioSpans.isBioTagSet(List.of("B-X"))).isTrue();
        assertThat(BioSpans.isBioTagSet(Set.of("O", "I-PER"))).isFalse(); // no B-
        assertThat(BioSpans.isBioTagSet(Set.of("O"))).isFalse();
        assertThat(BioSpans.isBioTagSet(Set.of("NOUN", "VERB", "ADJ"))).isFalse();
        assertThat(BioSpans.isBioTagSet(Set.of("O", "B-PER", "E-PER"))).isFalse();
        assertThat(BioSpans.isBioTagSet(Set.of("O", "B-"))).isFalse();
    }
}
