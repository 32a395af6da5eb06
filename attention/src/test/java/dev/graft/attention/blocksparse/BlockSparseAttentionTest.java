package dev.graft.attention.blocksparse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.attention.testing.AttentionCase;
import dev.graft.attention.testing.AttentionCase.Mask;
import dev.graft.attention.testing.Impls;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Block-sparse attention equals the masked-dense reference within 1e-5 (the reference allows key j to query i when
 * j's block is among the blocks {@link BlockSparseAttention#keyBlocks} chooses for i's block), with padding masks;
 * and the block choice itself has the promised window, global and random parts.
 */
class BlockSparseAttentionTest {
    static final double TOLERANCE = 1e-5;

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        int[][] shapes = {{2, 9, 2, 8}, {3, 70, 2, 16}, {2, 157, 3, 32}};
        int[][] settings = {{4, 1, 0, 0}, {8, 3, 1, 1}, {16, 3, 2, 3}, {5, 5, 0, 2}, {8, 1, 1, 100}, {64, 3, 1, 1}};
        int i = 0;
        for (int[] s : shapes) {
            for (int[] p : settings) {
                for (long seed : new long[] {0, 42}) {
                    b.add(Arguments.of(Impls.names().get(i % 3), s[0], s[1], s[2], s[3], Mask.values()[i % 3],
                            p[0], p[1], p[2], p[3], seed));
                    i++;
                }
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} b{1} T{2} h{3} d{4} {5} block {6} window {7} global {8} random {9} seed {10}")
    @MethodSource("cases")
    void equalsMaskedDenseReference(String impl, int batch, int tokens, int heads, int d, Mask mask,
                                    int block, int window, int global, int random, long seed) {
        BlockSparseAttention kernel = new BlockSparseAttention(Impls.get(impl), block, window, global, random, seed);
        try (AttentionCase c = AttentionCase.random(13L * tokens + block + seed, batch, tokens, heads, d, mask, 3f)) {
            float[] got = c.run(kernel);
            // allowed[b][h][query block][key block]
            boolean[][][][] allowed = new boolean[batch][heads][][];
            for (int b = 0; b < batch; b++) {
                int keyBlocks = (c.keys(b) + block - 1) / block;
                int queryBlocks = (tokens + block - 1) / block;
                for (int h = 0; h < heads; h++) {
                    allowed[b][h] = new boolean[queryBlocks][Math.max(keyBlocks, 1)];
                    for (int qb = 0; qb < queryBlocks; qb++) {
                        kernel.keyBlocks(h, qb, keyBlocks, allowed[b][h][qb]);
                    }
                }
            }
            double[] want = c.reference((b, h, i, j) -> j < c.keys(b) && allowed[b][h][i / block][j / block], 0);
            assertThat(AttentionCase.maxAbsDiff(got, want)).isLessThan(TOLERANCE);
        }
    }

    @Test
    void blockChoiceHasWindowGlobalAndRandomParts() {
        BlockSparseAttention k = new BlockSparseAttention(Impls.VECTOR, 64, 3, 2, 3, 7);
        int n = 40;
        for (int head = 0; head < 3; head++) {
            for (int qb = 0; qb < n; qb++) {
                boolean[] v = new boolean[n];
                int marked = k.keyBlocks(head, qb, n, v);
                assertThat(count(v)).isEqualTo(marked);
                if (qb < 2) {
                    assertThat(marked).as("global query block attends all").isEqualTo(n);
                    continue;
                }
                assertThat(v[0] && v[1]).as("global blocks").isTrue();
                for (int j = Math.max(0, qb - 1); j <= Math.min(n - 1, qb + 1); j++) {
                    assertThat(v[j]).as("window block %s of %s", j, qb).isTrue();
                }
                int fixed = 2 + (int) java.util.stream.IntStream.rangeClosed(qb - 1, qb + 1).filter(j -> j >= 2 && j < n).count();
                assertThat(marked).as("3 random blocks besides %s fixed ones", fixed).isEqualTo(fixed + 3);
            }
        }
        // the same seed draws the same blocks; another seed or head draws others somewhere
        boolean differsBySeed = false;
        boolean differsByHead = false;
        BlockSparseAttention other = new BlockSparseAttention(Impls.VECTOR, 64, 3, 2, 3, 8);
        for (int qb = 2; qb < n; qb++) {
            boolean[] a = new boolean[n];
            boolean[] a2 = new boolean[n];
            boolean[] b = new boolean[n];
            boolean[] h1 = new boolean[n];
            k.keyBlocks(0, qb, n, a);
            k.keyBlocks(0, qb, n, a2);
            other.keyBlocks(0, qb, n, b);
            k.keyBlocks(1, qb, n, h1);
            assertThat(a2).containsExactly(a);
            differsBySeed |= !java.util.Arrays.equals(a, b);
            differsByHead |= !java.util.Arrays.equals(a, h1);
        }
        assertThat(differsBySeed).isTrue();
        assertThat(differsByHead).isTrue();
    }

    @Test
    void randomBlocksStopWhenEveryBlockIsChosen() {
        BlockSparseAttention k = new BlockSparseAttention(Impls.VECTOR, 8, 1, 1, 50, 1);
        boolean[] v = new boolean[6];
        assertThat(k.keyBlocks(0, 3, 6, v)).isEqualTo(6);
    }

    private static int count(boolean[] v) {
        int c = 0;
        for (boolean b : v) {
            c += b ? 1 : 0;
        }
        return c;
    }
}
