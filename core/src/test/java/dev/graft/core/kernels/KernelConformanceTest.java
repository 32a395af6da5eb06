package dev.graft.core.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.core.kernels.vector.VectorKernels;
import dev.graft.core.parallel.ComputePool;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import dev.graft.core.testing.Numerics;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every Vector API kernel against the scalar reference, on sizes that are not multiples of the vector length
 * (1, 3, 17, 383, 1000, …) as well as ones that are, at nonzero element offsets and (softmax) row strides larger
 * than the row. Each operand sits inside a larger buffer filled with a sentinel, and every element outside the
 * region a kernel may write must keep it: a masked tail that stores too far shows up here. Also: in-place calls
 * equal out-of-place ones bit for bit.
 *
 * <p>Tolerances (vector vs scalar): gelu 1e-6 absolute (one float ulp beyond |x| = 8); layerNorm and softmax 1e-5
 * relative (layerNorm measured against max(1, |expected|), softmax against max(1e-6, |expected|));
 * meanPool 1e-6 absolute on inputs in [-1, 1]; l2Normalize 1e-5 relative against max(1e-3, |expected|);
 * add exact.
 */
class KernelConformanceTest {
    private static final float SENTINEL = -777.25f;
    private static final int[] LENGTHS = {0, 1, 3, 15, 16, 17, 63, 64, 65, 383, 384, 1000};
    private static final int[][] ROWS_COLS = {
            {1, 1}, {1, 3}, {3, 17}, {2, 16}, {4, 64}, {3, 65}, {7, 31}, {5, 383}, {2, 384}, {2, 1000}, {0, 5}};

    private static Kernels scalar;
    private static Kernels vector;
    private TensorArena arena;

    @BeforeAll
    static void openKernels() {
        scalar = new ScalarKernels(new ComputePool(1));
        vector = new VectorKernels(new ComputePool(1));
    }

    @AfterAll
    static void closeKernels() {
        scalar.close();
        vector.close();
    }

    @BeforeEach
    void openArena() {
        arena = TensorArena.root("kernel-conformance-test");
    }

    @AfterEach
    void closeArena() {
        arena.close();
        assertThat(arena.allocatedBytes()).isZero();
    }

    static IntStream lengths() {
        return Arrays.stream(LENGTHS);
    }

    static Stream<Arguments> rowsCols() {
        return Arrays.stream(ROWS_COLS).map(rc -> Arguments.of(rc[0], rc[1]));
    }

    static Stream<Arguments> pooling() {
        return Stream.of(
                Arguments.of(1, 1, 1), Arguments.of(2, 3, 17), Arguments.of(3, 17, 383), Arguments.of(2, 7, 384),
                Arguments.of(1, 5, 1000), Arguments.of(4, 9, 64), Arguments.of(2, 4, 65), Arguments.of(3, 2, 3));
    }

    // ------------------------------------------------------------------------------------------ element-wise

    @ParameterizedTest
    @MethodSource("lengths")
    void gelu(int n) {
        Random random = new Random(100 + n);
        float[] xs = Numerics.uniform(random, n, -12f, 12f);
        int xOff = 5;
        int outOff = 3;
        Tensor x = padded(xs, xOff);
        Tensor s = padded(new float[n], outOff);
        Tensor v = padded(new float[n], outOff);
        fill(s, outOff, n, SENTINEL);
        fill(v, outOff, n, SENTINEL);
        scalar.gelu(n, x.segment(), xOff, s.segment(), outOff);
        vector.gelu(n, x.segment(), xOff, v.segment(), outOff);
        float[] sv = region(s, outOff, n);
        float[] vv = region(v, outOff, n);
        for (int i = 0; i < n; i++) {
            assertThat(Math.abs(vv[i] - sv[i])).as("gelu(%s)", xs[i]).isLessThanOrEqualTo(Math.max(1e-6f, Math.ulp(sv[i])));
        }
        assertUntouchedOutside(v, outOff, n);
        assertUntouchedOutside(s, outOff, n);

        // in place equals out of place
        vector.gelu(n, x.segment(), xOff, x.segment(), xOff);
        assertThat(region(x, xOff, n)).containsExactly(vv);
        assertUntouchedOutside(x, xOff, n);
    }

