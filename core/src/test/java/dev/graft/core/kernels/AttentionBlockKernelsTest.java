package dev.graft.core.kernels;

import static dev.graft.core.kernels.KernelTesting.SCALAR;
import static dev.graft.core.kernels.KernelTesting.SENTINEL;
import static dev.graft.core.kernels.KernelTesting.VECTOR;
import static dev.graft.core.kernels.KernelTesting.assertUntouchedOutside;
import static dev.graft.core.kernels.KernelTesting.filled;
import static dev.graft.core.kernels.KernelTesting.region;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.core.kernels.KernelTesting.TestArena;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.testing.Numerics;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The attention block kernels ({@code onlineSoftmax}, {@code divideRows}, {@code maskBand}, {@code keepTopK}):
 * the Vector API versions against the scalar reference on sizes that are not multiples of the vector length, at
 * nonzero offsets and with row strides larger than the rows (the gaps and everything around must keep their
 * sentinels); and the scalar reference against the plain definitions (an online softmax swept over key blocks
 * equals the softmax-weighted sum of the whole row; the band and top-k rules element by element).
 */
class AttentionBlockKernelsTest {
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;
    private static final int[][] ROWS_COLS = {
            {1, 1}, {1, 3}, {3, 17}, {2, 16}, {4, 64}, {3, 65}, {7, 31}, {5, 130}, {2, 383}, {0, 5}, {3, 0}};

    @RegisterExtension
    final TestArena arena = new TestArena("attention-block-kernels-test");

    static Stream<Arguments> rowsCols() {
        return Arrays.stream(ROWS_COLS).map(rc -> Arguments.of(rc[0], rc[1]));
    }

    // ------------------------------------------------------------------------------------------ onlineSoftmax

