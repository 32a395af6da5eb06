package dev.graft.core.kernels;

import static dev.graft.core.kernels.KernelTesting.SCALAR;
import static dev.graft.core.kernels.KernelTesting.SENTINEL;
import static dev.graft.core.kernels.KernelTesting.VECTOR;
import static dev.graft.core.kernels.KernelTesting.assertUntouchedOutside;
import static dev.graft.core.kernels.KernelTesting.assertVectorEqualsScalarBitForBit;
import static dev.graft.core.kernels.KernelTesting.bits;
import static dev.graft.core.kernels.KernelTesting.filled;
import static dev.graft.core.kernels.KernelTesting.region;
import static dev.graft.core.kernels.KernelTesting.runBoth;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.core.kernels.KernelTesting.Outputs;
import dev.graft.core.kernels.KernelTesting.TestArena;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.testing.Numerics;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every Vector API backward kernel against {@link ScalarBackward} (the reference, which accumulates in double), on
 * column counts that are not multiples of the vector length (1, 7, 15, 17, 63) as well as ones that are (16, 384,
 * 1536), at nonzero element offsets and row strides larger than the row where the contract has strides. Operands
 * sit inside larger buffers filled with a sentinel that everything outside the written region must keep; in-place
 * calls (where the contract allows them) equal out-of-place ones bit for bit.
 *
 * <p>Tolerances, vector vs scalar:
 * <ul>
 *   <li>activationBackward: NONE and RELU exact; GELU {@code |Δdx| ≤ 2e-6·|dy| + ulp(dx)} (the derivative itself
 *       to 2e-6 absolute); TANH {@code |Δdx| ≤ 1e-6·|dy| + ulp(dx)};</li>
 *   <li>layerNormBackward: {@code |Δdx| ≤ 1e-5 · rstd · max_j |dy_j·γ_j|} per row (the scale of every term of dx),
 *       rows centred at 0 and at 100;</li>
 *   <li>softmaxBackward: 1e-6 absolute (dy in [-1, 1], scale ≤ 1.2);</li>
 *   <li>columnSums: {@code |Δout_j| ≤ 1e-5 · (Σ_r |a·b| + |out_j before|)}, i.e. 1e-5 relative to the sum of
 *       magnitudes;</li>
 *   <li>dropout, transpose, multiply: exact.</li>
 * </ul>
 */
class BackwardConformanceTest {
    private static final int[] COLS = {1, 7, 15, 16, 17, 63, 384, 1536};
    private static final int[] LENGTHS = {0, 1, 7, 15, 16, 17, 63, 64, 65, 384, 1000, 1536};

    @RegisterExtension
    final TestArena arena = new TestArena("backward-conformance-test");

    static Stream<Arguments> activations() {
        List<Arguments> args = new ArrayList<>();
        for (Activation act : Activation.values()) {
            for (int n : LENGTHS) {
                args.add(Arguments.of(act, n));
            }
        }
        return args.stream();
    }

    static IntStream cols() {
        return Arrays.stream(COLS);
    }

    static IntStream lengths() {
        return Arrays.stream(LENGTHS);
    }

    // ---------------------------------------------------------------------------------- activationBackward

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("activations")
    void activationBackward(Activation act, int n) {
        Random random = new Random(1000L * act.ordinal() + n);
        float[] xs = Numerics.uniform(random, n, -9f, 9f);
        float[] special = {0f, -0f, 1e-30f, -1e-30f, 19.5f, -19.5f, 20f, -25f, 1e4f, -1e4f,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 0.5f, -0.75f};
        System.arraycopy(special, 0, xs, 0, Math.min(n, special.length)); // in vector lanes when n ≥ 16
        float[] dys = Numerics.uniform(random, n, -2f, 2f);
        Outputs out = runBoth(arena, (k, count, x, xOff, dy, dyOff, dx, dxOff) ->
                k.activationBackward(act, count, x, xOff, dy, dyOff, dx, dxOff), xs, dys);
        float[] expected = out.scalar();
        float[] got = out.vector();
        switch (act) {
            case NONE, RELU -> assertThat(got).containsExactly(expected);
            case GELU, TANH -> {
                double perDy = act == Activation.GELU ? 2e-6 : 1e-6;
                for (int i = 0; i < n; i++) {
                    if (Float.isNaN(expected[i])) {
                        assertThat(got[i]).as("%s'(%s)", act, xs[i]).isNaN();
                    } else {
                        assertThat((double) Math.abs(got[i] - expected[i])).as("%s'(%s) · %s", act, xs[i], dys[i])
                                .isLessThanOrEqualTo(perDy * Math.abs(dys[i]) + Math.ulp(expected[i]));
                    }
                }
            }
        }

        // in place: dx is dy
        Tensor x = arena.padded(xs, 5);
        Tensor dy = arena.padded(dys, 3);
        VECTOR.activationBackward(act, n, x.segment(), 5, dy.segment(), 3, dy.segment(), 3);
        assertThat(bits(region(dy, 3, n))).containsExactly(bits(got));
        assertUntouchedOutside(dy, 3, n);
    }