    @ParameterizedTest
    @MethodSource("lengths")
    void add(int n) {
        Random random = new Random(200 + n);
        float[] as = Numerics.uniform(random, n, -50f, 50f);
        float[] bs = Numerics.uniform(random, n, -1f, 1f);
        Tensor a = padded(as, 7);
        Tensor b = padded(bs, 2);
        Tensor s = padded(new float[n], 9);
        Tensor v = padded(new float[n], 9);
        fill(s, 9, n, SENTINEL);
        fill(v, 9, n, SENTINEL);
        scalar.add(n, a.segment(), 7, b.segment(), 2, s.segment(), 9);
        vector.add(n, a.segment(), 7, b.segment(), 2, v.segment(), 9);
        float[] expected = region(s, 9, n);
        assertThat(region(v, 9, n)).containsExactly(expected);
        assertUntouchedOutside(v, 9, n);
        // in place, out == a and out == b
        vector.add(n, a.segment(), 7, b.segment(), 2, a.segment(), 7);
        assertThat(region(a, 7, n)).containsExactly(expected);
        Tensor b2 = padded(bs, 2);
        vector.add(n, padded(as, 7).segment(), 7, b2.segment(), 2, b2.segment(), 2);
        assertThat(region(b2, 2, n)).containsExactly(expected);
        assertUntouchedOutside(b2, 2, n);
    }

    // -------------------------------------------------------------------------------------------- row kernels

    @ParameterizedTest
    @MethodSource("rowsCols")
    void layerNorm(int rows, int cols) {
        Random random = new Random(300L * rows + cols);
        for (float center : new float[] {0f, 100f}) {
            int n = rows * cols;
            float[] xs = Numerics.uniform(random, n, center - 1, center + 1);
            Tensor x = padded(xs, 11);
            Tensor gamma = padded(Numerics.uniform(random, cols, 0.5f, 1.5f), 1);
            Tensor beta = padded(Numerics.uniform(random, cols, -1f, 1f), 4);
            Tensor s = padded(new float[n], 6);
            Tensor v = padded(new float[n], 6);
            fill(s, 6, n, SENTINEL);
            fill(v, 6, n, SENTINEL);
            scalar.layerNorm(rows, cols, x.segment(), 11, gamma.segment(), 1, beta.segment(), 4, 1e-12f, s.segment(), 6);
            vector.layerNorm(rows, cols, x.segment(), 11, gamma.segment(), 1, beta.segment(), 4, 1e-12f, v.segment(), 6);
            float[] expected = region(s, 6, n);
            assertThat(Numerics.maxRelDiff(region(v, 6, n), expected, 1.0)).as("rows around %s", center).isLessThan(1e-5);
            assertUntouchedOutside(v, 6, n);

            vector.layerNorm(rows, cols, x.segment(), 11, gamma.segment(), 1, beta.segment(), 4, 1e-12f, x.segment(), 11);
            assertThat(region(x, 11, n)).containsExactly(region(v, 6, n));
            assertUntouchedOutside(x, 11, n);
        }
    }

