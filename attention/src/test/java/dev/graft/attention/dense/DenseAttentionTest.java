package dev.graft.attention.dense;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.attention.testing.AttentionCase;
import dev.graft.attention.testing.AttentionCase.Mask;
import dev.graft.attention.testing.Impls;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The tiled dense kernel equals plain {@code softmax(QKᵀ/√d)·V} (and its masked version) within 1e-5, for tile
 * sizes that divide nothing, every mask shape, scalar and Vector API kernels, one and two threads.
 */
class DenseAttentionTest {
    static final double TOLERANCE = 1e-5;

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        int[][] shapes = {{1, 1, 1, 8}, {2, 7, 3, 8}, {3, 37, 2, 20}, {3, 130, 2, 16}, {2, 100, 3, 32}, {1, 200, 1, 32}};
        int[][] tiles = {{64, 64}, {16, 8}, {7, 5}};
        for (String k : Impls.names()) {
            for (int[] s : shapes) {
                for (Mask m : Mask.values()) {
                    for (int[] t : tiles) {
                        if (k.equals("vector") || t[0] != 16) { // every tiling on one kernel set; two on the others
                            b.add(Arguments.of(k, s[0], s[1], s[2], s[3], m, t[0], t[1]));
                        }
                    }
                }
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} b{1} T{2} h{3} d{4} {5} tiles {6}x{7}")
    @MethodSource("cases")
    void equalsPlainSoftmaxAttention(String kernels, int batch, int tokens, int heads, int d, Mask mask, int qBlock, int kBlock) {
        try (AttentionCase c = AttentionCase.random(31L * tokens + batch + mask.ordinal(), batch, tokens, heads, d, mask, 3f)) {
            float[] got = c.run(new DenseAttention(Impls.get(kernels), qBlock, kBlock));
            assertThat(AttentionCase.maxAbsDiff(got, c.dense())).isLessThan(TOLERANCE);
        }
    }

    @Test
    void twoThreadsGiveTheSameBitsAsOne() {
        try (AttentionCase c = AttentionCase.random(5, 3, 150, 4, 16, Mask.HOLES)) {
            float[] one = c.run(new DenseAttention(Impls.VECTOR));
            float[] two = c.run(new DenseAttention(Impls.VECTOR_2));
            assertThat(two).containsExactly(one);
        }
    }

    @Test
    void scratchIsTilesNotTheScoreMatrix() {
        DenseAttention dense = new DenseAttention(Impls.VECTOR);
        try (AttentionCase c = AttentionCase.random(6, 1, 600, 1, 16, Mask.NONE)) {
            c.run(dense);
        }
        // 600 × 600 scores would be 1.44 MB; a 64 × 64 tile and its statistics are ~17 KB
        assertThat(dense.scratchBytes()).isPositive().isLessThan(64 * 1024);
    }

    @Test
    void rejectsBadArguments() {
        DenseAttention dense = new DenseAttention(Impls.VECTOR);
        try (TensorArena arena = TensorArena.root("dense-args")) {
            MemorySegment s = arena.allocate(DType.F32, 100).segment();
            assertThatThrownBy(() -> dense.attend(1, 8, 2, 8, 0.3f, s, 0, s, 0, s, 0, 16, null, 0, s, 0, 16))
                    .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("attention: q needs 128 f32");
            assertThatThrownBy(() -> dense.attend(1, 2, 2, 8, 0.3f, s, 0, s, 0, s, 0, 15, null, 0, s, 0, 16))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be >= heads × head size = 16");
            assertThatThrownBy(() -> dense.attend(1, 2, 2, 8, 0f, s, 0, s, 0, s, 0, 16, null, 0, s, 0, 16))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scale must be > 0");
            assertThatThrownBy(() -> dense.attend(1, 2, 2, 8, 0.3f, s, 0, s, 0, s, 0, 16, s, 99, s, 0, 16))
                    .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("attention: mask needs 2 i32");
        }
    }
}