    /** GELU' against the exact {@code Φ(x) + x·φ(x)} in double (independent of Graft's erf): 4e-7 absolute. */
    @Test
    void geluDerivativeMatchesTheExactFormula() {
        int n = 4001;
        float[] xs = new float[n];
        for (int i = 0; i < n; i++) {
            xs[i] = -10f + 20f * i / (n - 1);
        }
        Tensor x = arena.copyOf(xs, n);
        Tensor dy = arena.copyOf(filled(n, 1f), n);
        Tensor dx = arena.copyOf(new float[n], n);
        for (Kernels k : List.of(SCALAR, VECTOR)) {
            k.activationBackward(Activation.GELU, n, x.segment(), 0, dy.segment(), 0, dx.segment(), 0);
            float[] got = dx.toFloatArray();
            for (int i = 0; i < n; i++) {
                double exact = 0.5 * (1 + Numerics.erf(xs[i] / Math.sqrt(2)))
                        + xs[i] * Math.exp(-0.5 * xs[i] * xs[i]) / Math.sqrt(2 * Math.PI);
                assertThat(Math.abs(got[i] - exact)).as("%s: GELU'(%s)", k.name(), xs[i]).isLessThan(4e-7);
            }
        }
    }

    // ----------------------------------------------------------------------------------- layerNormBackward

    @ParameterizedTest(name = "cols={0}")
    @MethodSource("cols")
    void layerNormBackward(int cols) {
        Random random = new Random(2000L + cols);
        int rows = 3;
        int n = rows * cols;
        for (float center : new float[] {0f, 100f}) {
            for (float eps : new float[] {1e-12f, 1e-5f}) {
                float[] xs = Numerics.uniform(random, n, center - 1, center + 1);
                float[] gs = Numerics.uniform(random, cols, 0.5f, 1.5f);
                float[] dys = Numerics.uniform(random, n, -1f, 1f);
                Tensor x = arena.padded(xs, 11);
                Tensor gamma = arena.padded(gs, 1);
                Tensor dy = arena.padded(dys, 4);
                Tensor s = arena.sentinels(n, 6);
                Tensor v = arena.sentinels(n, 6);
                SCALAR.layerNormBackward(rows, cols, x.segment(), 11, gamma.segment(), 1, eps, dy.segment(), 4, s.segment(), 6);
                VECTOR.layerNormBackward(rows, cols, x.segment(), 11, gamma.segment(), 1, eps, dy.segment(), 4, v.segment(), 6);
                float[] expected = region(s, 6, n);
                float[] got = region(v, 6, n);
                for (int r = 0; r < rows; r++) {
                    double scale = rstd(xs, r * cols, cols, eps) * maxAbsProduct(dys, r * cols, gs, cols);
                    double err = 0;
                    for (int j = 0; j < cols; j++) {
                        err = Math.max(err, Math.abs(got[r * cols + j] - expected[r * cols + j]));
                    }
                    assertThat(err).as("row %s around %s, eps %s: max |Δdx|", r, center, eps)
                            .isLessThanOrEqualTo(1e-5 * scale);
                }
                assertUntouchedOutside(v, 6, n);

                // in place: dx is dy
                VECTOR.layerNormBackward(rows, cols, x.segment(), 11, gamma.segment(), 1, eps, dy.segment(), 4, dy.segment(), 4);
                assertThat(bits(region(dy, 4, n))).containsExactly(bits(got));
                assertUntouchedOutside(dy, 4, n);
            }
        }
    }

