package dev.graft.attention.window;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.attention.dense.DenseAttention;
import dev.graft.attention.testing.AttentionCase;
import dev.graft.attention.testing.AttentionCase.Mask;
import dev.graft.attention.testing.Impls;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Sliding-window attention (dilated or not, with or without global tokens) equals the masked-dense reference
 * within 1e-5, with padding masks, across tile sizes; a window covering the whole sequence equals dense.
 */
class WindowAttentionTest {
    static final double TOLERANCE = 1e-5;

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        int[][] shapes = {{2, 9, 2, 8}, {3, 70, 2, 16}, {2, 157, 3, 32}};
        int[][] windows = {{1, 1}, {2, 1}, {5, 1}, {8, 1}, {16, 1}, {8, 2}, {5, 3}};
        int[][] globals = {{}, {0}, {0, 5, 1000}, {3, 4, 5, 6, 66}};
        int i = 0;
        for (int[] s : shapes) {
            for (int[] w : windows) {
                for (int[] g : globals) {
                    Mask m = Mask.values()[i % 3];
                    String impl = Impls.names().get(i % 3);
                    int[] tiles = i % 2 == 0 ? new int[] {64, 64} : new int[] {8, 5};
                    b.add(Arguments.of(impl, s[0], s[1], s[2], s[3], m, w[0], w[1], g, tiles[0], tiles[1]));
                    i++;
                }
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} b{1} T{2} h{3} d{4} {5} window {6} dilation {7} global {8} tiles {9}x{10}")
    @MethodSource("cases")
    void equalsMaskedDenseReference(String impl, int batch, int tokens, int heads, int d, Mask mask, int width, int dilation,
                                    int[] globals, int qBlock, int kBlock) {
        int radius = width / 2 * dilation;
        boolean[] global = new boolean[tokens];
        for (int g : globals) {
            if (g < tokens) {
                global[g] = true;
            }
        }
        try (AttentionCase c = AttentionCase.random(97L * tokens + width + 7L * dilation + globals.length, batch, tokens, heads, d, mask, 3f)) {
            float[] got = c.run(new WindowAttention(Impls.get(impl), width, dilation, globals, qBlock, kBlock));
            double[] want = c.reference((b, h, i, j) -> global[i] || global[j]
                    || Math.abs(j - i) <= radius && (j - i) % dilation == 0, 0);
            assertThat(AttentionCase.maxAbsDiff(got, want)).isLessThan(TOLERANCE);
        }
    }

    @Test
    void aWindowCoveringTheSequenceIsDense() {
        for (String impl : Impls.names()) {
            for (Mask mask : Mask.values()) {
                try (AttentionCase c = AttentionCase.random(3 + mask.ordinal(), 3, 90, 2, 16, mask)) {
                    float[] window = c.run(new WindowAttention(Impls.get(impl), 2 * 90, 1));
                    float[] dense = c.run(new DenseAttention(Impls.get(impl)));
                    assertThat(AttentionCase.maxAbsDiff(window, toDouble(dense))).as("%s %s", impl, mask).isLessThan(TOLERANCE);
                    assertThat(AttentionCase.maxAbsDiff(window, c.dense())).isLessThan(TOLERANCE);
                }
            }
        }
    }

    @Test
    void scratchDoesNotGrowWithTheSequence() {
        long[] bytes = new long[2];
        int[] lengths = {300, 1200};
        for (int i = 0; i < 2; i++) {
            WindowAttention w = new WindowAttention(Impls.VECTOR, 32, 1, 0, 1, 2);
            try (AttentionCase c = AttentionCase.random(i, 1, lengths[i], 1, 16, Mask.NONE)) {
                c.run(w);
            }
            bytes[i] = w.scratchBytes();
        }
        assertThat(bytes[1]).isEqualTo(bytes[0]);
    }

    @Test
    void rejectsBadSettings() {
        assertThatThrownBy(() -> new WindowAttention(Impls.VECTOR, 0, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("window width must be >= 1, was 0");
        assertThatThrownBy(() -> new WindowAttention(Impls.VECTOR, 4, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dilation must be >= 1");
        assertThatThrownBy(() -> new WindowAttention(Impls.VECTOR, 4, 1, -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("global token positions must be >= 0");
    }

    @Test
    void nameListsTheSettings() {
        assertThat(new WindowAttention(Impls.VECTOR, 256, 2, 15, 14, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 40).name())
                .isEqualTo("window(256,dilation=2,global=0..15|40)");
    }

    private static double[] toDouble(float[] a) {
        return java.util.stream.IntStream.range(0, a.length).mapToDouble(i -> a[i]).toArray();
    }

}
