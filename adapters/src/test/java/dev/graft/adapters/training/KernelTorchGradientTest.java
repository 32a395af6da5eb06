package dev.graft.adapters.training;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.graft.core.kernels.Activation;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.kernels.ScalarBackward;
import dev.graft.core.kernels.ScalarKernels;
import dev.graft.core.parallel.ComputePool;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each backward kernel of {@link Kernels} (section "backward (training)"), the frozen-linear input gradient
 * {@code dX = dY·Wᵀ} through {@link Kernels#gemm} with the weight in either layout, the residual add, and one whole
 * masked attention head composed from the kernels the way {@code EncoderTape.attentionBackward} composes them,
 * against PyTorch's autograd (DJL's engine, float64) — on both implementations: {@link ScalarKernels} and
 * {@link Kernels#create(int)} (the Vector API kernels).
 *
 * <p>Per case: random float inputs at awkward sizes (rows 1, 5, 33; cols 7, 24, 384), the torch forward in double
 * on the same values (each float widened exactly), {@code L = Σ y ⊙ dy} for a random upstream dy, torch's input
 * gradient(s) against Graft's kernel output (float32). Every operand sits at a nonzero element offset inside a
 * buffer whose padding (the offset, row-stride gaps, one element past the end) is NaN, and outputs start as NaN: a
 * kernel that reads outside its operand or leaves an element unwritten fails the comparison. Masked softmax: some
 * columns masked in every row, one row whose mask keeps a single column. Dropout: Graft's mask
 * ({@link ScalarBackward#keeps}) is torch's constant multiplier, and its zeros must be exactly where Graft's output
 * is zero.
 *
 * <p>Error measure: {@code max_i |graft_i − torch_i| / max_i |torch_i|} per tensor (the largest |gradient| of that
 * tensor; the absolute error when torch's tensor is all zero, as for a one-key attention row). Tolerances:
 * <ul>
 *   <li>{@value #ELEMENTWISE}: activationBackward (GELU erf form, RELU, TANH, NONE), dropout, multiply, transpose,
 *       columnSums, softmaxBackward, the residual add, the frozen-linear dX (gemm, either layout), and the forward
 *       outputs checked along the way (dropout, transpose, softmax probabilities, x·W);</li>
 *   <li>{@value #NORMALISED}: layerNormBackward (and the layerNorm forward), and the attention head (probabilities,
 *       ctx, dq, dk, dv).</li>
 * </ul>
 * The tolerances have teeth: {@link #faultyFormulasAreCaught} runs each op family once with a slightly wrong
 * formula (GELU'/tanh'/ReLU' evaluated at x − 10⁻³; layerNorm's eps 10⁻² for 10⁻¹²; the softmax backward's scale
 * off by 0.1 %; the dropout backward regenerating another seed's mask; columnSums' second row chunk overwriting the
 * first; transpose as a reshape; multiply by the wrong factor; the weight's layout flag flipped; the residual's
 * identity path dropped; dk = dS·q without the transpose) and requires the comparison to report a mismatch above
 * the tolerance. Measured errors and control errors go to the test's output (surefire's {@code -output.txt}); when
 * written, the largest was 5.4e-7 (the Vector API gemm: x·W and dY·Wᵀ, sums up to 384 long), the other kernels on
 * their own at most 3.7e-7 (the vector columnSums, 64-row float blocks), the attention head 3.3e-7, and the smallest
 * control 6.3e-4 (GELU' at x − 10⁻³, 63 × its
 * tolerance).
 */
class KernelTorchGradientTest {
    static final double ELEMENTWISE = 1e-5;
    static final double NORMALISED = 1e-4;

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Every operand starts this many elements into its buffer (NaN before it). */
    private static final long OFF = 3;
    private static final int[][] SHAPES = {{1, 7}, {5, 24}, {33, 384}, {1, 384}, {33, 7}};
    private static final Object TORCH_LOCK = new Object();
    private static final Map<String, Double> MEASURED = new ConcurrentSkipListMap<>();
    private static final Map<String, Double> CONTROLS = new ConcurrentSkipListMap<>();

    private static Kernels scalar;
    private static Kernels vector;
    private TensorArena arena;

    /** The two implementations every check runs on. */
    enum Impl {
        SCALAR, VECTOR;

        Kernels kernels() {
            return this == SCALAR ? scalar : vector;
        }
    }

    /** One deliberately wrong formula per op family (NONE: the real one). */
    enum Fault {
        NONE, GELU_AT_SHIFTED_INPUT, TANH_AT_SHIFTED_INPUT, RELU_AT_SHIFTED_INPUT, LAYER_NORM_WRONG_EPS,
        SOFTMAX_SCALE_OFF, DROPOUT_OTHER_SEED, COLUMN_SUMS_OVERWRITE, TRANSPOSE_AS_RESHAPE, MULTIPLY_WRONG_FACTOR,
        LINEAR_WRONG_LAYOUT, RESIDUAL_PATH_DROPPED, ATTENTION_KEY_UNTRANSPOSED
    }

    /** Errors of one case by tensor name, and the tolerance they must meet. */
    record Check(String op, Map<String, Double> errors, double tolerance) {
        double worst() {
            return errors.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        }
    }

    @BeforeAll
    static void openKernels() {
        scalar = new ScalarKernels(new ComputePool(1));
        vector = Kernels.create(2);
    }

    @AfterAll
    static void closeKernelsAndReport() {
        scalar.close();
        vector.close();
        StringBuilder s = new StringBuilder("KernelTorchGradientTest: max relative error per op and implementation\n");
        MEASURED.forEach((k, v) -> s.append(String.format("  %-48s %.3e%n", k, v)));
        s.append("negative controls (must exceed the tolerance):\n");
        CONTROLS.forEach((k, v) -> s.append(String.format("  %-48s %.3e%n", k, v)));
        System.out.print(s);
    }

    @BeforeEach
    void openArena() {
        arena = TensorArena.root("kernel-torch-gradient-test");
    }

    @AfterEach
    void closeArena() {
        arena.close();
        assertThat(arena.allocatedBytes()).isZero();
    }

    // ------------------------------------------------------------------------------------------------ the tests

    @Test
    void bothImplementationsAreChecked() {
        assertThat(scalar.name()).isEqualTo("scalar");
        assertThat(vector.name()).as("Kernels.create(2) is the Vector API implementation").startsWith("vector");
    }

    @ParameterizedTest(name = "{0} {1} {2}x{3}")
    @MethodSource("activationCases")
    void activationBackwardMatchesTorch(Impl impl, Activation act, int rows, int cols) {
        accept(impl, activation(impl, act, rows, cols, Fault.NONE));
    }

    @ParameterizedTest(name = "{0} {1}x{2}")
    @MethodSource("shapeCases")
    void layerNormBackwardMatchesTorch(Impl impl, int rows, int cols) {
        accept(impl, layerNorm(impl, rows, cols, Fault.NONE));
    }

    @ParameterizedTest(name = "{0} {1}x{2}")
    @MethodSource("shapeCases")
    void maskedSoftmaxBackwardMatchesTorch(Impl impl, int rows, int cols) {
        accept(impl, softmax(impl, rows, cols, Fault.NONE));
    }

    @ParameterizedTest(name = "{0} rate {1} {2}x{3}")
    @MethodSource("dropoutCases")
    void dropoutMatchesTorchWithGraftsMask(Impl impl, float rate, int rows, int cols) {
        accept(impl, dropout(impl, rate, rows, cols, Fault.NONE));
    }

    @ParameterizedTest(name = "{0} {1}x{2}")
    @MethodSource("shapeCases")
    void columnSumsAreBiasAndScaleGradients(Impl impl, int rows, int cols) {
        accept(impl, columnSums(impl, rows, cols, Fault.NONE));
    }

    @ParameterizedTest(name = "{0} {1}x{2}")
    @MethodSource("shapeCases")
    void transposeMatchesTorch(Impl impl, int rows, int cols) {
        accept(impl, transpose(impl, rows, cols, Fault.NONE));
    }

    @ParameterizedTest(name = "{0} {1}x{2}")
    @MethodSource("shapeCases")
    void multiplyMatchesTorch(Impl impl, int rows, int cols) {
        accept(impl, multiply(impl, rows, cols, Fault.NONE));
    }

    @ParameterizedTest(name = "{0} outIn={1} rows {2} in {3} out {4}")
    @MethodSource("linearCases")
    void frozenLinearInputGradientMatchesTorch(Impl impl, boolean outIn, int rows, int in, int out) {
        accept(impl, linear(impl, outIn, rows, in, out, Fault.NONE));
    }

    @ParameterizedTest(name = "{0} rows {1} hidden {2} viaAdd={3}")
    @MethodSource("residualCases")
    void residualAddMatchesTorch(Impl impl, int rows, int hidden, boolean viaAdd) {
        accept(impl, residual(impl, rows, hidden, viaAdd, Fault.NONE));
    }

    @ParameterizedTest(name = "{0} tokens {1} head {2} dropout {3}")
    @MethodSource("headCases")
    void maskedAttentionHeadMatchesTorch(Impl impl, int tokens, int d, float rate) {
        accept(impl, attention(impl, tokens, d, rate, Fault.NONE));
    }

    /** Each op family with a slightly wrong formula: the comparison must report a mismatch above its tolerance. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Fault.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void faultyFormulasAreCaught(Fault fault) {
        for (Impl impl : Impl.values()) {
            Check c = switch (fault) {
                case GELU_AT_SHIFTED_INPUT -> activation(impl, Activation.GELU, 5, 24, fault);
                case TANH_AT_SHIFTED_INPUT -> activation(impl, Activation.TANH, 5, 24, fault);
                case RELU_AT_SHIFTED_INPUT -> activation(impl, Activation.RELU, 5, 24, fault);
                case LAYER_NORM_WRONG_EPS -> layerNorm(impl, 5, 24, fault);
                case SOFTMAX_SCALE_OFF -> softmax(impl, 5, 24, fault);
                case DROPOUT_OTHER_SEED -> dropout(impl, 0.1f, 5, 24, fault);
                case COLUMN_SUMS_OVERWRITE -> columnSums(impl, 5, 24, fault);
                case TRANSPOSE_AS_RESHAPE -> transpose(impl, 5, 24, fault);
                case MULTIPLY_WRONG_FACTOR -> multiply(impl, 5, 24, fault);
                case LINEAR_WRONG_LAYOUT -> linear(impl, false, 5, 24, 24, fault);
                case RESIDUAL_PATH_DROPPED -> residual(impl, 5, 24, false, fault);
                case ATTENTION_KEY_UNTRANSPOSED -> attention(impl, 5, 24, 0f, fault);
                case NONE -> throw new AssertionError();
            };
            CONTROLS.merge(fault + " / " + impl, c.worst(), Math::max);
            assertThat(c.worst()).as("%s on %s: %s", fault, impl, c.errors()).isGreaterThan(c.tolerance());
        }
    }

    private static void accept(Impl impl, Check c) {
        c.errors().forEach((name, e) -> MEASURED.merge(c.op() + " " + name + " / " + impl, e, Math::max));
        assertThat(c.worst()).as("%s on %s: %s", c.op(), impl, c.errors()).isLessThanOrEqualTo(c.tolerance());
    }

    // ------------------------------------------------------------------------------------------------ cases

    static Stream<Arguments> shapeCases() {
        List<Arguments> a = new ArrayList<>();
        for (Impl impl : Impl.values()) {
            for (int[] s : SHAPES) {
                a.add(Arguments.of(impl, s[0], s[1]));
            }
        }
        return a.stream();
    }

    static Stream<Arguments> activationCases() {
        List<Arguments> a = new ArrayList<>();
        for (Impl impl : Impl.values()) {
            for (Activation act : Activation.values()) {
                for (int[] s : SHAPES) {
                    a.add(Arguments.of(impl, act, s[0], s[1]));
                }
            }
        }
        return a.stream();
    }

    static Stream<Arguments> dropoutCases() {
        List<Arguments> a = new ArrayList<>();
        for (Impl impl : Impl.values()) {
            for (float rate : new float[] {0f, 0.1f, 0.5f}) {
                for (int[] s : SHAPES) {
                    a.add(Arguments.of(impl, rate, s[0], s[1]));
                }
            }
        }
        return a.stream();
    }

    static Stream<Arguments> linearCases() {
        int[][] sizes = {{1, 7, 24}, {5, 24, 7}, {33, 384, 24}, {5, 24, 384}, {33, 24, 24}};
        List<Arguments> a = new ArrayList<>();
        for (Impl impl : Impl.values()) {
            for (boolean outIn : new boolean[] {false, true}) {
                for (int[] s : sizes) {
                    a.add(Arguments.of(impl, outIn, s[0], s[1], s[2]));
                }
            }
        }
        return a.stream();
    }

    static Stream<Arguments> residualCases() {
        int[][] sizes = {{1, 7}, {5, 24}, {33, 384}};
        List<Arguments> a = new ArrayList<>();
        for (Impl impl : Impl.values()) {
            for (int[] s : sizes) {
                for (boolean viaAdd : new boolean[] {false, true}) {
                    a.add(Arguments.of(impl, s[0], s[1], viaAdd));
                }
            }
        }
        return a.stream();
    }

    static Stream<Arguments> headCases() {
        int[][] sizes = {{1, 7}, {5, 24}, {33, 7}, {33, 24}};
        List<Arguments> a = new ArrayList<>();
        for (Impl impl : Impl.values()) {
            for (int[] s : sizes) {
                for (float rate : new float[] {0f, 0.1f}) {
                    a.add(Arguments.of(impl, s[0], s[1], rate));
                }
            }
        }
        return a.stream();
    }

    // ------------------------------------------------------------------------------------------------ the ops

    /** dx = dy ⊙ act'(x); torch: y = act(x) (GELU as 0.5·x·(1 + erf(x/√2))). */
    private Check activation(Impl impl, Activation act, int rows, int cols, Fault fault) {
        int n = rows * cols;
        Random r = random("activation", act, rows, cols);
        float[] x = gaussian(r, n, 3.0);
        float[] specials = {0f, 5e-4f, -5e-4f, 8f, -8f, 25f, -25f};
        for (int i = 0; i < specials.length; i++) {
            x[i * (n / specials.length)] = specials[i];
        }
        float[] dy = gaussian(r, n, 1.0);
        boolean shifted = fault == Fault.GELU_AT_SHIFTED_INPUT || fault == Fault.TANH_AT_SHIFTED_INPUT
                || fault == Fault.RELU_AT_SHIFTED_INPUT;
        float[] xGraft = x.clone();
        if (shifted) {
            for (int i = 0; i < n; i++) {
                xGraft[i] -= 1e-3f;
            }
        }
        MemorySegment xs = vector(xGraft);
        MemorySegment dys = vector(dy);
        MemorySegment dx = nan(n);
        impl.kernels().activationBackward(act, n, xs, OFF, dys, OFF, dx, OFF);

        double[][] t = torch((m, gc) -> {
            NDArray xt = variable(m, x, n);
            NDArray y = torchActivation(act, xt);
            gc.backward(y.mul(constant(m, dy, n)).sum());
            return new double[][] {xt.getGradient().toDoubleArray()};
        });
        return check("activationBackward " + act, ELEMENTWISE, "dx", read(dx, 1, n, n), t[0]);
    }

    /** dx of y = (x − mean)·rstd·gamma + beta per row; torch computes the forward from the definition. */
    private Check layerNorm(Impl impl, int rows, int cols, Fault fault) {
        Random r = random("layerNorm", rows, cols);
        float[] x = gaussian(r, rows * cols, 2.0);
        for (int i = 0; i < x.length; i++) {
            x[i] += 3f * ((i / cols) % 3 - 1);     // row means −3, 0, 3
        }
        float[] gamma = gaussian(r, cols, 0.5);
        float[] beta = gaussian(r, cols, 0.5);
        for (int j = 0; j < cols; j++) {
            gamma[j] += 1f;
        }
        float[] dy = gaussian(r, rows * cols, 1.0);
        float eps = 1e-12f;
        Kernels k = impl.kernels();
        MemorySegment xs = matrix(x, rows, cols, cols);
        MemorySegment gs = vector(gamma);
        MemorySegment bs = vector(beta);
        MemorySegment dys = matrix(dy, rows, cols, cols);
        MemorySegment y = nan((long) rows * cols);
        MemorySegment dx = nan((long) rows * cols);
        k.layerNorm(rows, cols, xs, OFF, gs, OFF, bs, OFF, eps, y, OFF);
        k.layerNormBackward(rows, cols, xs, OFF, gs, OFF, fault == Fault.LAYER_NORM_WRONG_EPS ? 1e-2f : eps, dys, OFF,
                dx, OFF);

        double[][] t = torch((m, gc) -> {
            NDArray xt = variable(m, x, rows, cols);
            NDArray centred = xt.sub(xt.mean(new int[] {1}, true));
            NDArray variance = centred.square().mean(new int[] {1}, true);
            NDArray out = centred.div(variance.add((double) eps).sqrt())
                    .mul(constant(m, gamma, 1, cols)).add(constant(m, beta, 1, cols));
            gc.backward(out.mul(constant(m, dy, rows, cols)).sum());
            return new double[][] {out.toDoubleArray(), xt.getGradient().toDoubleArray()};
        });
        return check("layerNorm", NORMALISED, "y", read(y, rows, cols, cols), t[0],
                "dx", read(dx, rows, cols, cols), t[1]);
    }

    /**
     * y = softmax(z·scale) per row with a per-row mask (Graft's softmax kernel row by row), then dz by
     * softmaxBackward; torch: −∞ added to masked scores.
     */
    private Check softmax(Impl impl, int rows, int cols, Fault fault) {
        Random r = random("softmax", rows, cols);
        float[] z = gaussian(r, rows * cols, 3.0);
        float[] dy = gaussian(r, rows * cols, 1.0);
        int[] mask = rowMasks(r, rows, cols);
        float scale = (float) (1.0 / Math.sqrt(24));
        int ldy = cols + 2;
        int lddy = cols + 1;
        Kernels k = impl.kernels();
        MemorySegment ys = matrix(z, rows, cols, ldy);
        MemorySegment maskSeg = ints(mask);
        for (int row = 0; row < rows; row++) {
            k.softmax(1, cols, ys, OFF + (long) row * ldy, ldy, scale, maskSeg, OFF + (long) row * cols);
        }
        MemorySegment dz = matrix(dy, rows, cols, lddy);
        k.softmaxBackward(rows, cols, ys, OFF, ldy, fault == Fault.SOFTMAX_SCALE_OFF ? scale * 1.001f : scale,
                dz, OFF, lddy);

        double[][] t = torch((m, gc) -> {
            NDArray zt = variable(m, z, rows, cols);
            NDArray y = zt.mul((double) scale).add(m.create(maskBias(mask), new Shape(rows, cols))).softmax(1);
            gc.backward(y.mul(constant(m, dy, rows, cols)).sum());
            return new double[][] {y.toDoubleArray(), zt.getGradient().toDoubleArray()};
        });
        return check("softmaxBackward", ELEMENTWISE, "y", read(ys, rows, cols, ldy), t[0],
                "dz", read(dz, rows, cols, lddy), t[1]);
    }

    /**
     * y = dropout(x) and dx = dropout(dy) (in place, the same seed and indices: the mask regenerated); torch:
     * y = x ⊙ keep / (1 − rate) with keep = {@link ScalarBackward#keeps} as a constant.
     */
    private Check dropout(Impl impl, float rate, int rows, int cols, Fault fault) {
        int n = rows * cols;
        Random r = random("dropout", rate, rows, cols);
        float[] x = gaussian(r, n, 1.0);
        float[] dy = gaussian(r, n, 1.0);
        long seed = r.nextLong();
        long index0 = 1_000_003L + r.nextInt(1 << 20);
        double[] keep = new double[n];
        int kept = 0;
        for (int i = 0; i < n; i++) {
            boolean k = ScalarBackward.keeps(seed, index0 + i, rate);
            keep[i] = k ? 1 : 0;
            kept += k ? 1 : 0;
        }
        Kernels k = impl.kernels();
        MemorySegment xs = vector(x);
        MemorySegment y = nan(n);
        k.dropout(n, xs, OFF, rate, seed, index0, y, OFF);
        MemorySegment dx = vector(dy);
        k.dropout(n, dx, OFF, rate, fault == Fault.DROPOUT_OTHER_SEED ? seed + 1 : seed, index0, dx, OFF);

        float[] yGraft = read(y, 1, n, n);
        for (int i = 0; i < n; i++) {
            assertThat(yGraft[i] == 0f).as("element %d: zero exactly where keeps() drops it", i)
                    .isEqualTo(keep[i] == 0);
        }
        if (n > 1000) {
            double sigma = Math.sqrt(rate * (1.0 - rate) / n);
            assertThat((double) kept / n).as("kept fraction").isCloseTo(1.0 - rate, Offset.offset(5 * sigma + 1e-12));
        }
        double[][] t = torch((m, gc) -> {
            NDArray xt = variable(m, x, n);
            NDArray out = xt.mul(m.create(keep, new Shape(n))).div(1.0 - rate);
            gc.backward(out.mul(constant(m, dy, n)).sum());
            return new double[][] {out.toDoubleArray(), xt.getGradient().toDoubleArray()};
        });
        return check("dropout rate " + rate, ELEMENTWISE, "y", yGraft, t[0], "dx", read(dx, 1, n, n), t[1]);
    }

    /**
     * y = x ⊙ l + b (l, b per column): dl = Σ_r dy ⊙ x (in two row chunks, the second accumulated) and
     * db = Σ_r dy, with row strides wider than the rows.
     */
    private Check columnSums(Impl impl, int rows, int cols, Fault fault) {
        Random r = random("columnSums", rows, cols);
        float[] x = gaussian(r, rows * cols, 1.0);
        float[] l = gaussian(r, cols, 1.0);
        float[] b = gaussian(r, cols, 1.0);
        float[] dy = gaussian(r, rows * cols, 1.0);
        int lda = cols + 2;
        int ldb = cols + 1;
        Kernels k = impl.kernels();
        MemorySegment dys = matrix(dy, rows, cols, lda);
        MemorySegment xs = matrix(x, rows, cols, ldb);
        MemorySegment db = nan(cols);
        MemorySegment dl = nan(cols);
        k.columnSums(rows, cols, dys, OFF, lda, null, 0, 0, false, db, OFF);
        int first = (rows + 1) / 2;
        k.columnSums(first, cols, dys, OFF, lda, xs, OFF, ldb, false, dl, OFF);
        if (rows > first) {
            k.columnSums(rows - first, cols, dys, OFF + (long) first * lda, lda, xs, OFF + (long) first * ldb, ldb,
                    fault != Fault.COLUMN_SUMS_OVERWRITE, dl, OFF);
        }

        double[][] t = torch((m, gc) -> {
            NDArray xt = constant(m, x, rows, cols);
            NDArray lt = variable(m, l, 1, cols);
            NDArray bt = variable(m, b, 1, cols);
            NDArray y = xt.mul(lt).add(bt);
            gc.backward(y.mul(constant(m, dy, rows, cols)).sum());
            return new double[][] {lt.getGradient().toDoubleArray(), bt.getGradient().toDoubleArray()};
        });
        return check("columnSums", ELEMENTWISE, "dl", read(dl, 1, cols, cols), t[0],
                "db", read(db, 1, cols, cols), t[1]);
    }

    /** y = xᵀ (forward by the kernel) and dx = dyᵀ (the kernel on dy), with padded row strides. */
    private Check transpose(Impl impl, int rows, int cols, Fault fault) {
        Random r = random("transpose", rows, cols);
        float[] x = gaussian(r, rows * cols, 1.0);
        float[] dy = gaussian(r, rows * cols, 1.0);        // [cols, rows]
        Kernels k = impl.kernels();
        int ldx = cols + 1;
        int ldy = rows + 2;
        MemorySegment xs = matrix(x, rows, cols, ldx);
        MemorySegment y = nan((long) cols * ldy);
        k.transpose(rows, cols, xs, OFF, ldx, y, OFF, ldy);
        MemorySegment dys = matrix(dy, cols, rows, ldy);
        float[] dx;
        if (fault == Fault.TRANSPOSE_AS_RESHAPE) {
            dx = read(dys, cols, rows, ldy);
        } else {
            MemorySegment dxs = nan((long) rows * ldx);
            k.transpose(cols, rows, dys, OFF, ldy, dxs, OFF, ldx);
            dx = read(dxs, rows, cols, ldx);
        }

        double[][] t = torch((m, gc) -> {
            NDArray xt = variable(m, x, rows, cols);
            NDArray yt = xt.transpose();
            gc.backward(yt.mul(constant(m, dy, cols, rows)).sum());
            return new double[][] {yt.toDoubleArray(), xt.getGradient().toDoubleArray()};
        });
        return check("transpose", ELEMENTWISE, "y", read(y, cols, rows, ldy), t[0], "dx", dx, t[1]);
    }

    /** y = a ⊙ b: da = dy ⊙ b, db = dy ⊙ a (the kernel for each, the first in place on a copy of dy). */
    private Check multiply(Impl impl, int rows, int cols, Fault fault) {
        int n = rows * cols;
        Random r = random("multiply", rows, cols);
        float[] a = gaussian(r, n, 1.0);
        float[] b = gaussian(r, n, 1.0);
        float[] dy = gaussian(r, n, 1.0);
        Kernels k = impl.kernels();
        MemorySegment as = vector(a);
        MemorySegment bs = vector(b);
        MemorySegment da = vector(dy);
        MemorySegment db = nan(n);
        MemorySegment dys = vector(dy);
        k.multiply(n, da, OFF, fault == Fault.MULTIPLY_WRONG_FACTOR ? as : bs, OFF, da, OFF);
        k.multiply(n, dys, OFF, as, OFF, db, OFF);

        double[][] t = torch((m, gc) -> {
            NDArray at = variable(m, a, n);
            NDArray bt = variable(m, b, n);
            gc.backward(at.mul(bt).mul(constant(m, dy, n)).sum());
            return new double[][] {at.getGradient().toDoubleArray(), bt.getGradient().toDoubleArray()};
        });
        return check("multiply", ELEMENTWISE, "da", read(da, 1, n, n), t[0], "db", read(db, 1, n, n), t[1]);
    }

    /**
     * A frozen linear y = x·W (W [in, out] mathematically) stored as ONNX [in, out] (outIn false) or PyTorch
     * [out, in] (outIn true): y by gemm (bTransposed = outIn) and dX = dY·Wᵀ by gemm (bTransposed = !outIn), as
     * {@code EncoderTape.backProject} calls it.
     */
    private Check linear(Impl impl, boolean outIn, int rows, int in, int out, Fault fault) {
        Random r = random("linear", rows, in, out);
        float[] x = gaussian(r, rows * in, 1.0);
        float[] w = gaussian(r, in * out, 1.0 / Math.sqrt(in));    // [in, out]
        float[] dy = gaussian(r, rows * out, 1.0);
        float[] stored = outIn ? transposed(w, in, out) : w;
        int ld = outIn ? in : out;
        Kernels k = impl.kernels();
        MemorySegment xs = matrix(x, rows, in, in);
        MemorySegment ws = vector(stored);
        MemorySegment dys = matrix(dy, rows, out, out);
        MemorySegment y = nan((long) rows * out);
        MemorySegment dx = nan((long) rows * in);
        k.gemm(rows, out, in, xs, OFF, in, ws, OFF, ld, outIn, null, 0, Activation.NONE, false, y, OFF, out);
        boolean backTransposed = fault == Fault.LINEAR_WRONG_LAYOUT ? outIn : !outIn;
        k.gemm(rows, in, out, dys, OFF, out, ws, OFF, ld, backTransposed, null, 0, Activation.NONE, false, dx, OFF, in);

        double[][] t = torch((m, gc) -> {
            NDArray xt = variable(m, x, rows, in);
            NDArray yt = xt.matMul(constant(m, w, in, out));
            gc.backward(yt.mul(constant(m, dy, rows, out)).sum());
            return new double[][] {yt.toDoubleArray(), xt.getGradient().toDoubleArray()};
        });
        return check("linear outIn=" + outIn, ELEMENTWISE, "y", read(y, rows, out, out), t[0],
                "dx", read(dx, rows, in, in), t[1]);
    }

    /**
     * y = x + x·W: forward and backward either with gemm accumulating into a copy of the residual
     * (dx = dy, then dx += dy·Wᵀ) or with the add kernel (dx = dy + dy·Wᵀ).
     */
    private Check residual(Impl impl, int rows, int hidden, boolean viaAdd, Fault fault) {
        Random r = random("residual", rows, hidden);
        int n = rows * hidden;
        float[] x = gaussian(r, n, 1.0);
        float[] w = gaussian(r, hidden * hidden, 1.0 / Math.sqrt(hidden));    // [in, out]
        float[] dy = gaussian(r, n, 1.0);
        boolean dropped = fault == Fault.RESIDUAL_PATH_DROPPED;
        Kernels k = impl.kernels();
        MemorySegment xs = vector(x);
        MemorySegment ws = vector(w);
        MemorySegment dys = vector(dy);
        MemorySegment y;
        MemorySegment dx;
        if (viaAdd) {
            MemorySegment h = nan(n);
            k.gemm(rows, hidden, hidden, xs, OFF, hidden, ws, OFF, hidden, false, null, 0, Activation.NONE, false,
                    h, OFF, hidden);
            y = nan(n);
            k.add(n, xs, OFF, h, OFF, y, OFF);
            MemorySegment dh = nan(n);
            k.gemm(rows, hidden, hidden, dys, OFF, hidden, ws, OFF, hidden, true, null, 0, Activation.NONE, false,
                    dh, OFF, hidden);
            dx = dropped ? dh : nan(n);
            if (!dropped) {
                k.add(n, dys, OFF, dh, OFF, dx, OFF);
            }
        } else {
            y = vector(x);
            k.gemm(rows, hidden, hidden, xs, OFF, hidden, ws, OFF, hidden, false, null, 0, Activation.NONE, true,
                    y, OFF, hidden);
            dx = vector(dy);
            k.gemm(rows, hidden, hidden, dys, OFF, hidden, ws, OFF, hidden, true, null, 0, Activation.NONE, !dropped,
                    dx, OFF, hidden);
        }

        double[][] t = torch((m, gc) -> {
            NDArray xt = variable(m, x, rows, hidden);
            NDArray yt = xt.add(xt.matMul(constant(m, w, hidden, hidden)));
            gc.backward(yt.mul(constant(m, dy, rows, hidden)).sum());
            return new double[][] {yt.toDoubleArray(), xt.getGradient().toDoubleArray()};
        });
        return check("residual " + (viaAdd ? "add" : "gemm-accumulate"), ELEMENTWISE,
                "y", read(y, 1, n, n), t[0], "dx", read(dx, 1, n, n), t[1]);
    }

    /**
     * One attention head (head 1 of 2, sequence 1 of 2, in EncoderTape's layouts: q|k|v interleaved in
     * {@code qkv [T, 3·hidden]}, ctx {@code [T, hidden]}, the key mask at the sequence's offset): forward
     * P = softmax(q·kᵀ·scale, key mask), Pd = dropout(P), ctx = Pd·v, and the backward composed as
     * {@code EncoderTape.attentionBackward} composes it (gemm, transpose, dropout, softmaxBackward). Torch:
     * the same with −∞ on masked keys' scores and Graft's dropout mask as a constant; scale is Graft's float.
     */
    private Check attention(Impl impl, int tokens, int d, float rate, Fault fault) {
        Random r = random("attention", tokens, d, rate);
        int heads = 2;
        int head = 1;
        int hidden = heads * d;
        int ldQkv = 3 * hidden;
        float[] qkvAll = gaussian(r, tokens * ldQkv, 1.0);
        float[] dctxAll = gaussian(r, tokens * hidden, 1.0);
        float scale = (float) (1.0 / Math.sqrt(d));
        long seed = r.nextLong();
        int[] mask = new int[2 * tokens];
        Arrays.fill(mask, 0, tokens, 1);                            // sequence 0: all tokens
        for (int j = 0; j < tokens; j++) {                          // sequence 1: padding, and key 2 masked
            mask[tokens + j] = j < tokens - tokens / 3 && !(tokens > 5 && j == 2) ? 1 : 0;
        }
        int[] keyMask = Arrays.copyOfRange(mask, tokens, 2 * tokens);
        long square = (long) tokens * tokens;
        long qOff = OFF + (long) head * d;
        long kOff = OFF + hidden + (long) head * d;
        long vOff = OFF + 2L * hidden + (long) head * d;
        long ctxOff = OFF + (long) head * d;
        long p = OFF + square;                                      // this head's probabilities: the second block

        Kernels k = impl.kernels();
        MemorySegment qkv = matrix(qkvAll, tokens, ldQkv, ldQkv);
        MemorySegment dctx = matrix(dctxAll, tokens, hidden, hidden);
        MemorySegment maskSeg = ints(mask);
        MemorySegment probs = nan(2 * square);
        MemorySegment dropped = nan(square);
        MemorySegment ctx = nan((long) tokens * hidden);
        MemorySegment dqkv = nan((long) tokens * ldQkv);
        MemorySegment work = nan(2 * square);
        long dp = OFF;
        long tr = OFF + square;
        // forward: P = softmax(q·kᵀ·scale, mask); ctx = dropout(P)·v
        k.gemm(tokens, tokens, d, qkv, qOff, ldQkv, qkv, kOff, ldQkv, true, null, 0, Activation.NONE, false,
                probs, p, tokens);
        k.softmax(tokens, tokens, probs, p, tokens, scale, maskSeg, OFF + tokens);
        MemorySegment weights = probs;
        long wOff = p;
        if (rate > 0f) {
            k.dropout(square, probs, p, rate, seed, p, dropped, OFF);
            weights = dropped;
            wOff = OFF;
        }
        k.gemm(tokens, d, tokens, weights, wOff, tokens, qkv, vOff, ldQkv, false, null, 0, Activation.NONE, false,
                ctx, ctxOff, hidden);
        // backward: dv = Pdᵀ·dctx; dPd = dctx·vᵀ; dP = mask ⊙ dPd; dS = softmax backward; dq = dS·k; dk = dSᵀ·q
        if (rate > 0f) {
            k.dropout(square, probs, p, rate, seed, p, work, tr);
            k.transpose(tokens, tokens, work, tr, tokens, work, dp, tokens);
            MemorySegment.copy(work, dp * Float.BYTES, work, tr * Float.BYTES, square * Float.BYTES);
        } else {
            k.transpose(tokens, tokens, probs, p, tokens, work, tr, tokens);
        }
        k.gemm(tokens, d, tokens, work, tr, tokens, dctx, ctxOff, hidden, false, null, 0, Activation.NONE, false,
                dqkv, vOff, ldQkv);
        k.gemm(tokens, tokens, d, dctx, ctxOff, hidden, qkv, vOff, ldQkv, true, null, 0, Activation.NONE, false,
                work, dp, tokens);
        if (rate > 0f) {
            k.dropout(square, work, dp, rate, seed, p, work, dp);
        }
        k.softmaxBackward(tokens, tokens, probs, p, tokens, scale, work, dp, tokens);
        k.gemm(tokens, d, tokens, work, dp, tokens, qkv, kOff, ldQkv, false, null, 0, Activation.NONE, false,
                dqkv, qOff, ldQkv);
        if (fault == Fault.ATTENTION_KEY_UNTRANSPOSED) {
            k.gemm(tokens, d, tokens, work, dp, tokens, qkv, qOff, ldQkv, false, null, 0, Activation.NONE, false,
                    dqkv, kOff, ldQkv);
        } else {
            k.transpose(tokens, tokens, work, dp, tokens, work, tr, tokens);
            k.gemm(tokens, d, tokens, work, tr, tokens, qkv, qOff, ldQkv, false, null, 0, Activation.NONE, false,
                    dqkv, kOff, ldQkv);
        }

        float[] q = columns(qkvAll, tokens, ldQkv, head * d, d);
        float[] kk = columns(qkvAll, tokens, ldQkv, hidden + head * d, d);
        float[] v = columns(qkvAll, tokens, ldQkv, 2 * hidden + head * d, d);
        float[] dc = columns(dctxAll, tokens, hidden, head * d, d);
        double[] keep = new double[(int) square];
        for (int i = 0; i < square; i++) {
            keep[i] = rate == 0f || ScalarBackward.keeps(seed, p + i, rate) ? 1.0 / (1.0 - rate) : 0.0;
        }
        double[][] t = torch((m, gc) -> {
            NDArray qt = variable(m, q, tokens, d);
            NDArray kt = variable(m, kk, tokens, d);
            NDArray vt = variable(m, v, tokens, d);
            NDArray pt = qt.matMul(kt.transpose()).mul((double) scale)
                    .add(m.create(maskBias(keyMask), new Shape(1, tokens))).softmax(1);
            NDArray ct = pt.mul(m.create(keep, new Shape(tokens, tokens))).matMul(vt);
            gc.backward(ct.mul(constant(m, dc, tokens, d)).sum());
            return new double[][] {pt.toDoubleArray(), ct.toDoubleArray(), qt.getGradient().toDoubleArray(),
                    kt.getGradient().toDoubleArray(), vt.getGradient().toDoubleArray()};
        });
        Map<String, Double> e = new LinkedHashMap<>();
        e.put("P", error(readAt(probs, p, tokens, tokens, tokens), t[0]));
        e.put("ctx", error(readAt(ctx, ctxOff, tokens, d, hidden), t[1]));
        e.put("dq", error(readAt(dqkv, qOff, tokens, d, ldQkv), t[2]));
        e.put("dk", error(readAt(dqkv, kOff, tokens, d, ldQkv), t[3]));
        e.put("dv", error(readAt(dqkv, vOff, tokens, d, ldQkv), t[4]));
        return new Check("attention head" + (rate > 0f ? " dropout" : ""), e, NORMALISED);
    }

    // ------------------------------------------------------------------------------------------------ torch

    private interface TorchBody {
        double[][] run(NDManager m, GradientCollector gc);
    }

    /** Runs body in its own NDManager (closed after) inside a gradient collector, one at a time. */
    private static double[][] torch(TorchBody body) {
        synchronized (TORCH_LOCK) {
            TorchBertLayer.torchVersion();      // loads the engine with the reference's settings (offline, 1 thread)
            try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                 GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                return body.run(m, gc);
            }
        }
    }

    private static NDArray variable(NDManager m, float[] values, long... shape) {
        NDArray a = constant(m, values, shape);
        a.setRequiresGradient(true);
        return a;
    }

    private static NDArray constant(NDManager m, float[] values, long... shape) {
        return m.create(TorchBertLayer.doubles(values), new Shape(shape));
    }

    private static NDArray torchActivation(Activation act, NDArray x) {
        return switch (act) {
            case NONE -> x;
            case RELU -> x.getNDArrayInternal().relu();
            case GELU -> x.mul(0.5).mul(x.div(Math.sqrt(2)).erf().add(1.0));
            case TANH -> x.tanh();
        };
    }

    /** 0 where the mask keeps, −∞ where it excludes. */
    private static double[] maskBias(int[] mask) {
        double[] bias = new double[mask.length];
        for (int i = 0; i < mask.length; i++) {
            bias[i] = mask[i] == 0 ? Double.NEGATIVE_INFINITY : 0;
        }
        return bias;
    }

    // ------------------------------------------------------------------------------------------------ comparing

    /** max |graft − torch| over max |torch| (absolute when torch is all zero); NaN anywhere is infinitely wrong. */
    static double error(float[] graft, double[] torch) {
        assertThat(graft).hasSameSizeAs(torch);
        double scale = 0;
        double worst = 0;
        for (int i = 0; i < torch.length; i++) {
            scale = Math.max(scale, Math.abs(torch[i]));
            double d = Math.abs(graft[i] - torch[i]);
            if (Double.isNaN(d)) {
                return Double.POSITIVE_INFINITY;
            }
            worst = Math.max(worst, d);
        }
        return scale == 0 ? worst : worst / scale;
    }

    /** Errors of name/graft/torch triples. */
    private static Check check(String op, double tolerance, Object... triples) {
        Map<String, Double> e = new LinkedHashMap<>();
        for (int i = 0; i < triples.length; i += 3) {
            e.put((String) triples[i], error((float[]) triples[i + 1], (double[]) triples[i + 2]));
        }
        return new Check(op, e, tolerance);
    }

    // ------------------------------------------------------------------------------------------------ data

    /** A generator seeded from the case's description (a String hash: the same data every run and for both impls). */
    private static Random random(Object... parts) {
        return new Random(Arrays.toString(parts).hashCode());
    }

    private static float[] gaussian(Random r, int n, double sd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (sd * r.nextGaussian());
        }
        return v;
    }

    /**
     * A [rows, cols] softmax mask: columns 2, 7, 12, … and the last masked in every row; row 1 (when there are
     * two or more rows) keeps column 0 only; row 3 (when present) drops each remaining column with probability ½,
     * keeping column 0.
     */
    private static int[] rowMasks(Random r, int rows, int cols) {
        int[] mask = new int[rows * cols];
        for (int row = 0; row < rows; row++) {
            for (int j = 0; j < cols; j++) {
                boolean keep = j % 5 != 2 && j != cols - 1;
                if (row == 1) {
                    keep = j == 0;
                } else if (row == 3 && j > 0) {
                    keep &= r.nextBoolean();
                }
                mask[row * cols + j] = keep ? 1 : 0;
            }
        }
        return mask;
    }

    private static float[] transposed(float[] w, int rows, int cols) {
        float[] t = new float[w.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = w[i * cols + j];
            }
        }
        return t;
    }

    /** Columns [from, from + width) of a [rows, ld] matrix. */
    private static float[] columns(float[] a, int rows, int ld, int from, int width) {
        float[] c = new float[rows * width];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(a, i * ld + from, c, i * width, width);
        }
        return c;
    }

    // ------------------------------------------------------------------------------------------------ memory

    /** {@code OFF + count + 1} floats, all NaN. */
    private MemorySegment nan(long count) {
        MemorySegment s = arena.allocateUninitialized(DType.F32, OFF + count + 1).segment();
        for (long i = 0; i < OFF + count + 1; i++) {
            s.setAtIndex(F32, i, Float.NaN);
        }
        return s;
    }

    /** values [rows, cols] at OFF with row stride ld, NaN everywhere else. */
    private MemorySegment matrix(float[] values, int rows, int cols, int ld) {
        MemorySegment s = nan((long) rows * ld);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                s.setAtIndex(F32, OFF + (long) i * ld + j, values[i * cols + j]);
            }
        }
        return s;
    }

    private MemorySegment vector(float[] values) {
        return matrix(values, 1, values.length, values.length);
    }

    /** An i32 mask at OFF (ones before it). */
    private MemorySegment ints(int[] values) {
        int[] padded = new int[(int) OFF + values.length];
        Arrays.fill(padded, 0, (int) OFF, 1);
        System.arraycopy(values, 0, padded, (int) OFF, values.length);
        return arena.copyOf(padded, padded.length).segment();
    }

    private static float[] read(MemorySegment s, int rows, int cols, int ld) {
        return readAt(s, OFF, rows, cols, ld);
    }

    private static float[] readAt(MemorySegment s, long off, int rows, int cols, int ld) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                v[i * cols + j] = s.getAtIndex(F32, off + (long) i * ld + j);
            }
        }
        return v;
    }
}
