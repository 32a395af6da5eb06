package dev.graft.adapters.nn;

import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * A fully connected layer {@code y = x · Wᵀ + b}, with {@code W} stored {@code [out, in]} as in PyTorch's
 * {@code nn.Linear} (so {@code <name>.weight} and {@code <name>.bias} are exactly what a saved head holds).
 *
 * <p>Every inner loop is an "axpy" over contiguous memory with no reduction, and indexes all its arrays with
 * the same loop variable from 0: C2 (JDK 25) only auto-vectorises such loops — with different offsets into
 * possibly aliasing arrays it falls back to scalar code, about 6× slower. So the kernels work on per-call row
 * copies (the transpose of {@code W} for the forward pass, the input rows and {@code W}'s rows for the backward
 * pass; copies cost {@code in × out}, small next to {@code rows × in × out}) and process four rows at a time to
 * reuse each loaded weight row. Every output value is still accumulated in one fixed order, so the results are
 * deterministic and do not depend on the blocking.
 */
public final class Linear implements Layer {
    private final String name;
    private final int in;
    private final int out;
    private final Parameter weight;
    private final Parameter bias;

    /**
     * A layer initialised like PyTorch's {@code nn.Linear}: weight and bias uniform in
     * {@code ±1/sqrt(in)} (Kaiming-uniform with {@code a = sqrt(5)}), drawn from {@code init} in that order.
     */
    public Linear(String name, int in, int out, Random init) {
        this(name, in, out);
        Objects.requireNonNull(init, "init");
        float bound = (float) (1.0 / Math.sqrt(in));
        fillUniform(weight.values(), bound, init);
        fillUniform(bias.values(), bound, init);
    }