    @ParameterizedTest
    @MethodSource("rowsCols")
    void softmax(int rows, int cols) {
        Random random = new Random(400L * rows + cols);
        int[] allKept = IntStream.range(0, cols).map(j -> 1).toArray();
        int[] noneKept = new int[cols];
        int[] someKept = Numerics.mask(random, cols, 0.35);
        for (int extra : new int[] {0, 3}) {
            int ld = cols + extra;
            for (int[] keep : new int[][] {null, allKept, someKept, noneKept}) {
                int n = rows == 0 ? 0 : (rows - 1) * ld + cols;
                float[] xs = Numerics.uniform(random, n, -30f, 30f);
                float scale = 0.125f + random.nextFloat();
                Tensor s = padded(xs, 13);
                Tensor v = padded(xs, 13);
                Tensor mask = keep == null ? null : paddedInts(keep, 2);
                scalar.softmax(rows, cols, s.segment(), 13, ld, scale, mask == null ? null : mask.segment(), 2);
                vector.softmax(rows, cols, v.segment(), 13, ld, scale, mask == null ? null : mask.segment(), 2);
                float[] expected = region(s, 13, n);
                float[] got = region(v, 13, n);
                String what = "ld " + ld + ", mask " + (keep == null ? "null" : keep == noneKept ? "none kept" : Arrays.toString(keep));
                assertThat(Numerics.maxRelDiff(got, expected, 1e-6)).as(what).isLessThan(1e-5);
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < ld && r * ld + j < n; j++) {
                        int i = r * ld + j;
                        if (j >= cols) {
                            assertThat(got[i]).as("%s: gap after row %s untouched", what, r).isEqualTo(xs[i]);
                        } else if (keep != null && keep[j] == 0) {
                            assertThat(got[i]).as(what).isEqualTo(0f);
                        }
                    }
                }
                assertUntouchedOutside(v, 13, n);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("rowsCols")
    void l2Normalize(int rows, int cols) {
        Random random = new Random(500L * rows + cols);
        int n = rows * cols;
        float[] xs = Numerics.uniform(random, n, -1f, 1f);
        if (rows > 1) {
            Arrays.fill(xs, cols, 2 * cols, 0f); // row 1 is zero
        }
        Tensor x = padded(xs, 9);
        Tensor s = padded(new float[n], 4);
        Tensor v = padded(new float[n], 4);
        fill(s, 4, n, SENTINEL);
        fill(v, 4, n, SENTINEL);
        scalar.l2Normalize(rows, cols, x.segment(), 9, s.segment(), 4);
        vector.l2Normalize(rows, cols, x.segment(), 9, v.segment(), 4);
        float[] expected = region(s, 4, n);
        assertThat(Numerics.maxRelDiff(region(v, 4, n), expected, 1e-3)).isLessThan(1e-5);
        if (rows > 1) {
            assertThat(firstNotEqual(Arrays.copyOfRange(region(v, 4, n), cols, 2 * cols), 0f)).as("zero row").isEqualTo(-1);
        }
        assertUntouchedOutside(v, 4, n);

        vector.l2Normalize(rows, cols, x.segment(), 9, x.segment(), 9);
        assertThat(region(x, 9, n)).containsExactly(region(v, 4, n));
        assertUntouchedOutside(x, 9, n);
    }

    @ParameterizedTest
    @MethodSource("pooling")
    void meanPool(int batch, int tokens, int hidden) {
        Random random = new Random(600L * batch + 31L * tokens + hidden);
        float[] xs = Numerics.uniform(random, batch * tokens * hidden, -1f, 1f);
        int[] mask = Numerics.mask(random, batch * tokens, 0.4);
        if (batch > 1) {
            Arrays.fill(mask, (batch - 1) * tokens, batch * tokens, 0); // the last sequence is all padding
        }
        Tensor x = padded(xs, 3);
        Tensor m = paddedInts(mask, 5);
        for (boolean masked : new boolean[] {true, false}) {
            int n = batch * hidden;
            Tensor s = padded(new float[n], 8);
            Tensor v = padded(new float[n], 8);
            fill(s, 8, n, SENTINEL);
            fill(v, 8, n, SENTINEL);
            scalar.meanPool(batch, tokens, hidden, x.segment(), 3, masked ? m.segment() : null, 5, s.segment(), 8);
            vector.meanPool(batch, tokens, hidden, x.segment(), 3, masked ? m.segment() : null, 5, v.segment(), 8);
            float[] expected = region(s, 8, n);
            float[] got = region(v, 8, n);
            assertThat(Numerics.maxAbsDiff(got, expected)).as("masked: %s", masked).isLessThan(1e-6);
            if (masked && batch > 1) {
                assertThat(firstNotEqual(Arrays.copyOfRange(got, (batch - 1) * hidden, batch * hidden), 0f))
                        .as("fully masked sequence").isEqualTo(-1);
            }
            assertUntouchedOutside(v, 8, n);
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static final int PAD = 29;

    /** An f32 tensor of off + values.length + PAD elements: sentinels, then values at off, then sentinels. */
    private Tensor padded(float[] values, int off) {
        float[] all = new float[off + values.length + PAD];
        Arrays.fill(all, SENTINEL);
        System.arraycopy(values, 0, all, off, values.length);
        return arena.copyOf(all, all.length);
    }

    private Tensor paddedInts(int[] values, int off) {
        int[] all = new int[off + values.length + PAD];
        Arrays.fill(all, 7);
        System.arraycopy(values, 0, all, off, values.length);
        return arena.copyOf(all, all.length);
    }

    private static void fill(Tensor t, int off, int n, float value) {
        for (int i = 0; i < n; i++) {
            t.setFloat(off + i, value);
        }
    }

    private static float[] region(Tensor t, int off, int n) {
        return Arrays.copyOfRange(t.toFloatArray(), off, off + n);
    }

    private static void assertUntouchedOutside(Tensor t, int off, int n) {
        float[] all = t.toFloatArray();
        assertThat(all.length).isEqualTo(off + n + PAD);
        assertThat(firstNotEqual(Arrays.copyOfRange(all, 0, off), SENTINEL)).as("first overwritten index before the region").isEqualTo(-1);
        assertThat(firstNotEqual(Arrays.copyOfRange(all, off + n, all.length), SENTINEL))
                .as("first overwritten index after the region").isEqualTo(-1);
    }

    /** Index of the first element that is not bitwise {@code value}, or -1. */
    private static int firstNotEqual(float[] a, float value) {
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(value)) {
                return i;
            }
        }
        return -1;
    }
}
