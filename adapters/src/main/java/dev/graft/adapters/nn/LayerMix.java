package dev.graft.adapters.nn;

import java.util.List;
import java.util.Objects;

/**
 * ELMo's scalar mix of a backbone's layers: an input row holds {@code layers × hidden} floats (layer-major: all of
 * layer 0's hidden state, then layer 1's, …) and the output row is {@code γ · Σₗ softmax(w)ₗ · xₗ}.
 *
 * <p>Parameters: {@code <name>.weights [layers]} (initialised to 0, so the mix starts as the plain average) and
 * {@code <name>.gamma [1]} (initialised to 1); neither is weight-decayed. Lower layers carry more syntax and
 * upper layers more semantics, so letting a tagging head learn the mix is worth several points of accuracy.
 */
public final class LayerMix implements Layer {
    private final String name;
    private final int layers;
    private final int hidden;
    private final Parameter weights;
    private final Parameter gamma;

    public LayerMix(String name, int layers, int hidden) {
        this.name = Objects.requireNonNull(name, "name");
        if (layers <= 0 || hidden <= 0) {
            throw new IllegalArgumentException("layer mix " + name + ": layers and hidden must be positive, got layers="
                    + layers + " hidden=" + hidden);
        }
        this.layers = layers;
        this.hidden = hidden;
        this.weights = new Parameter(name + ".weights", new int[] {layers}, false);
        this.gamma = new Parameter(name + ".gamma", new int[] {1}, false);
        this.gamma.values()[0] = 1f;
    }

    public int layers() {
        return layers;
    }

    public int hidden() {
        return hidden;
    }

    public Parameter weights() {
        return weights;
    }

    public Parameter gamma() {
        return gamma;
    }

    /** The current mixing distribution {@code softmax(w)}. */
    public float[] mixture() {
        float[] w = weights.values();
        double max = Double.NEGATIVE_INFINITY;
        for (float v : w) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] e = new double[layers];
        for (int l = 0; l < layers; l++) {
            e[l] = Math.exp(w[l] - max);
            sum += e[l];
        }
        float[] s = new float[layers];
        for (int l = 0; l < layers; l++) {
            s[l] = (float) (e[l] / sum);
        }
        return s;
    }

    @Override
    public int inputSize() {
        return layers * hidden;
    }

    @Override
    public int outputSize() {
        return hidden;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(weights, gamma);
    }

    @Override
    public void apply(float[] in, int rows, float[] out) {
        Shapes.check(name, in, rows, layers * hidden, out, hidden);
        mix(in, rows, mixture(), out);
    }

    private void mix(float[] x, int rows, float[] s, float[] y) {
        float g = gamma.values()[0];
        int rowSize = layers * hidden;
        for (int r = 0; r < rows; r++) {
            int yo = r * hidden;
            for (int h = 0; h < hidden; h++) {
                y[yo + h] = 0f;
            }
            for (int l = 0; l < layers; l++) {
                float c = g * s[l];
                int xo = r * rowSize + l * hidden;
                for (int h = 0; h < hidden; h++) {
                    y[yo + h] += c * x[xo + h];
                }
            }
        }
    }

    @Override
    public Tape forward(float[] in, int rows, boolean training, long seed) {
        Shapes.check(name, in, rows, layers * hidden, null, hidden);
        float[] s = mixture();
        float[] out = new float[rows * hidden];
        mix(in, rows, s, out);
        return new MixTape(out, rows, in, s, gamma.values()[0]);
    }

    @Override
    public float[] backward(Tape tape, float[] gradOut) {
        return backward(tape, gradOut, true);
    }

    @Override
    public float[] backward(Tape tape, float[] gradOut, boolean inputGradient) {
        if (!(tape instanceof MixTape(float[] out, int rows, float[] x, float[] s, float g)) || out.length != rows * hidden) {
            throw new IllegalArgumentException("layer mix " + name + ": not a tape of this layer");
        }
        Shapes.checkGrad(name, gradOut, rows, hidden);
        int rowSize = layers * hidden;
        // d_l = Σ_{r,h} dy[r,h] · x_l[r,h]; then dγ = Σ_l s_l d_l, ds_l = γ d_l, dw_k = s_k (ds_k − Σ_l s_l ds_l).
        double[] d = new double[layers];
        for (int r = 0; r < rows; r++) {
            int go = r * hidden;
            for (int l = 0; l < layers; l++) {
                d[l] += dot(gradOut, go, x, r * rowSize + l * hidden, hidden);
            }
        }
        double dGamma = 0;
        double weighted = 0;
        for (int l = 0; l < layers; l++) {
            dGamma += s[l] * d[l];
            weighted += s[l] * g * d[l];
        }
        float[] dw = weights.grads();
        for (int k = 0; k < layers; k++) {
            dw[k] += (float) (s[k] * (g * d[k] - weighted));
        }
        gamma.grads()[0] += (float) dGamma;
        if (!inputGradient) {
            return null;
        }
        float[] dx = new float[rows * rowSize];
        for (int r = 0; r < rows; r++) {
            int go = r * hidden;
            for (int l = 0; l < layers; l++) {
                float c = g * s[l];
                int xo = r * rowSize + l * hidden;
                for (int h = 0; h < hidden; h++) {
                    dx[xo + h] = c * gradOut[go + h];
                }
            }
        }
        return dx;
    }

    /** A dot product with four independent double accumulators (fixed order, so deterministic). */
    private static double dot(float[] a, int ao, float[] b, int bo, int n) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[ao + i] * b[bo + i];
            s1 += a[ao + i + 1] * b[bo + i + 1];
            s2 += a[ao + i + 2] * b[bo + i + 2];
            s3 += a[ao + i + 3] * b[bo + i + 3];
        }
        for (; i < n; i++) {
            s0 += a[ao + i] * b[bo + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    @Override
    public String toString() {
        return "LayerMix[" + name + ", " + layers + " × " + hidden + "]";
    }

    /** Keeps a reference to the input: the caller must not overwrite it before {@code backward}. */
    private record MixTape(float[] output, int rows, float[] input, float[] mixture, float gamma) implements Tape {
    }
}