    private Linear(String name, int in, int out) {
        this.name = Objects.requireNonNull(name, "name");
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException("linear " + name + ": in and out must be positive, got in=" + in + " out=" + out);
        }
        this.in = in;
        this.out = out;
        this.weight = new Parameter(name + ".weight", new int[] {out, in}, true);
        this.bias = new Parameter(name + ".bias", new int[] {out}, false);
    }

    /** A layer whose weight and bias start at zero (a common choice for a final classifier on good features). */
    public static Linear zeroInit(String name, int in, int out) {
        return new Linear(name, in, out);
    }

    private static void fillUniform(float[] values, float bound, Random random) {
        for (int i = 0; i < values.length; i++) {
            values[i] = (random.nextFloat() * 2f - 1f) * bound;
        }
    }

    public String name() {
        return name;
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }

    @Override
    public int inputSize() {
        return in;
    }

    @Override
    public int outputSize() {
        return out;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(weight, bias);
    }

    @Override
    public void apply(float[] input, int rows, float[] output) {
        Shapes.check(name, input, rows, in, output, out);
        affine(input, rows, output);
    }

    @Override
    public Tape forward(float[] input, int rows, boolean training, long seed) {
        Shapes.check(name, input, rows, in, null, out);
        float[] output = new float[rows * out];
        affine(input, rows, output);
        return new LinearTape(output, rows, input);
    }

    private void affine(float[] x, int rows, float[] y) {
        if (out < 64 && rows >= 8) {
            affineNarrow(x, rows, y);
            return;
        }
        float[] w = weight.values();
        float[] b = bias.values();
        float[][] wt = new float[in][out];
        for (int o = 0; o < out; o++) {
            int wo = o * in;
            for (int i = 0; i < in; i++) {
                wt[i][o] = w[wo + i];
            }
        }
        float[] a0 = new float[out];
        float[] a1 = new float[out];
        float[] a2 = new float[out];
        float[] a3 = new float[out];
        int r = 0;
        for (; r + 3 < rows; r += 4) {
            System.arraycopy(b, 0, a0, 0, out);
            System.arraycopy(b, 0, a1, 0, out);
            System.arraycopy(b, 0, a2, 0, out);
            System.arraycopy(b, 0, a3, 0, out);
            int x0 = r * in;
            for (int i = 0; i < in; i++) {
                float v0 = x[x0 + i];
                float v1 = x[x0 + in + i];
                float v2 = x[x0 + 2 * in + i];
                float v3 = x[x0 + 3 * in + i];
                float[] row = wt[i];
                for (int o = 0; o < out; o++) {
                    float wv = row[o];
                    a0[o] += v0 * wv;
                    a1[o] += v1 * wv;
                    a2[o] += v2 * wv;
                    a3[o] += v3 * wv;
                }
            }
            System.arraycopy(a0, 0, y, r * out, out);
            System.arraycopy(a1, 0, y, (r + 1) * out, out);
            System.arraycopy(a2, 0, y, (r + 2) * out, out);
            System.arraycopy(a3, 0, y, (r + 3) * out, out);
        }
        for (; r < rows; r++) {
            System.arraycopy(b, 0, a0, 0, out);
            int xo = r * in;
            for (int i = 0; i < in; i++) {
                float v0 = x[xo + i];
                float[] row = wt[i];
                for (int o = 0; o < out; o++) {
                    a0[o] += v0 * row[o];
                }
            }
            System.arraycopy(a0, 0, y, r * out, out);
        }
    }

    /**
     * The forward pass for few outputs (a classifier or tagger): the inner loop runs over the batch's rows of the
     * transposed input instead of over the outputs, so it stays long enough to vectorise. Each {@code y[r, o]} is
     * accumulated in the same order as in {@link #affine}, so both paths give identical bits.
     */
    private void affineNarrow(float[] x, int rows, float[] y) {
        float[] w = weight.values();
        float[] b = bias.values();
        float[][] xt = new float[in][rows];
        for (int r = 0; r < rows; r++) {
            int xo = r * in;
            for (int i = 0; i < in; i++) {
                xt[i][r] = x[xo + i];
            }
        }
        float[][] acc = new float[4][rows];
        for (int o = 0; o < out; o += 4) {
            int block = Math.min(4, out - o);
            for (int k = 0; k < block; k++) {
                java.util.Arrays.fill(acc[k], b[o + k]);
            }
            if (block == 4) {
                float[] a0 = acc[0];
                float[] a1 = acc[1];
                float[] a2 = acc[2];
                float[] a3 = acc[3];
                int w0 = o * in;
                for (int i = 0; i < in; i++) {
                    float wv0 = w[w0 + i];
                    float wv1 = w[w0 + in + i];
                    float wv2 = w[w0 + 2 * in + i];
                    float wv3 = w[w0 + 3 * in + i];
                    float[] col = xt[i];
                    for (int r = 0; r < rows; r++) {
                        float v = col[r];
                        a0[r] += wv0 * v;
                        a1[r] += wv1 * v;
                        a2[r] += wv2 * v;
                        a3[r] += wv3 * v;
                    }
                }
            } else {
                for (int k = 0; k < block; k++) {
                    float[] a = acc[k];
                    int wo = (o + k) * in;
                    for (int i = 0; i < in; i++) {
                        float wv = w[wo + i];
                        float[] col = xt[i];
                        for (int r = 0; r < rows; r++) {
                            a[r] += wv * col[r];
                        }
                    }
                }
            }
            for (int k = 0; k < block; k++) {
                float[] a = acc[k];
                for (int r = 0; r < rows; r++) {
                    y[r * out + o + k] = a[r];
                }
            }
        }
    }

    @Override
    public float[] backward(Tape tape, float[] gradOut) {
        return backward(tape, gradOut, true);
    }

    @Override
    public float[] backward(Tape tape, float[] gradOut, boolean inputGradient) {
        if (!(tape instanceof LinearTape(float[] output, int rows, float[] x)) || output.length != rows * out) {
            throw new IllegalArgumentException("linear " + name + ": not a tape of this layer");
        }
        Shapes.checkGrad(name, gradOut, rows, out);
        float[] db = bias.grads();
        for (int r = 0; r < rows; r++) {
            int go = r * out;
            for (int o = 0; o < out; o++) {
                db[o] += gradOut[go + o];
            }
        }
        float[][] xRows = rowsOf(x, rows, in);
        accumulateWeightGradient(xRows, gradOut, rows);
        return inputGradient ? inputGradient(gradOut, rows) : null;
    }

    /** {@code dW[o, :] += Σ_r g[r, o] · x[r, :]}, rows in order, on row copies so every loop is index-aligned. */
    private void accumulateWeightGradient(float[][] xRows, float[] gradOut, int rows) {
        float[] dw = weight.grads();
        float[] acc = new float[in];
        for (int o = 0; o < out; o++) {
            System.arraycopy(dw, o * in, acc, 0, in);
            int r = 0;
            for (; r + 3 < rows; r += 4) {
                float g0 = gradOut[r * out + o];
                float g1 = gradOut[(r + 1) * out + o];
                float g2 = gradOut[(r + 2) * out + o];
                float g3 = gradOut[(r + 3) * out + o];
                float[] x0 = xRows[r];
                float[] x1 = xRows[r + 1];
                float[] x2 = xRows[r + 2];
                float[] x3 = xRows[r + 3];
                for (int i = 0; i < in; i++) {
                    acc[i] = (((acc[i] + g0 * x0[i]) + g1 * x1[i]) + g2 * x2[i]) + g3 * x3[i];
                }
            }
            for (; r < rows; r++) {
                float g0 = gradOut[r * out + o];
                float[] x0 = xRows[r];
                for (int i = 0; i < in; i++) {
                    acc[i] += g0 * x0[i];
                }
            }
            System.arraycopy(acc, 0, dw, o * in, in);
        }
    }

    /** {@code dx[r, :] = Σ_o g[r, o] · W[o, :]}. */
    private float[] inputGradient(float[] gradOut, int rows) {
        float[][] wRows = rowsOf(weight.values(), out, in);
        float[] dx = new float[rows * in];
        float[] d0 = new float[in];
        float[] d1 = new float[in];
        float[] d2 = new float[in];
        float[] d3 = new float[in];
        int r = 0;
        for (; r + 3 < rows; r += 4) {
            java.util.Arrays.fill(d0, 0f);
            java.util.Arrays.fill(d1, 0f);
            java.util.Arrays.fill(d2, 0f);
            java.util.Arrays.fill(d3, 0f);
            for (int o = 0; o < out; o++) {
                float g0 = gradOut[r * out + o];
                float g1 = gradOut[(r + 1) * out + o];
                float g2 = gradOut[(r + 2) * out + o];
                float g3 = gradOut[(r + 3) * out + o];
                float[] wr = wRows[o];
                for (int i = 0; i < in; i++) {
                    float wv = wr[i];
                    d0[i] += g0 * wv;
                    d1[i] += g1 * wv;
                    d2[i] += g2 * wv;
                    d3[i] += g3 * wv;
                }
            }
            System.arraycopy(d0, 0, dx, r * in, in);
            System.arraycopy(d1, 0, dx, (r + 1) * in, in);
            System.arraycopy(d2, 0, dx, (r + 2) * in, in);
            System.arraycopy(d3, 0, dx, (r + 3) * in, in);
        }
        for (; r < rows; r++) {
            java.util.Arrays.fill(d0, 0f);
            for (int o = 0; o < out; o++) {
                float g0 = gradOut[r * out + o];
                float[] wr = wRows[o];
                for (int i = 0; i < in; i++) {
                    d0[i] += g0 * wr[i];
                }
            }
            System.arraycopy(d0, 0, dx, r * in, in);
        }
        return dx;
    }

    /** Copies {@code rows × cols} row-major values into separate row arrays (index-aligned loops vectorise). */
    private static float[][] rowsOf(float[] flat, int rows, int cols) {
        float[][] copy = new float[rows][];
        for (int r = 0; r < rows; r++) {
            copy[r] = java.util.Arrays.copyOfRange(flat, r * cols, (r + 1) * cols);
        }
        return copy;
    }

    @Override
    public String toString() {
        return "Linear[" + name + ", " + in + " -> " + out + "]";
    }

    /** Keeps a reference to the input: the caller must not overwrite it before {@code backward}. */
    private record LinearTape(float[] output, int rows, float[] input) implements Tape {
    }
}