    /** Three blocks folded one after the other: every output and running statistic agrees. */
    @ParameterizedTest
    @MethodSource("rowsCols")
    void onlineSoftmaxVectorEqualsScalar(int rows, int cols) {
        Random random = new Random(10_000L * rows + cols);
        int ldx = cols + 3;
        int accCols = 37;
        int ldAcc = accCols + 5;
        int xn = span(rows, cols, ldx);
        int an = span(rows, accCols, ldAcc);
        Tensor[] max = {arena.padded(filled(rows, NEG_INF), 2), arena.padded(filled(rows, NEG_INF), 2)};
        Tensor[] sum = {arena.padded(new float[rows], 4), arena.padded(new float[rows], 4)};
        float[] garbage = Numerics.uniform(random, an, -5, 5);
        for (int i = 0; i < an; i++) {
            if (i % 7 == 0) {
                garbage[i] = Float.NaN; // acc before a row's first kept score is discarded, whatever it holds
            }
        }
        Tensor[] acc = {arena.padded(garbage, 6), arena.padded(garbage, 6)};
        for (int block = 0; block < 3; block++) {
            // block 0 excludes everything for some rows (-∞), block 1 has a larger range (new maxima), block 2 a mask
            float[] xs = Numerics.uniform(random, xn, -8f + 4 * block, 8f + 4 * block);
            if (block == 0 && cols > 0) {
                for (int r = 0; r < rows; r += 2) {
                    Arrays.fill(xs, r * ldx, r * ldx + cols, NEG_INF);
                }
            }
            int[] keep = block == 2 ? Numerics.mask(random, cols, 0.4) : null;
            float scale = 0.3f + block * 0.2f;
            Tensor xsT = arena.padded(xs, 9);
            Tensor xvT = arena.padded(xs, 9);
            Tensor mask = keep == null ? null : arena.paddedInts(keep, 3);
            Kernels[] impls = {SCALAR, VECTOR};
            Tensor[] xt = {xsT, xvT};
            for (int i = 0; i < 2; i++) {
                impls[i].onlineSoftmax(rows, cols, xt[i].segment(), 9, ldx, scale, mask == null ? null : mask.segment(), 3,
                        max[i].segment(), 2, sum[i].segment(), 4, acc[i].segment(), 6, ldAcc, accCols);
                // stand-in for the caller's P·V: add something that depends on P to acc
                addRowSums(rows, cols, xt[i], 9, ldx, acc[i], 6, ldAcc, accCols);
            }
            String what = "block " + block;
            assertThat(Numerics.maxRelDiff(region(xvT, 9, xn), region(xsT, 9, xn), 1e-6)).as(what).isLessThan(1e-5);
            assertGapsUntouched(xvT, 9, rows, cols, ldx, xs);
            assertUntouchedOutside(xvT, 9, xn);
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < cols; j++) {
                    if (keep != null && keep[j] == 0 || xs[r * ldx + j] == NEG_INF) {
                        assertThat(region(xvT, 9, xn)[r * ldx + j]).as("%s: excluded (%s, %s)", what, r, j).isEqualTo(0f);
                    }
                }
            }
            assertThat(region(max[1], 2, rows)).as(what).containsExactly(region(max[0], 2, rows));
            assertThat(Numerics.maxRelDiff(region(sum[1], 4, rows), region(sum[0], 4, rows), 1e-6)).as(what).isLessThan(1e-5);
            float[] accS = region(acc[0], 6, an);
            float[] accV = region(acc[1], 6, an);
            for (int r = 0; r < rows; r++) {
                if (region(max[0], 2, rows)[r] == NEG_INF) {
                    continue; // acc of a row with nothing kept yet is unspecified (still the garbage)
                }
                float[] s = Arrays.copyOfRange(accS, r * ldAcc, r * ldAcc + accCols);
                float[] v = Arrays.copyOfRange(accV, r * ldAcc, r * ldAcc + accCols);
                assertThat(Numerics.maxRelDiff(v, s, 1e-3)).as("%s acc row %s", what, r).isLessThan(1e-5);
            }
            assertGapsUntouched(acc[1], 6, rows, accCols, ldAcc, garbage);
            assertUntouchedOutside(acc[1], 6, an);
            assertUntouchedOutside(max[1], 2, rows);
            assertUntouchedOutside(sum[1], 4, rows);
        }
    }

    /**
     * Sweeping a row over key blocks with onlineSoftmax, adding P·V in between and dividing at the end, equals
     * softmax(scale · scores, masked) · V computed in double over the whole row — for both implementations.
     */
    @ParameterizedTest
    @MethodSource("rowsCols")
    void onlineSoftmaxSweepEqualsFullSoftmax(int rows, int cols) {
        if (rows == 0 || cols == 0) {
            return; // nothing to sweep
        }
        Random random = new Random(20_000L * rows + cols);
        int d = 19;
        float scale = 0.37f;
        float[] scores = Numerics.uniform(random, rows * cols, -20, 20);
        float[] values = Numerics.uniform(random, cols * d, -1, 1);
        int[] keep = Numerics.mask(random, cols, 0.3);
        if (rows > 1) {
            for (int j = 0; j < cols; j++) {
                scores[j] = NEG_INF; // row 0 excluded by the pattern everywhere: its output is zeros
            }
        }
        double[] expected = new double[rows * d];
        for (int r = 0; r < rows; r++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                if (keep[j] != 0) {
                    m = Math.max(m, (double) scores[r * cols + j] * scale);
                }
            }
            double z = 0;
            double[] o = new double[d];
            for (int j = 0; j < cols; j++) {
                if (keep[j] != 0 && m != Double.NEGATIVE_INFINITY) {
                    double p = Math.exp((double) scores[r * cols + j] * scale - m);
                    z += p;
                    for (int c = 0; c < d; c++) {
                        o[c] += p * values[j * d + c];
                    }
                }
            }
            for (int c = 0; c < d; c++) {
                expected[r * d + c] = z == 0 ? 0 : o[c] / z;
            }
        }
        for (Kernels k : new Kernels[] {SCALAR, VECTOR}) {
            for (int block : new int[] {1, 7, 16, 64}) {
                Tensor x = arena.copyOf(scores, scores.length);
                Tensor max = arena.copyOf(filled(rows, NEG_INF), rows);
                Tensor sum = arena.copyOf(new float[rows], rows);
                Tensor out = arena.copyOf(filled(rows * d, Float.NaN), rows * d);
                Tensor mask = arena.copyOf(keep, cols);
                for (int j0 = 0; j0 < cols; j0 += block) {
                    int n = Math.min(block, cols - j0);
                    k.onlineSoftmax(rows, n, x.segment(), j0, cols, scale, mask.segment(), j0, max.segment(), 0,
                            sum.segment(), 0, out.segment(), 0, d, d);
                    for (int r = 0; r < rows; r++) { // out += P · V[j0 .. j0 + n)
                        for (int c = 0; c < d; c++) {
                            double a = out.getFloat((long) r * d + c);
                            for (int j = 0; j < n; j++) {
                                a += x.getFloat((long) r * cols + j0 + j) * values[(j0 + j) * d + c];
                            }
                            out.setFloat((long) r * d + c, (float) a);
                        }
                    }
                }
                k.divideRows(rows, d, out.segment(), 0, d, sum.segment(), 0, out.segment(), 0, d);
                // outputs are weighted means of values in [-1, 1]: relative error, measured against at least 0.01
                assertThat(Numerics.maxRelDiff(out.toFloatArray(), expected, 1e-2))
                        .as("%s, blocks of %s", k.name(), block).isLessThan(1e-5);
            }
        }
    }

    @Test
    void onlineSoftmaxRejectsBadArguments() {
        Tensor x = arena.allocate(dev.graft.core.tensor.DType.F32, 64);
        MemorySegment s = x.segment();
        for (Kernels k : new Kernels[] {SCALAR, VECTOR}) {
            assertThatThrownBy(() -> k.onlineSoftmax(2, 4, s, 0, 4, 0f, null, 0, s, 20, s, 30, s, 40, 4, 4))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scale must be > 0");
            assertThatThrownBy(() -> k.onlineSoftmax(2, 4, s, 0, 4, 1f, null, 0, s, 20, s, 30, s, 60, 4, 4))
                    .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("onlineSoftmax: acc");
            assertThatThrownBy(() -> k.maskBand(2, 4, s, 0, 4, 0, -1, 1, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("step must be >= 1");
            assertThatThrownBy(() -> k.keepTopK(2, 4, s, 0, 4, 0, null, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("k must be >= 1");
            assertThatThrownBy(() -> k.divideRows(2, 4, s, 0, 4, s, 63, s, 0, 4))
                    .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("divideRows: divisors");
        }
    }

    // -------------------------------------------------------------------------------------------- divideRows

    @ParameterizedTest
    @MethodSource("rowsCols")
    void divideRows(int rows, int cols) {
        Random random = new Random(30_000L * rows + cols);
        int ldx = cols + 2;
        int ldOut = cols + 5;
        float[] xs = Numerics.uniform(random, span(rows, cols, ldx), -3, 3);
        float[] ds = Numerics.uniform(random, rows, 0.01f, 40f);
        if (rows > 1) {
            ds[1] = 0; // a row with nothing kept: zeros
        }
        Tensor x = arena.padded(xs, 5);
        Tensor dv = arena.padded(ds, 1);
        int on = span(rows, cols, ldOut);
        Tensor s = arena.sentinels(on, 8);
        Tensor v = arena.sentinels(on, 8);
        SCALAR.divideRows(rows, cols, x.segment(), 5, ldx, dv.segment(), 1, s.segment(), 8, ldOut);
        VECTOR.divideRows(rows, cols, x.segment(), 5, ldx, dv.segment(), 1, v.segment(), 8, ldOut);
        assertThat(Numerics.maxRelDiff(region(v, 8, on), region(s, 8, on), 1e-6)).isLessThan(1e-6);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                double want = ds[r] == 0 ? 0 : xs[r * ldx + j] / (double) ds[r];
                assertThat((double) region(s, 8, on)[r * ldOut + j]).isCloseTo(want, org.assertj.core.data.Offset.offset(1e-6 * Math.max(1, Math.abs(want))));
            }
        }
        assertGapsUntouched(v, 8, rows, cols, ldOut, filled(on, SENTINEL));
        assertUntouchedOutside(v, 8, on);
        // in place equals out of place
        VECTOR.divideRows(rows, cols, x.segment(), 5, ldx, dv.segment(), 1, x.segment(), 5, ldx);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                assertThat(region(x, 5, xs.length)[r * ldx + j]).isEqualTo(region(v, 8, on)[r * ldOut + j]);
            }
        }
        assertGapsUntouched(x, 5, rows, cols, ldx, xs);
    }

    // ---------------------------------------------------------------------------------------------- maskBand

    @ParameterizedTest
    @MethodSource("rowsCols")
    void maskBand(int rows, int cols) {
        Random random = new Random(40_000L * rows + cols);
        int ld = cols + 4;
        int n = span(rows, cols, ld);
        long[][] bands = { // offset, lo, hi, step
                {0, -2, 2, 1}, {-5, -3, 4, 1}, {17, -20, 0, 1}, {-40, -8, 8, 2}, {3, -9, 9, 3},
                {0, 5, 3, 1}, {1000, -1, 1, 1}, {0, -1000, 1000, 1}, {-2, -6, 6, 4}};
        for (long[] band : bands) {
            float[] xs = Numerics.uniform(random, n, -1, 1);
            Tensor s = arena.padded(xs, 7);
            Tensor v = arena.padded(xs, 7);
            SCALAR.maskBand(rows, cols, s.segment(), 7, ld, band[0], band[1], band[2], (int) band[3]);
            VECTOR.maskBand(rows, cols, v.segment(), 7, ld, band[0], band[1], band[2], (int) band[3]);
            String what = Arrays.toString(band);
            float[] got = region(v, 7, n);
            assertThat(got).as(what).containsExactly(region(s, 7, n));
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    long o = c - r + band[0];
                    boolean in = o >= band[1] && o <= band[2] && Math.floorMod(o, band[3]) == 0;
                    assertThat(got[r * ld + c]).as("%s (%s, %s)", what, r, c).isEqualTo(in ? xs[r * ld + c] : NEG_INF);
                }
            }
            assertGapsUntouched(v, 7, rows, cols, ld, xs);
            assertUntouchedOutside(v, 7, n);
        }
    }

    // ---------------------------------------------------------------------------------------------- keepTopK

    @ParameterizedTest
    @MethodSource("rowsCols")
    void keepTopK(int rows, int cols) {
        Random random = new Random(50_000L * rows + cols);
        int ld = cols + 3;
        int n = span(rows, cols, ld);
        for (int k : new int[] {1, 2, 8, 16, 17, 1000}) {
            for (boolean masked : new boolean[] {false, true}) {
                float[] xs = Numerics.uniform(random, n, -10, 10);
                for (int i = 0; i < n; i += 5) {
                    xs[i] = Math.round(xs[i]); // ties
                }
                if (rows > 2 && cols > 0) {
                    Arrays.fill(xs, 2 * ld, 2 * ld + cols, 1.5f); // a row of equal values
                    xs[2 * ld] = -0f;
                }
                if (rows > 1 && cols > 3) {
                    xs[ld] = NEG_INF; // already excluded by a pattern
                }
                int[] keep = masked ? Numerics.mask(random, cols, 0.3) : null;
                Tensor mask = masked ? arena.paddedInts(keep, 4) : null;
                Tensor s = arena.padded(xs, 6);
                Tensor v = arena.padded(xs, 6);
                SCALAR.keepTopK(rows, cols, s.segment(), 6, ld, k, masked ? mask.segment() : null, 4);
                VECTOR.keepTopK(rows, cols, v.segment(), 6, ld, k, masked ? mask.segment() : null, 4);
                String what = "k " + k + (masked ? ", masked" : "");
                float[] got = region(v, 6, n);
                assertThat(got).as(what).containsExactly(region(s, 6, n));
                for (int r = 0; r < rows; r++) { // the definition: kept iff a candidate ≥ the k-th largest candidate
                    float[] candidates = new float[cols];
                    int count = 0;
                    for (int j = 0; j < cols; j++) {
                        if (!masked || keep[j] != 0) {
                            candidates[count++] = xs[r * ld + j];
                        }
                    }
                    float[] sorted = Arrays.copyOf(candidates, count);
                    Arrays.sort(sorted);
                    float kth = count <= k ? NEG_INF : sorted[count - k];
                    for (int j = 0; j < cols; j++) {
                        float x = xs[r * ld + j];
                        boolean kept = (!masked || keep[j] != 0) && Float.compare(x, kth) >= 0;
                        assertThat(got[r * ld + j]).as("%s (%s, %s) of %s", what, r, j, x).isEqualTo(kept ? x : NEG_INF);
                    }
                }
                assertGapsUntouched(v, 6, rows, cols, ld, xs);
                assertUntouchedOutside(v, 6, n);
            }
        }
    }

    @Test
    void orderKeySortsLikeFloatCompare() {
        float[] xs = {NEG_INF, -3.4e38f, -1f, -Float.MIN_VALUE, -0f, 0f, Float.MIN_VALUE, 1f, 3.4e38f, Float.POSITIVE_INFINITY};
        for (int i = 0; i + 1 < xs.length; i++) {
            assertThat(ScalarKernels.orderKey(xs[i])).as("%s < %s", xs[i], xs[i + 1]).isLessThan(ScalarKernels.orderKey(xs[i + 1]));
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** acc[r, c] += Σ_j x[r, j] · (c + 1) / (j + 1): a cheap deterministic function of P. */
    private static void addRowSums(int rows, int cols, Tensor x, int xOff, int ldx, Tensor acc, int accOff, int ldAcc, int accCols) {
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int j = 0; j < cols; j++) {
                s += x.getFloat(xOff + (long) r * ldx + j) / (j + 1.0);
            }
            for (int c = 0; c < accCols; c++) {
                long i = accOff + (long) r * ldAcc + c;
                acc.setFloat(i, (float) (acc.getFloat(i) + s * (c + 1)));
            }
        }
    }

    private static int span(int rows, int cols, int ld) {
        return rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols;
    }

    /** Elements between rows (columns cols..ld-1) still hold their original values. */
    private static void assertGapsUntouched(Tensor t, int off, int rows, int cols, int ld, float[] original) {
        if (cols == 0) {
            return;
        }
        float[] all = region(t, off, span(rows, cols, ld));
        for (int r = 0; r + 1 < rows; r++) {
            for (int j = cols; j < ld; j++) {
                assertThat(Float.floatToRawIntBits(all[r * ld + j])).as("gap after row %s, column %s", r, j)
                        .isEqualTo(Float.floatToRawIntBits(original[r * ld + j]));
            }
        }
    }
}
