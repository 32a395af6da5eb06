package dev.graft.core.kernels;

import static dev.graft.core.kernels.KernelTesting.SCALAR;
import static dev.graft.core.kernels.KernelTesting.kernels;
import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.core.kernels.KernelTesting.TestArena;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.testing.Numerics;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each backward kernel, scalar and vector, is the gradient of the forward it belongs to: compared with central
 * finite differences {@code (f(x + h) − f(x − h)) / ((x + h) − (x − h))} of the float forward kernel, with a loss
 * {@code Σ w·y} (random weights w, accumulated in double) so that one backward call checks every input at once.
 * The step h is a power of two; the tolerances cover float rounding of the forward divided by 2h plus the O(h²)
 * truncation:
 * <ul>
 *   <li>activationBackward vs {@link ScalarMath#apply} (GELU, TANH, RELU, NONE), h = 2⁻⁷, x in [-5, 5] (RELU: away
 *       from the kink): 1e-4 absolute;</li>
 *   <li>layerNormBackward vs {@link ScalarKernels#layerNorm}, h = 2⁻⁸: 1e-3 · max |dx| of the row;</li>
 *   <li>softmaxBackward vs {@link ScalarKernels#softmax} with a key mask, h = 2⁻⁸: 1e-3 · max |dz| of the row,
 *       and masked columns get exactly 0.</li>
 * </ul>
 */
class BackwardGradientTest {
    /** The forward kernels the finite differences run: the scalar reference. */
    private static final Kernels FORWARD = SCALAR;

    @RegisterExtension
    final TestArena arena = new TestArena("backward-gradient-test");

    static Stream<Arguments> activations() {
        List<Arguments> args = new ArrayList<>();
        for (String impl : new String[] {"scalar", "vector"}) {
            for (Activation act : Activation.values()) {
                args.add(Arguments.of(impl, act));
            }
        }
        return args.stream();
    }

    static Stream<Arguments> rowKernels() {
        List<Arguments> args = new ArrayList<>();
        for (String impl : new String[] {"scalar", "vector"}) {
            for (int cols : new int[] {1, 7, 33, 384}) {
                args.add(Arguments.of(impl, cols));
            }
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("activations")
    void activationBackwardIsTheDerivativeOfTheActivation(String impl, Activation act) {
        float h = 0x1p-7f;
        Random random = new Random(11L + act.ordinal());
        int n = 1001;
        float[] xs = Numerics.uniform(random, n, -5f, 5f);
        if (act == Activation.RELU) {
            for (int i = 0; i < n; i++) {
                if (Math.abs(xs[i]) < 2 * h) {
                    xs[i] = 0.5f; // finite differences straddling the kink measure neither side's slope
                }
            }
        }
        float[] ws = Numerics.uniform(random, n, -1f, 1f);
        Tensor x = arena.copyOf(xs, n);
        Tensor dx = arena.copyOf(ws, n);
        kernels(impl).activationBackward(act, n, x.segment(), 0, dx.segment(), 0, dx.segment(), 0);
        float[] got = dx.toFloatArray();
        double worst = 0;
        for (int i = 0; i < n; i++) {
            float up = xs[i] + h;
            float down = xs[i] - h;
            double slope = ((double) ScalarMath.apply(act, up) - ScalarMath.apply(act, down)) / ((double) up - down);
            double err = Math.abs(got[i] - ws[i] * slope);
            worst = Math.max(worst, err);
            assertThat(err).as("%s'(%s)", act, xs[i]).isLessThanOrEqualTo(1e-4);
        }
        System.out.printf("%s activationBackward %s: max |dx - w·FD| %.3g%n", impl, act, worst);
    }

    @ParameterizedTest(name = "{0} cols={1}")
    @MethodSource("rowKernels")
    void layerNormBackwardIsTheGradientOfLayerNorm(String impl, int cols) {
        float h = 0x1p-8f;
        float eps = 1e-5f;
        Random random = new Random(21L + cols);
        int rows = 2;
        int n = rows * cols;
        float[] xs = Numerics.uniform(random, n, -1f, 3f);
        float[] gs = Numerics.uniform(random, cols, 0.5f, 1.5f);
        float[] bs = Numerics.uniform(random, cols, -1f, 1f);
        float[] ws = Numerics.uniform(random, n, -1f, 1f);
        Tensor x = arena.copyOf(xs, n);
        Tensor gamma = arena.copyOf(gs, cols);
        Tensor beta = arena.copyOf(bs, cols);
        Tensor w = arena.copyOf(ws, n);
        Tensor dx = arena.allocate(DType.F32, n);
        Tensor y = arena.allocate(DType.F32, n);
        kernels(impl).layerNormBackward(rows, cols, x.segment(), 0, gamma.segment(), 0, eps, w.segment(), 0, dx.segment(), 0);
        float[] got = dx.toFloatArray();
        for (int r = 0; r < rows; r++) {
            double[] fd = new double[cols];
            for (int k = 0; k < cols; k++) {
                fd[k] = centralDifference(x, r * cols + k, h, () -> layerNormLoss(x, gamma, beta, eps, y, ws, rows, cols));
            }
            assertGradient(impl + " layerNormBackward row " + r, got, r * cols, fd);
        }
    }

    @ParameterizedTest(name = "{0} cols={1}")
    @MethodSource("rowKernels")
    void softmaxBackwardIsTheGradientOfMaskedSoftmax(String impl, int cols) {
        float h = 0x1p-8f;
        float scale = 0.7f;
        Random random = new Random(31L + cols);
        int rows = 3;
        int ld = cols + 2;
        int n = (rows - 1) * ld + cols;
        float[] zs = Numerics.uniform(random, n, -3f, 3f);
        int[] keep = Numerics.mask(random, cols, 0.25);
        keep[0] = 1; // at least one kept column
        float[] ws = Numerics.uniform(random, n, -1f, 1f);
        Tensor z = arena.copyOf(zs, n);
        Tensor mask = arena.copyOf(keep, cols);
        Tensor y = arena.copyOf(zs, n);
        FORWARD.softmax(rows, cols, y.segment(), 0, ld, scale, mask.segment(), 0);
        Tensor dz = arena.copyOf(ws, n);
        kernels(impl).softmaxBackward(rows, cols, y.segment(), 0, ld, scale, dz.segment(), 0, ld);
        float[] got = dz.toFloatArray();
        Tensor work = arena.copyOf(zs, n);
        for (int r = 0; r < rows; r++) {
            double[] fd = new double[cols];
            for (int k = 0; k < cols; k++) {
                fd[k] = centralDifference(z, r * ld + k, h, () -> softmaxLoss(z, work, mask, scale, ws, rows, cols, ld));
                if (keep[k] == 0) {
                    assertThat(Math.abs(got[r * ld + k])).as("masked column %s", k).isEqualTo(0f);
                }
            }
            assertGradient(impl + " softmaxBackward row " + r, got, r * ld, fd);
        }
    }

    /**
     * {@code (loss(x + h) − loss(x − h)) / ((x + h) − (x − h))} with element i of x moved by ±h in float (the
     * denominator is the step that float actually took), then restored.
     */
    private static double centralDifference(Tensor x, int i, float h, DoubleSupplier loss) {
        float xi = x.getFloat(i);
        float up = xi + h;
        float down = xi - h;
        x.setFloat(i, up);
        double lossUp = loss.getAsDouble();
        x.setFloat(i, down);
        double lossDown = loss.getAsDouble();
        x.setFloat(i, xi);
        return (lossUp - lossDown) / ((double) up - down);
    }

    /** |got − fd| ≤ 1e-3 · max(|fd|) over one row (plus 1e-6 for an all-zero gradient). */
    private static void assertGradient(String what, float[] got, int off, double[] fd) {
        double scale = 1e-6;
        for (double v : fd) {
            scale = Math.max(scale, Math.abs(v));
        }
        double worst = 0;
        for (int k = 0; k < fd.length; k++) {
            worst = Math.max(worst, Math.abs(got[off + k] - fd[k]) / scale);
        }
        System.out.printf("%s (%d cols): max |analytic - FD| / max |FD| %.3g%n", what, fd.length, worst);
        assertThat(worst).as(what).isLessThanOrEqualTo(1e-3);
    }

    /** Σ w·layerNorm(x), in double. */
    private static double layerNormLoss(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor y, float[] w,
                                        int rows, int cols) {
        FORWARD.layerNorm(rows, cols, x.segment(), 0, gamma.segment(), 0, beta.segment(), 0, eps, y.segment(), 0);
        double loss = 0;
        for (int i = 0; i < rows * cols; i++) {
            loss += (double) w[i] * y.getFloat(i);
        }
        return loss;
    }

    /** Σ w·softmax(z·scale) over the rows' columns, in double; {@code work} receives the softmax. */
    private static double softmaxLoss(Tensor z, Tensor work, Tensor mask, float scale, float[] w, int rows, int cols,
                                      int ld) {
        work.copyFrom(z);
        FORWARD.softmax(rows, cols, work.segment(), 0, ld, scale, mask.segment(), 0);
        double loss = 0;
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                loss += (double) w[r * ld + j] * work.getFloat(r * ld + j);
            }
        }
        return loss;
    }
}
