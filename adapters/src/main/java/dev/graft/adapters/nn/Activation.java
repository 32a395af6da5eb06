package dev.graft.adapters.nn;

import java.util.List;
import java.util.Objects;

/**
 * An element-wise non-linearity: {@link Function#GELU} (the exact, erf-based form, PyTorch's default),
 * {@link Function#RELU} or {@link Function#TANH}. Parameter-free; input and output size are equal.
 */
public final class Activation implements Layer {
    private static final double INV_SQRT2 = 1.0 / Math.sqrt(2.0);
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);

    /** The available non-linearities. */
    public enum Function {
        /** {@code x · Φ(x) = x/2 · (1 + erf(x/√2))}. */
        GELU,
        /** {@code max(0, x)}; its derivative at 0 is taken as 0, as in PyTorch. */
        RELU,
        /** {@code tanh(x)}. */
        TANH
    }

    private final Function function;
    private final int size;

    public Activation(Function function, int size) {
        this.function = Objects.requireNonNull(function, "function");
        if (size <= 0) {
            throw new IllegalArgumentException("activation " + function + ": size must be positive, got " + size);
        }
        this.size = size;
    }

    public static Activation gelu(int size) {
        return new Activation(Function.GELU, size);
    }

    public static Activation relu(int size) {
        return new Activation(Function.RELU, size);
    }

    public static Activation tanh(int size) {
        return new Activation(Function.TANH, size);
    }

    public Function function() {
        return function;
    }

    @Override
    public int inputSize() {
        return size;
    }

    @Override
    public int outputSize() {
        return size;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }

    /** GELU of one value, exact to float precision. */
    public static float gelu(float x) {
        // x·Φ(x) with Φ(x) = erfc(−x/√2)/2 keeps relative accuracy in the negative tail.
        return (float) (0.5 * x * Erf.erfc(-x * INV_SQRT2));
    }

    /** d GELU / dx = Φ(x) + x·φ(x). */
    static double geluDerivative(double x) {
        return 0.5 * Erf.erfc(-x * INV_SQRT2) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
    }

    @Override
    public void apply(float[] in, int rows, float[] out) {
        Shapes.check(function.name(), in, rows, size, out, size);
        map(in, rows * size, out);
    }

    private void map(float[] in, int n, float[] out) {
        switch (function) {
            case GELU -> {
                for (int i = 0; i < n; i++) {
                    out[i] = gelu(in[i]);
                }
            }
            case RELU -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Math.max(in[i], 0f);
                }
            }
            case TANH -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) Math.tanh(in[i]);
                }
            }
        }
    }

    @Override
    public Tape forward(float[] in, int rows, boolean training, long seed) {
        Shapes.check(function.name(), in, rows, size, null, size);
        float[] out = new float[rows * size];
        map(in, rows * size, out);
        return new ActivationTape(out, rows, in);
    }

    @Override
    public float[] backward(Tape tape, float[] gradOut) {
        if (!(tape instanceof ActivationTape(float[] out, int rows, float[] in)) || out.length != rows * size) {
            throw new IllegalArgumentException(function + ": not a tape of this layer");
        }
        Shapes.checkGrad(function.name(), gradOut, rows, size);
        int n = rows * size;
        float[] dx = new float[n];
        switch (function) {
            case GELU -> {
                for (int i = 0; i < n; i++) {
                    dx[i] = (float) (gradOut[i] * geluDerivative(in[i]));
                }
            }
            case RELU -> {
                for (int i = 0; i < n; i++) {
                    dx[i] = in[i] > 0f ? gradOut[i] : 0f;
                }
            }
            case TANH -> {
                for (int i = 0; i < n; i++) {
                    float y = out[i];
                    dx[i] = gradOut[i] * (1f - y * y);
                }
            }
        }
        return dx;
    }

    @Override
    public String toString() {
        return function + "[" + size + "]";
    }

    /** Keeps a reference to the input: the caller must not overwrite it before {@code backward}. */
    private record ActivationTape(float[] output, int rows, float[] input) implements Tape {
    }
}
