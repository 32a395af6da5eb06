package dev.graft.adapters.nn;

import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * A fully connected layer {@code y = x · Wᵀ + b}, with {@code W} stored {@code [out, in]} as in PyTorch's
 * {@code nn.Linear} (so {@code <name>.weight} and {@code <name>.bias} are exactly what a saved head holds).
 *
 * <p>The loops are written so that every inner loop runs over contiguous memory with no reduction (an
 * "axpy"), which C2 auto-vectorises: the forward pass reads a per-call transpose of {@code W} (cost
 * {@code in × out}, small next to {@code rows × in × out}), the backward passes read {@code W} and the input
 * rows directly. Summation order is fixed, so results are deterministic.
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
        float[] w = weight.values();
        float[] b = bias.values();
        float[] wt = new float[in * out];
        for (int o = 0; o < out; o++) {
            int wo = o * in;
            for (int i = 0; i < in; i++) {
                wt[i * out + o] = w[wo + i];
            }
        }
        for (int r = 0; r < rows; r++) {
            int yo = r * out;
            int xo = r * in;
            System.arraycopy(b, 0, y, yo, out);
            for (int i = 0; i < in; i++) {
                float a = x[xo + i];
                int to = i * out;
                for (int o = 0; o < out; o++) {
                    y[yo + o] += a * wt[to + o];
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
        float[] w = weight.values();
        float[] dw = weight.grads();
        float[] db = bias.grads();
        for (int r = 0; r < rows; r++) {
            int go = r * out;
            int xo = r * in;
            for (int o = 0; o < out; o++) {
                float g = gradOut[go + o];
                db[o] += g;
                int wo = o * in;
                for (int i = 0; i < in; i++) {
                    dw[wo + i] += g * x[xo + i];
                }
            }
        }
        if (!inputGradient) {
            return null;
        }
        float[] dx = new float[rows * in];
        for (int r = 0; r < rows; r++) {
            int go = r * out;
            int xo = r * in;
            for (int o = 0; o < out; o++) {
                float g = gradOut[go + o];
                int wo = o * in;
                for (int i = 0; i < in; i++) {
                    dx[xo + i] += g * w[wo + i];
                }
            }
        }
        return dx;
    }

    @Override
    public String toString() {
        return "Linear[" + name + ", " + in + " -> " + out + "]";
    }

    /** Keeps a reference to the input: the caller must not overwrite it before {@code backward}. */
    private record LinearTape(float[] output, int rows, float[] input) implements Tape {
    }
}
