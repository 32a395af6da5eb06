package dev.graft.attention.topk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.attention.testing.AttentionCase;
import dev.graft.attention.testing.AttentionCase.Mask;
import dev.graft.attention.testing.Impls;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Top-k attention equals the reference that keeps each query's k largest allowed scores (ties with the k-th kept)
 * and renormalises, within 1e-5, with padding masks; k = T is dense; k > T is an error naming T.
 */
class TopKAttentionTest {
    static final double TOLERANCE = 1e-5;

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        int[][] shapes = {{2, 9, 2, 8}, {3, 70, 2, 16}, {2, 157, 3, 32}};
        int i = 0;
        for (int[] s : shapes) {
            for (int k : new int[] {1, 3, 8, 9}) {
                for (Mask m : Mask.values()) {
                    b.add(Arguments.of(Impls.names().get(i % 3), s[0], s[1], s[2], s[3], m, k));
                    i++;
                }
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} b{1} T{2} h{3} d{4} {5} k {6}")
    @MethodSource("cases")
    void equalsTopKReference(String impl, int batch, int tokens, int heads, int d, Mask mask, int k) {
        try (AttentionCase c = AttentionCase.dyadic(7L * tokens + k + mask.ordinal(), batch, tokens, heads, d, mask)) {
            float[] got = c.run(new TopKAttention(Impls.get(impl), k));
            assertThat(AttentionCase.maxAbsDiff(got, c.reference((b, h, i, j) -> true, k))).isLessThan(TOLERANCE);
        }
    }

    @Test
    void kEqualToTheSequenceLengthIsDense() {
        for (String impl : Impls.names()) {
            for (Mask mask : Mask.values()) {
                try (AttentionCase c = AttentionCase.random(11 + mask.ordinal(), 3, 77, 2, 16, mask)) {
                    assertThat(AttentionCase.maxAbsDiff(c.run(new TopKAttention(Impls.get(impl), 77)), c.dense()))
                            .as("%s %s", impl, mask).isLessThan(TOLERANCE);
                }
            }
        }
    }

    @Test
    void kLargerThanTheSequenceIsAnErrorNamingT() {
        try (AttentionCase c = AttentionCase.random(1, 1, 5, 1, 8, Mask.NONE)) {
            assertThatThrownBy(() -> c.run(new TopKAttention(Impls.VECTOR, 8)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("k = 8 exceeds the sequence length T = 5");
        }
        assertThatThrownBy(() -> new TopKAttention(Impls.VECTOR, 0)).hasMessageContaining("k >= 1");
    }
}
