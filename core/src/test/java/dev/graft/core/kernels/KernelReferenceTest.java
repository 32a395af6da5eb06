package dev.graft.core.kernels;

import static dev.graft.core.kernels.KernelTesting.filled;
import static dev.graft.core.kernels.KernelTesting.kernels;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.graft.core.kernels.KernelTesting.TestArena;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.testing.Numerics;
import java.util.Random;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The contract every {@link Kernels} implementation must meet, checked against hand-worked values and against
 * independent double-precision formulas written out in this test (not the scalar kernels' code).
 * Tolerances: layerNorm and softmax 1e-5 relative; GELU 1e-6 absolute (one float ulp beyond |x| = 8);
 * meanPool and l2Normalize 1e-6 absolute on inputs in [-1, 1]; add exact.
 */
class KernelReferenceTest {
    @RegisterExtension
    final TestArena arena = new TestArena("kernel-reference-test");

    // ------------------------------------------------------------------------------------------ hand-checked

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "vector"})
    void softmaxOfZeroAndLn2IsOneThirdTwoThirds(String impl) {
        Tensor x = arena.copyOf(new float[] {0f, (float) Math.log(2)}, 2);
        kernels(impl).softmax(1, 2, x.segment(), 0, 2, 1f, null, 0);
        assertThat(x.getFloat(0)).isCloseTo(1f / 3, within(1e-7f));
        assertThat(x.getFloat(1)).isCloseTo(2f / 3, within(1e-7f));
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "vector"})
    void softmaxMaskedColumnsAreExactlyZeroAndFullyMaskedRowsAreZero(String impl) {
        // two rows [ln 1, ln 2, ln 3, 99] with the last column masked → [1/6, 2/6, 3/6, 0]
        float[] row = {0f, (float) Math.log(2), (float) Math.log(3), 99f};
        Tensor x = arena.copyOf(concat(row, row), 8);
        Tensor mask = arena.copyOf(new int[] {1, 1, 1, 0}, 4);
        kernels(impl).softmax(2, 4, x.segment(), 0, 4, 1f, mask.segment(), 0);
        for (int r = 0; r < 2; r++) {
            assertThat(x.getFloat(r * 4)).isCloseTo(1f / 6, within(1e-7f));
            assertThat(x.getFloat(r * 4 + 1)).isCloseTo(2f / 6, within(1e-7f));
            assertThat(x.getFloat(r * 4 + 2)).isCloseTo(3f / 6, within(1e-7f));
            assertThat(x.getFloat(r * 4 + 3)).isEqualTo(0f);
        }
        Tensor none = arena.copyOf(new int[] {0, 0, 0, 0}, 4);
        Tensor y = arena.copyOf(row, 4);
        kernels(impl).softmax(1, 4, y.segment(), 0, 4, 1f, none.segment(), 0);
        assertThat(y.toFloatArray()).containsExactly(0f, 0f, 0f, 0f);
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "vector"})
    void layerNormOfAKnownRow(String impl) {
        // [1, 2, 3, 4]: mean 2.5, biased variance 1.25 → (x - 2.5)/√1.25 = ±0.4472136, ±1.3416408; then ·γ + β
        Tensor x = arena.copyOf(new float[] {1, 2, 3, 4}, 4);
        Tensor gamma = arena.copyOf(new float[] {1, 2, 1, 0.5f}, 4);
        Tensor beta = arena.copyOf(new float[] {0, 1, -1, 0}, 4);
        Tensor out = arena.allocate(DType.F32, 4);
        kernels(impl).layerNorm(1, 4, x.segment(), 0, gamma.segment(), 0, beta.segment(), 0, 0f, out.segment(), 0);
        assertThat(out.toFloatArray()).containsExactly(
                new float[] {-1.3416408f, 2 * -0.4472136f + 1, 0.4472136f - 1, 0.5f * 1.3416408f}, within(1e-6f));
        // eps sits inside the square root: var 1.25 + eps 0.75 = 2
        kernels(impl).layerNorm(1, 4, x.segment(), 0, gamma.segment(), 0, beta.segment(), 0, 0.75f, out.segment(), 0);
        assertThat(out.getFloat(0)).isCloseTo((float) (-1.5 / Math.sqrt(2)), within(1e-6f));
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "vector"})
    void layerNormOfAConstantRowIsBeta(String impl) {
        Tensor x = arena.copyOf(filled(19, 7.25f), 19);
        Tensor gamma = arena.copyOf(filled(19, 3f), 19);
        Tensor beta = arena.copyOf(Numerics.uniform(new Random(1), 19, -1, 1), 19);
        Tensor out = arena.allocate(DType.F32, 19);
        kernels(impl).layerNorm(1, 19, x.segment(), 0, gamma.segment(), 0, beta.segment(), 0, 1e-12f, out.segment(), 0);
        assertThat(out.toFloatArray()).containsExactly(beta.toFloatArray());
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "vector"})
    void geluKnownValues(String impl) {
        Tensor x = arena.copyOf(new float[] {1f, -1f, 0f, 3f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN}, 7);
        Tensor out = arena.allocate(DType.F32, 7);
        kernels(impl).gelu(7, x.segment(), 0, out.segment(), 0);
        assertThat(out.getFloat(0)).isCloseTo(0.8413447f, within(1e-6f));
        assertThat(out.getFloat(1)).isCloseTo(-0.1586553f, within(1e-6f));
        assertThat(out.getFloat(2)).isZero();
        assertThat(out.getFloat(3)).isCloseTo(2.9959502f, within(1e-6f));
        assertThat(out.getFloat(4)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(out.getFloat(5)).isZero();
        assertThat(out.getFloat(6)).isNaN();
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "vector"})
    void meanPoolOfKnownSequences(String impl) {
        // batch 3 × tokens 2 × hidden 2: [1,2],[3,4] mask [1,0] → [1,2]; [5,6],[7,8] mask [1,1] → [6,7]; mask [0,0] → 0
        Tensor x = arena.copyOf(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 9}, 12);
        Tensor mask = arena.copyOf(new int[] {1, 0, 1, 1, 0, 0}, 6);
        Tensor out = arena.copyOf(filled(6, 42f), 6);
        kernels(impl).meanPool(3, 2, 2, x.segment(), 0, mask.segment(), 0, out.segment(), 0);
        assertThat(out.toFloatArray()).containsExactly(1, 2, 6, 7, 0, 0);
        kernels(impl).meanPool(1, 2, 2, x.segment(), 0, null, 0, out.segment(), 0); // null mask: all tokens
        assertThat(out.getFloat(0)).isEqualTo(2f);
        assertThat(out.getFloat(1)).isEqualTo(3f);
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "vector"})
    void l2NormalizeKnownRows(String impl) {
        // [3, 4] → [0.6, 0.8]; a zero row stays zero; [1e-25, 0] and [3e20, 4e20] (float squares under/overflow) still normalise
        Tensor x = arena.copyOf(new float[] {3, 4, 0, 0, 1e-25f, 0, 3e20f, 4e20f}, 8);
        Tensor out = arena.allocate(DType.F32, 8);
        kernels(impl).l2Normalize(4, 2, x.segment(), 0, out.segment(), 0);
        assertThat(out.toFloatArray()).containsExactly(new float[] {0.6f, 0.8f, 0, 0, 1, 0, 0.6f, 0.8f}, within(1e-7f));
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "vector"})
    void badArgumentsFailWithTheKernelAndArgumentNamed(String impl) {
        Tensor x = arena.allocate(DType.F32, 10);
        Tensor ro = x.asReadOnly();
        Kernels k = kernels(impl);
        assertThatThrownBy(() -> k.gelu(11, x.segment(), 0, x.segment(), 0))
                .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("gelu").hasMessageContaining("x");
        assertThatThrownBy(() -> k.add(4, x.segment(), 0, x.segment(), 7, x.segment(), 0))
                .hasMessageContaining("add: b needs 4 f32 elements at element offset 7");
        assertThatThrownBy(() -> k.softmax(2, 5, x.segment(), 0, 4, 1f, null, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row stride");
        assertThatThrownBy(() -> k.l2Normalize(1, 4, x.segment(), 0, ro.segment(), 0))
                .hasMessageContaining("read-only");
        assertThatThrownBy(() -> k.layerNorm(-1, 4, x.segment(), 0, x.segment(), 0, x.segment(), 0, 1e-5f, x.segment(), 0))
                .hasMessageContaining("rows must be >= 0");
        assertThatThrownBy(() -> k.meanPool(2, 2, 2, x.segment(), 0, x.segment(), 7, x.segment(), 0))
                .hasMessageContaining("meanPool: mask needs 4 i32");
    }

    // ---------------------------------------------------------------------- against double-precision formulas

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "vector"})
    void layerNormMatchesTheDoubleFormula(String impl) {
        Random random = new Random(11);
        int rows = 6;
        int cols = 384;
        for (float center : new float[] {0f, 100f, -3000f}) {
            float[] xs = Numerics.uniform(random, rows * cols, center - 1, center + 1);
            float[] g = Numerics.uniform(random, cols, 0.5f, 1.5f);
            float[] b = Numerics.uniform(random, cols, -1f, 1f);
            double[] expected = new double[rows * cols];
            for (int r = 0; r < rows; r++) {
                double mean = 0;
                for (int j = 0; j < cols; j++) {
                    mean += xs[r * cols + j];
                }
                mean /= cols;
                double var = 0;
                for (int j = 0; j < cols; j++) {
                    var += (xs[r * cols + j] - mean) * (xs[r * cols + j] - mean);
                }
                var /= cols;
                for (int j = 0; j < cols; j++) {
                    expected[r * cols + j] = (xs[r * cols + j] - mean) / Math.sqrt(var + 1e-12) * g[j] + b[j];
                }
            }
            Tensor x = arena.copyOf(xs, rows * cols);
            Tensor out = arena.allocate(DType.F32, rows * cols);
            kernels(impl).layerNorm(rows, cols, x.segment(), 0, arena.copyOf(g, cols).segment(), 0,
                    arena.copyOf(b, cols).segment(), 0, 1e-12f, out.segment(), 0);
            assertThat(Numerics.maxRelDiff(out.toFloatArray(), expected, 1.0)).as("rows around %s", center).isLessThan(1e-5);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "vector"})
    void layerNormKeepsFloatAccuracyWhenTheMeanDwarfsTheSpread(String impl) {
        // Rows of 1000 ± 1: a float mean is off by up to half an ulp of 1000 (3e-5), which would be an error of 5e-5
        // after dividing by σ ≈ 0.58; the kernels must still be within 1e-6 of the exact result (outputs ≤ 1.8).
        Random random = new Random(16);
        int rows = 32;
        int cols = 383;
        float[] xs = Numerics.uniform(random, rows * cols, 999f, 1001f);
        double worst = 0;
        Tensor out = arena.allocate(DType.F32, rows * cols);
        kernels(impl).layerNorm(rows, cols, arena.copyOf(xs, xs.length).segment(), 0, arena.copyOf(filled(cols, 1f), cols).segment(), 0,
                arena.allocate(DType.F32, cols).segment(), 0, 0f, out.segment(), 0);
        for (int r = 0; r < rows; r++) {
            double mean = 0;
            for (int j = 0; j < cols; j++) {
                mean += xs[r * cols + j];
            }
            mean /= cols;
            double var = 0;
            for (int j = 0; j < cols; j++) {
                var += (xs[r * cols + j] - mean) * (xs[r * cols + j] - mean);
            }
            double sd = Math.sqrt(var / cols);
            for (int j = 0; j < cols; j++) {
                worst = Math.max(worst, Math.abs(out.getFloat(r * cols + j) - (xs[r * cols + j] - mean) / sd));
            }
        }
        assertThat(worst).isLessThan(1e-6);
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "vector"})
    void softmaxMatchesTheDoubleFormula(String impl) {
        Random random = new Random(12);
        int rows = 5;
        int cols = 203;
        int ld = 211;
        float scale = 0.37f;
        float[] xs = Numerics.uniform(random, rows * ld, -20f, 20f);
        int[] keep = Numerics.mask(random, cols, 0.3);
        double[] expected = new double[rows * ld];
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                if (keep[j] == 1) {
                    max = Math.max(max, (double) xs[r * ld + j] * scale);
                }
            }
            double sum = 0;
            for (int j = 0; j < cols; j++) {
                sum += keep[j] == 1 ? Math.exp(xs[r * ld + j] * (double) scale - max) : 0;
            }
            for (int j = 0; j < ld; j++) {
                expected[r * ld + j] = j >= cols ? xs[r * ld + j] // the gap between rows is untouched
                        : keep[j] == 1 ? Math.exp(xs[r * ld + j] * (double) scale - max) / sum : 0;
            }
        }
        Tensor x = arena.copyOf(xs, rows * ld);
        kernels(impl).softmax(rows, cols, x.segment(), 0, ld, scale, arena.copyOf(keep, cols).segment(), 0);
        float[] got = x.toFloatArray();
        assertThat(Numerics.maxRelDiff(got, expected, 1e-6)).isLessThan(1e-5);
        for (int r = 0; r < rows; r++) {
            double rowSum = 0;
            for (int j = 0; j < cols; j++) {
                rowSum += got[r * ld + j];
                if (keep[j] == 0) {
                    assertThat(got[r * ld + j]).isEqualTo(0f);
                }
            }
            assertThat(rowSum).isCloseTo(1.0, within(1e-5));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "vector"})
    void geluMatchesTheExactErfForm(String impl) {
        int n = 400_001;
        float[] xs = new float[n];
        for (int i = 0; i < n; i++) {
            xs[i] = (i - 200_000) * 5e-5f; // [-10, 10]
        }
        Tensor x = arena.copyOf(xs, n);
        Tensor out = arena.allocate(DType.F32, n);
        kernels(impl).gelu(n, x.segment(), 0, out.segment(), 0);
        float[] got = out.toFloatArray();
        double worst = 0;
        for (int i = 0; i < n; i++) {
            double exact = Numerics.gelu(xs[i]);
            worst = Math.max(worst, Math.abs(got[i] - exact) / Math.max(1e-6, Math.ulp((float) exact)));
        }
        assertThat(worst).as("error in units of max(1e-6, ulp)").isLessThanOrEqualTo(1.0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "vector"})
    void addIsTheFloatSum(String impl) {
        Random random = new Random(13);
        float[] a = Numerics.uniform(random, 1001, -1e3f, 1e3f);
        float[] b = Numerics.uniform(random, 1001, -1f, 1f);
        Tensor out = arena.allocate(DType.F32, 1001);
        kernels(impl).add(1001, arena.copyOf(a, 1001).segment(), 0, arena.copyOf(b, 1001).segment(), 0, out.segment(), 0);
        float[] got = out.toFloatArray();
        for (int i = 0; i < a.length; i++) {
            assertThat(got[i]).isEqualTo(a[i] + b[i]);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "vector"})
    void meanPoolMatchesTheDoubleFormula(String impl) {
        Random random = new Random(14);
        int batch = 4;
        int tokens = 37;
        int hidden = 389;
        float[] xs = Numerics.uniform(random, batch * tokens * hidden, -1f, 1f);
        int[] mask = Numerics.mask(random, batch * tokens, 0.4);
        double[] expected = new double[batch * hidden];
        for (int b = 0; b < batch; b++) {
            int count = 0;
            for (int t = 0; t < tokens; t++) {
                count += mask[b * tokens + t];
            }
            for (int h = 0; h < hidden; h++) {
                double sum = 0;
                for (int t = 0; t < tokens; t++) {
                    sum += mask[b * tokens + t] * (double) xs[(b * tokens + t) * hidden + h];
                }
                expected[b * hidden + h] = sum / count;
            }
        }
        Tensor out = arena.allocate(DType.F32, batch * hidden);
        kernels(impl).meanPool(batch, tokens, hidden, arena.copyOf(xs, xs.length).segment(), 0,
                arena.copyOf(mask, mask.length).segment(), 0, out.segment(), 0);
        assertThat(Numerics.maxRelDiff(out.toFloatArray(), expected, 1.0)).isLessThan(1e-6);
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "vector"})
    void l2NormalizeMatchesTheDoubleFormula(String impl) {
        Random random = new Random(15);
        int rows = 7;
        int cols = 1000;
        float[] xs = Numerics.uniform(random, rows * cols, -1f, 1f);
        double[] expected = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            double norm = 0;
            for (int j = 0; j < cols; j++) {
                norm += (double) xs[r * cols + j] * xs[r * cols + j];
            }
            norm = Math.sqrt(norm);
            for (int j = 0; j < cols; j++) {
                expected[r * cols + j] = xs[r * cols + j] / norm;
            }
        }
        Tensor out = arena.allocate(DType.F32, rows * cols);
        kernels(impl).l2Normalize(rows, cols, arena.copyOf(xs, xs.length).segment(), 0, out.segment(), 0);
        assertThat(Numerics.maxRelDiff(out.toFloatArray(), expected, 1.0)).isLessThan(1e-6);
    }

    private static float[] concat(float[] a, float[] b) {
        float[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
