package dev.graft.adapters.train;

import dev.graft.adapters.nn.Layer;
import dev.graft.adapters.nn.Lbfgs;
import dev.graft.adapters.nn.LossResult;
import dev.graft.adapters.nn.Parameter;
import dev.graft.adapters.nn.SoftmaxCrossEntropy;
import java.util.List;

/**
 * The full-batch objective of a classifier head on frozen features, as a function of all its parameters laid end
 * to end (in {@link Layer#parameters()} order):
 * <pre>
 *   f(θ) = Σᵢ w[yᵢ]·nllᵢ(θ) / Σᵢ w[yᵢ]  +  (λ/2)·Σ_{decayed p} ‖p‖²
 * </pre>
 * — the (class-weighted) mean cross-entropy over the whole set plus an L2 penalty on the weight matrices (biases
 * and layer-mix parameters are not penalised, as with AdamW's weight decay). The rows are streamed through the
 * network's own forward and backward passes in chunks of {@value #CHUNK}; each chunk's float gradient is added into
 * a double sum in row order, so the result does not depend on anything but the parameters and the data.
 */
final class HeadObjective implements Lbfgs.Objective {
    static final int CHUNK = 1024;

    private final Layer network;
    private final List<Parameter> parameters;
    private final TrainingSet set;
    private final int[] labels;
    private final SoftmaxCrossEntropy loss;
    private final double l2;
    private final double totalWeight;
    private final float[] buffer;
    private final int[] chunkLabels;

    /**
     * @param labels the set's labels, read once (each in {@code [0, network.outputSize())})
     * @param l2     the penalty strength {@code λ ≥ 0}
     */
    HeadObjective(Layer network, TrainingSet set, int[] labels, SoftmaxCrossEntropy loss, double l2) {
        if (!(l2 >= 0) || Double.isInfinite(l2)) {
            throw new IllegalArgumentException("head objective: the L2 strength must be finite and >= 0, got " + l2);
        }
        if (set.size() == 0) {
            throw new IllegalArgumentException("head objective: the training set is empty");
        }
        this.network = network;
        this.parameters = network.parameters();
        this.set = set;
        this.labels = labels;
        this.loss = loss;
        this.l2 = l2;
        float[] w = loss.classWeights();
        double total = 0;
        for (int i = 0; i < set.size(); i++) {
            total += w == null ? 1.0 : w[labels[i]];
        }
        if (!(total > 0)) {
            throw new IllegalArgumentException("head objective: the class weights of the training set sum to " + total);
        }
        this.totalWeight = total;
        int chunk = Math.min(CHUNK, set.size());
        this.buffer = new float[Math.multiplyExact(chunk, network.inputSize())];
        this.chunkLabels = new int[chunk];
    }

    double l2() {
        return l2;
    }

    /** Number of values in the flat parameter vector. */
    static int size(List<Parameter> parameters) {
        int n = 0;
        for (Parameter p : parameters) {
            n = Math.addExact(n, p.size());
        }
        return n;
    }

    /** The network's current parameters, end to end. */
    static double[] read(List<Parameter> parameters) {
        double[] x = new double[size(parameters)];
        int o = 0;
        for (Parameter p : parameters) {
            for (float v : p.values()) {
                x[o++] = v;
            }
        }
        return x;
    }

    /** Loads {@code x} (rounded to float) into the network's parameters. */
    static void write(double[] x, List<Parameter> parameters) {
        int o = 0;
        for (Parameter p : parameters) {
            float[] v = p.values();
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) x[o++];
            }
        }
    }

    @Override
    public double evaluate(double[] x, double[] gradient) {
        write(x, parameters);
        java.util.Arrays.fill(gradient, 0);
        int features = network.inputSize();
        int n = set.size();
        double lossSum = 0;
        for (int from = 0; from < n; from += chunkLabels.length) {
            int rows = Math.min(chunkLabels.length, n - from);
            for (int r = 0; r < rows; r++) {
                set.features(from + r, buffer, r * features);
                chunkLabels[r] = labels[from + r];
            }
            Layer.Tape tape = network.forward(buffer, rows, false, 0);
            LossResult chunk = loss.compute(tape.output(), rows, chunkLabels);
            if (!Double.isFinite(chunk.loss())) {
                return Double.NaN;
            }
            lossSum += chunk.loss() * chunk.weight();
            float share = (float) (chunk.weight() / totalWeight);
            float[] g = chunk.gradient();
            for (int i = 0; i < g.length; i++) {
                g[i] *= share;
            }
            for (Parameter p : parameters) {
                p.zeroGrad();
            }
            network.backward(tape, g, false);
            int o = 0;
            for (Parameter p : parameters) {
                for (float v : p.grads()) {
                    gradient[o++] += v;
                }
            }
        }
        double value = lossSum / totalWeight;
        if (l2 > 0) {
            double penalty = 0;
            int o = 0;
            for (Parameter p : parameters) {
                if (p.decayed()) {
                    for (int i = 0; i < p.size(); i++) {
                        double v = x[o + i];
                        penalty += v * v;
                        gradient[o + i] += l2 * v;
                    }
                }
                o += p.size();
            }
            value += 0.5 * l2 * penalty;
        }
        return value;
    }
}