    // ------------------------------------------------------------------------------------- softmaxBackward

    @ParameterizedTest(name = "cols={0}")
    @MethodSource("cols")
    void softmaxBackward(int cols) {
        Random random = new Random(3000L + cols);
        int rows = 4;
        int[] someKept = Numerics.mask(random, cols, 0.3);
        for (int[] extra : new int[][] {{0, 0}, {3, 5}, {17, 1}}) {
            int ldy = cols + extra[0];
            int lddy = cols + extra[1];
            float scale = 0.1f + 1.1f * random.nextFloat();
            // y: a real (masked) softmax, row stride ldy
            int ny = (rows - 1) * ldy + cols;
            Tensor y = arena.padded(Numerics.uniform(random, ny, -8f, 8f), 9);
            SCALAR.softmax(rows, cols, y.segment(), 9, ldy, scale, arena.paddedInts(someKept, 2).segment(), 2);
            int nd = (rows - 1) * lddy + cols;
            float[] dys = Numerics.uniform(random, nd, -1f, 1f);
            Tensor s = arena.padded(dys, 13);
            Tensor v = arena.padded(dys, 13);
            SCALAR.softmaxBackward(rows, cols, y.segment(), 9, ldy, scale, s.segment(), 13, lddy);
            VECTOR.softmaxBackward(rows, cols, y.segment(), 9, ldy, scale, v.segment(), 13, lddy);
            float[] expected = region(s, 13, nd);
            float[] got = region(v, 13, nd);
            String what = "ldy " + ldy + ", lddy " + lddy;
            assertThat(Numerics.maxAbsDiff(got, expected)).as(what).isLessThanOrEqualTo(1e-6);
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < lddy && r * lddy + j < nd; j++) {
                    int i = r * lddy + j;
                    if (j >= cols) {
                        assertThat(got[i]).as("%s: gap after row %s untouched", what, r).isEqualTo(dys[i]);
                    } else if (someKept[j] == 0) {
                        assertThat(Math.abs(got[i])).as("%s: masked column %s", what, j).isEqualTo(0f);
                    }
                }
            }
            assertUntouchedOutside(v, 13, nd);
        }
    }

    // --------------------------------------------------------------------------------------------- dropout

    @ParameterizedTest(name = "n={0}")
    @MethodSource("lengths")
    void dropoutIsTheReferenceBitForBit(int n) {
        Random random = new Random(4000L + n);
        float[] xs = Numerics.uniform(random, n, -3f, 3f);
        long[] starts = {0, 12_345, (1L << 32) - 5, -3, Long.MAX_VALUE - 40, 7L << 40};
        for (float rate : new float[] {0f, 0.1f, 0.5f, 0.9f}) {
            for (long index0 : starts) {
                long seed = random.nextLong();
                Tensor x = arena.padded(xs, 5);
                Tensor s = arena.sentinels(n, 2);
                Tensor v = arena.sentinels(n, 2);
                SCALAR.dropout(n, x.segment(), 5, rate, seed, index0, s.segment(), 2);
                VECTOR.dropout(n, x.segment(), 5, rate, seed, index0, v.segment(), 2);
                float[] got = region(v, 2, n);
                assertThat(bits(got)).as("rate %s, index0 %s", rate, index0).containsExactly(bits(region(s, 2, n)));
                float keepScale = 1f / (1f - rate);
                for (int i = 0; i < n; i++) {
                    boolean keep = ScalarBackward.keeps(seed, index0 + i, rate);
                    assertThat(got[i]).isEqualTo(keep ? xs[i] * keepScale : 0f);
                }
                assertUntouchedOutside(v, 2, n);

                VECTOR.dropout(n, x.segment(), 5, rate, seed, index0, x.segment(), 5); // in place
                assertThat(bits(region(x, 5, n))).containsExactly(bits(got));
                assertUntouchedOutside(x, 5, n);
            }
        }
    }

    /** The kept fraction is 1 − rate (binomial, 6 σ), and a second call on dy regenerates the forward's mask. */
    @Test
    void dropoutKeepsOneMinusRateAndTheBackwardRegeneratesTheMask() {
        int n = 200_003;
        long seed = 0x5EEDL;
        long index0 = 1L << 31;
        Tensor x = arena.copyOf(filled(n, 1f), n);
        Tensor dy = arena.copyOf(filled(n, 2f), n);
        Tensor y = arena.allocate(dev.graft.core.tensor.DType.F32, n);
        for (float rate : new float[] {0.1f, 0.5f}) {
            VECTOR.dropout(n, x.segment(), 0, rate, seed, index0, y.segment(), 0);
            VECTOR.dropout(n, dy.segment(), 0, rate, seed, index0, dy.segment(), 0);
            float[] out = y.toFloatArray();
            float[] grad = dy.toFloatArray();
            long kept = 0;
            for (int i = 0; i < n; i++) {
                if (out[i] != 0f) {
                    kept++;
                }
                assertThat(grad[i] != 0f).as("element %s", i).isEqualTo(out[i] != 0f);
            }
            double sigma = Math.sqrt(n * rate * (1.0 - rate));
            assertThat((double) kept).as("rate %s", rate).isCloseTo(n * (1.0 - rate), org.assertj.core.data.Offset.offset(6 * sigma));
            dy.copyFrom(filled(n, 2f));
        }
    }

    // ------------------------------------------------------------------------------------------ columnSums

    @ParameterizedTest(name = "cols={0}")
    @MethodSource("cols")
    void columnSums(int cols) {
        Random random = new Random(5000L + cols);
        for (int rows : new int[] {0, 1, 7, 64, 65, 200}) {
            int lda = cols + 3;
            int ldb = cols + 1;
            int na = rows == 0 ? 0 : (rows - 1) * lda + cols;
            int nb = rows == 0 ? 0 : (rows - 1) * ldb + cols;
            float[] as = Numerics.uniform(random, na, -2f, 2f);
            float[] bs = Numerics.uniform(random, nb, -1f, 1f);
            float[] before = Numerics.uniform(random, cols, -5f, 5f);
            Tensor a = arena.padded(as, 3);
            Tensor b = arena.padded(bs, 8);
            for (boolean withB : new boolean[] {false, true}) {
                for (boolean accumulate : new boolean[] {false, true}) {
                    Tensor s = arena.padded(before, 4);
                    Tensor v = arena.padded(before, 4);
                    MemorySegment bSeg = withB ? b.segment() : null;
                    SCALAR.columnSums(rows, cols, a.segment(), 3, lda, bSeg, 8, ldb, accumulate, s.segment(), 4);
                    VECTOR.columnSums(rows, cols, a.segment(), 3, lda, bSeg, 8, ldb, accumulate, v.segment(), 4);
                    float[] expected = region(s, 4, cols);
                    float[] got = region(v, 4, cols);
                    for (int j = 0; j < cols; j++) {
                        double magnitude = accumulate ? Math.abs(before[j]) : 0;
                        for (int r = 0; r < rows; r++) {
                            magnitude += Math.abs(as[r * lda + j] * (withB ? bs[r * ldb + j] : 1f));
                        }
                        assertThat((double) Math.abs(got[j] - expected[j]))
                                .as("rows %s, b %s, accumulate %s, column %s", rows, withB, accumulate, j)
                                .isLessThanOrEqualTo(1e-5 * magnitude);
                    }
                    assertUntouchedOutside(v, 4, cols);
                }
            }
        }
    }

    // ------------------------------------------------------------------------------- transpose, multiply

    @ParameterizedTest(name = "cols={0}")
    @MethodSource("cols")
    void transposeIsExact(int cols) {
        Random random = new Random(6000L + cols);
        for (int rows : new int[] {1, 7, 33, 100}) {
            int ldx = cols + 5;
            int ldOut = rows + 2;
            int nx = (rows - 1) * ldx + cols;
            int no = (cols - 1) * ldOut + rows;
            float[] xs = Numerics.uniform(random, nx, -1f, 1f);
            xs[0] = Float.intBitsToFloat(0x7FC0_1234); // a NaN with a payload: copied as bits
            Tensor x = arena.padded(xs, 6);
            Tensor s = arena.sentinels(no, 1);
            Tensor v = arena.sentinels(no, 1);
            SCALAR.transpose(rows, cols, x.segment(), 6, ldx, s.segment(), 1, ldOut);
            VECTOR.transpose(rows, cols, x.segment(), 6, ldx, v.segment(), 1, ldOut);
            float[] got = region(v, 1, no);
            assertThat(bits(got)).containsExactly(bits(region(s, 1, no)));
            for (int j = 0; j < cols; j++) {
                for (int i = 0; i < ldOut && j * ldOut + i < no; i++) {
                    float want = i < rows ? xs[i * ldx + j] : SENTINEL; // the stride's gap keeps its contents
                    assertThat(Float.floatToRawIntBits(got[j * ldOut + i])).isEqualTo(Float.floatToRawIntBits(want));
                }
            }
            assertUntouchedOutside(v, 1, no);
        }
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("lengths")
    void multiplyIsExact(int n) {
        Random random = new Random(7000L + n);
        float[] as = Numerics.uniform(random, n, -3f, 3f);
        float[] bs = Numerics.uniform(random, n, -3f, 3f);
        assertVectorEqualsScalarBitForBit(arena, Kernels::multiply, as, bs);
    }

    // ------------------------------------------------------------------------------------- argument checks

    @Test
    void bothImplementationsRejectBadArgumentsTheSameWay() {
        Tensor t = arena.allocate(dev.graft.core.tensor.DType.F32, 40);
        MemorySegment m = t.segment();
        MemorySegment readOnly = m.asReadOnly();
        for (Kernels k : List.of(SCALAR, VECTOR)) {
            assertThatThrownBy(() -> k.activationBackward(Activation.GELU, 41, m, 0, m, 0, m, 0))
                    .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("activationBackward: x");
            assertThatThrownBy(() -> k.activationBackward(null, 4, m, 0, m, 0, m, 0))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("act");
            assertThatThrownBy(() -> k.activationBackward(Activation.RELU, 4, m, 0, m, 0, readOnly, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("read-only");
            assertThatThrownBy(() -> k.layerNormBackward(3, 10, m, 11, m, 0, 1e-12f, m, 0, m, 0))
                    .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("layerNormBackward: x");
            assertThatThrownBy(() -> k.softmaxBackward(2, 10, m, 0, 9, 1f, m, 0, 10))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row stride of y");
            assertThatThrownBy(() -> k.dropout(4, m, 0, 1f, 1, 0, m, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rate");
            assertThatThrownBy(() -> k.dropout(4, m, 0, Float.NaN, 1, 0, m, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rate");
            assertThatThrownBy(() -> k.columnSums(5, 8, m, 0, 8, m, 1, 8, false, m, 0))
                    .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("columnSums: b");
            assertThatThrownBy(() -> k.transpose(5, 8, m, 0, 8, m, 0, 4))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row stride of out");
            assertThatThrownBy(() -> k.multiply(-1, m, 0, m, 0, m, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiply");
        }
    }

    // --------------------------------------------------------------------------------------------- helpers

    /** 1/sqrt(var + eps) of one row, in double. */
    private static double rstd(float[] x, int off, int n, float eps) {
        double mean = 0;
        for (int j = 0; j < n; j++) {
            mean += x[off + j];
        }
        mean /= n;
        double var = 0;
        for (int j = 0; j < n; j++) {
            var += (x[off + j] - mean) * (x[off + j] - mean);
        }
        return 1 / Math.sqrt(var / n + eps);
    }

    private static double maxAbsProduct(float[] a, int off, float[] b, int n) {
        double max = 0;
        for (int j = 0; j < n; j++) {
            max = Math.max(max, Math.abs((double) a[off + j] * b[j]));
        }
        return max;
    }
}
