package dev.graft.core.kernels;

import static dev.graft.core.kernels.KernelTesting.SCALAR;
import static dev.graft.core.kernels.KernelTesting.VECTOR;
import static dev.graft.core.kernels.KernelTesting.assertUntouchedOutside;
import static dev.graft.core.kernels.KernelTesting.assertVectorEqualsScalarBitForBit;
import static dev.graft.core.kernels.KernelTesting.region;
import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.core.kernels.KernelTesting.TestArena;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.testing.Numerics;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
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
    private static final int[] LENGTHS = {0, 1, 3, 15, 16, 17, 63, 64, 65, 383, 384, 1000};
    private static final int[][] ROWS_COLS = {
            {1, 1}, {1, 3}, {3, 17}, {2, 16}, {4, 64}, {3, 65}, {7, 31}, {5, 383}, {2, 384}, {2, 1000}, {0, 5}};

    @RegisterExtension
    final TestArena arena = new TestArena("kernel-conformance-test");

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
        Tensor x = arena.padded(xs, xOff);
        Tensor s = arena.sentinels(n, outOff);
        Tensor v = arena.sentinels(n, outOff);
        SCALAR.gelu(n, x.segment(), xOff, s.segment(), outOff);
        VECTOR.gelu(n, x.segment(), xOff, v.segment(), outOff);
        float[] sv = region(s, outOff, n);
        float[] vv = region(v, outOff, n);
        for (int i = 0; i < n; i++) {
            assertThat(Math.abs(vv[i] - sv[i])).as("gelu(%s)", xs[i]).isLessThanOrEqualTo(Math.max(1e-6f, Math.ulp(sv[i])));
        }
        assertUntouchedOutside(v, outOff, n);
        assertUntouchedOutside(s, outOff, n);

        // in place equals out of place
        VECTOR.gelu(n, x.segment(), xOff, x.segment(), xOff);
        assertThat(region(x, xOff, n)).containsExactly(vv);
        assertUntouchedOutside(x, xOff, n);
    }

    @ParameterizedTest
    @MethodSource("lengths")
    void add(int n) {
        Random random = new Random(200 + n);
        float[] as = Numerics.uniform(random, n, -50f, 50f);
        float[] bs = Numerics.uniform(random, n, -1f, 1f);
        assertVectorEqualsScalarBitForBit(arena, Kernels::add, as, bs);
    }

    // -------------------------------------------------------------------------------------------- row kernels

    @ParameterizedTest
    @MethodSource("rowsCols")
    void layerNorm(int rows, int cols) {
        Random random = new Random(300L * rows + cols);
        for (float center : new float[] {0f, 100f}) {
            int n = rows * cols;
            float[] xs = Numerics.uniform(random, n, center - 1, center + 1);
            Tensor x = arena.padded(xs, 11);
            Tensor gamma = arena.padded(Numerics.uniform(random, cols, 0.5f, 1.5f), 1);
            Tensor beta = arena.padded(Numerics.uniform(random, cols, -1f, 1f), 4);
            Tensor s = arena.sentinels(n, 6);
            Tensor v = arena.sentinels(n, 6);
            SCALAR.layerNorm(rows, cols, x.segment(), 11, gamma.segment(), 1, beta.segment(), 4, 1e-12f, s.segment(), 6);
            VECTOR.layerNorm(rows, cols, x.segment(), 11, gamma.segment(), 1, beta.segment(), 4, 1e-12f, v.segment(), 6);
            float[] expected = region(s, 6, n);
            assertThat(Numerics.maxRelDiff(region(v, 6, n), expected, 1.0)).as("rows around %s", center).isLessThan(1e-5);
            assertUntouchedOutside(v, 6, n);

            VECTOR.layerNorm(rows, cols, x.segment(), 11, gamma.segment(), 1, beta.segment(), 4, 1e-12f, x.segment(), 11);
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
                Tensor s = arena.padded(xs, 13);
                Tensor v = arena.padded(xs, 13);
                Tensor mask = keep == null ? null : arena.paddedInts(keep, 2);
                SCALAR.softmax(rows, cols, s.segment(), 13, ld, scale, mask == null ? null : mask.segment(), 2);
                VECTOR.softmax(rows, cols, v.segment(), 13, ld, scale, mask == null ? null : mask.segment(), 2);
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
        Tensor x = arena.padded(xs, 9);
        Tensor s = arena.sentinels(n, 4);
        Tensor v = arena.sentinels(n, 4);
        SCALAR.l2Normalize(rows, cols, x.segment(), 9, s.segment(), 4);
        VECTOR.l2Normalize(rows, cols, x.segment(), 9, v.segment(), 4);
        float[] expected = region(s, 4, n);
        assertThat(Numerics.maxRelDiff(region(v, 4, n), expected, 1e-3)).isLessThan(1e-5);
        if (rows > 1) {
            assertThat(firstNotEqual(Arrays.copyOfRange(region(v, 4, n), cols, 2 * cols), 0f)).as("zero row").isEqualTo(-1);
        }
        assertUntouchedOutside(v, 4, n);

        VECTOR.l2Normalize(rows, cols, x.segment(), 9, x.segment(), 9);
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
        Tensor x = arena.padded(xs, 3);
        Tensor m = arena.paddedInts(mask, 5);
        for (boolean masked : new boolean[] {true, false}) {
            int n = batch * hidden;
            Tensor s = arena.sentinels(n, 8);
            Tensor v = arena.sentinels(n, 8);
            SCALAR.meanPool(batch, tokens, hidden, x.segment(), 3, masked ? m.segment() : null, 5, s.segment(), 8);
            VECTOR.meanPool(batch, tokens, hidden, x.segment(), 3, masked ? m.segment() : null, 5, v.segment(), 8);
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
