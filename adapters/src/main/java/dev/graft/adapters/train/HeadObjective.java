package dev.graft.adapters.train;

import dev.graft.adapters.nn.Layer;
import dev.graft.adapters.nn.LayerMix;
import dev.graft.adapters.nn.Lbfgs;
import dev.graft.adapters.nn.Linear;
import dev.graft.adapters.nn.LossResult;
import dev.graft.adapters.nn.Parameter;
import dev.graft.adapters.nn.Sequential;
import dev.graft.adapters.nn.SoftmaxCrossEntropy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The full-batch objective of a classifier head on frozen features, as a function of all its parameters laid end
 * to end (in {@link Layer#parameters()} order):
 * <pre>
 *   f(θ) = Σᵢ w[yᵢ]·nllᵢ(θ) / Σᵢ w[yᵢ]  +  (λ/2)·Σ_{decayed p} ‖p‖²
 * </pre>
 * — the (class-weighted) mean cross-entropy over the whole set plus an L2 penalty on the weight matrices (biases
 * and layer-mix parameters are not penalised, as with AdamW's weight decay). The rows are streamed through the
 * network's own forward and backward passes in chunks of {@value #CHUNK}; each chunk's float gradient is added into
 * a double sum in chunk order, so the result does not depend on anything but the parameters and the data — not on
 * the number of threads either: with several, each works on its own replica of the network (a linear layer,
 * optionally after a layer mix) over every n-th chunk, and the chunks are still summed in order.
 */
final class HeadObjective implements Lbfgs.Objective, AutoCloseable {
    static final int CHUNK = 1024;

    private final List<Layer> replicas;
    private final TrainingSet set;
    private final int[] labels;
    private final SoftmaxCrossEntropy loss;
    private final double l2;
    private final double totalWeight;
    private final int chunks;
    private final float[][] chunkGradients;
    private final double[] chunkLosses;
    private final ExecutorService pool;

    HeadObjective(Layer network, TrainingSet set, int[] labels, SoftmaxCrossEntropy loss, double l2) {
        this(network, set, labels, loss, l2, 1);
    }

    /**
     * @param labels  the set's labels, read once (each in {@code [0, network.outputSize())})
     * @param l2      the penalty strength {@code λ ≥ 0}
     * @param threads threads evaluating chunks ({@code > 1} needs a linear network, optionally after a layer mix)
     */
    HeadObjective(Layer network, TrainingSet set, int[] labels, SoftmaxCrossEntropy loss, double l2, int threads) {
        if (!(l2 >= 0) || Double.isInfinite(l2)) {
            throw new IllegalArgumentException("head objective: the L2 strength must be finite and >= 0, got " + l2);
        }
        if (set.size() == 0) {
            throw new IllegalArgumentException("head objective: the training set is empty");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("head objective: threads must be >= 1, got " + threads);
        }
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
        this.chunks = (set.size() + CHUNK - 1) / CHUNK;
        int workers = Math.min(threads, chunks);
        List<Layer> copies = new ArrayList<>(workers);
        copies.add(network);
        for (int t = 1; t < workers; t++) {
            copies.add(replicate(network));
        }
        this.replicas = List.copyOf(copies);
        this.chunkGradients = new float[chunks][];
        this.chunkLosses = new double[chunks];
        this.pool = workers > 1 ? Executors.newFixedThreadPool(workers, r -> {
            Thread thread = new Thread(r, "graft-lbfgs");
            thread.setDaemon(true);
            return thread;
        }) : null;
    }

    double l2() {
        return l2;
    }

    /** A fresh network of the same structure (values are loaded before every evaluation). */
    private static Layer replicate(Layer network) {
        return switch (network) {
            case Linear l -> Linear.zeroInit(l.name(), l.inputSize(), l.outputSize());
            case LayerMix m -> new LayerMix(m.weights().name().substring(0, m.weights().name().lastIndexOf('.')),
                    m.layers(), m.hidden());
            case Sequential s -> new Sequential(s.layers().stream().map(HeadObjective::replicate).toList());
            default -> throw new IllegalArgumentException("head objective: cannot evaluate " + network
                    + " on several threads (a linear layer, optionally after a layer mix, can)");
        };
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
        for (Layer replica : replicas) {
            write(x, replica.parameters());
        }
        int workers = replicas.size();
        if (workers == 1) {
            work(0, 1);
        } else {
            List<Future<?>> running = new ArrayList<>(workers);
            for (int t = 0; t < workers; t++) {
                int worker = t;
                running.add(pool.submit(() -> work(worker, workers)));
            }
            for (Future<?> f : running) {
                try {
                    f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("head objective: interrupted", e);
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                }
            }
        }
        Arrays.fill(gradient, 0);
        double lossSum = 0;
        for (int c = 0; c < chunks; c++) {
            if (!Double.isFinite(chunkLosses[c])) {
                return Double.NaN;
            }
            lossSum += chunkLosses[c];
            float[] g = chunkGradients[c];
            for (int i = 0; i < g.length; i++) {
                gradient[i] += g[i];
            }
        }
        double value = lossSum / totalWeight;
        if (l2 > 0) {
            double penalty = 0;
            int o = 0;
            for (Parameter p : replicas.getFirst().parameters()) {
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

    /** Chunks {@code worker}, {@code worker + workers}, … on replica {@code worker}: loss sums and gradients. */
    private void work(int worker, int workers) {
        Layer network = replicas.get(worker);
        List<Parameter> parameters = network.parameters();
        int features = network.inputSize();
        int n = set.size();
        float[] buffer = new float[Math.min(CHUNK, n) * features];
        int[] chunkLabels = new int[Math.min(CHUNK, n)];
        for (int c = worker; c < chunks; c += workers) {
            int from = c * CHUNK;
            int rows = Math.min(CHUNK, n - from);
            for (int r = 0; r < rows; r++) {
                set.features(from + r, buffer, r * features);
                chunkLabels[r] = labels[from + r];
            }
            Layer.Tape tape = network.forward(buffer, rows, false, 0);
            LossResult chunk = loss.compute(tape.output(), rows, chunkLabels);
            chunkLosses[c] = chunk.loss() * chunk.weight();
            if (!Double.isFinite(chunk.loss())) {
                continue;
            }
            float share = (float) (chunk.weight() / totalWeight);
            float[] g = chunk.gradient();
            for (int i = 0; i < g.length; i++) {
                g[i] *= share;
            }
            for (Parameter p : parameters) {
                p.zeroGrad();
            }
            network.backward(tape, g, false);
            float[] flat = chunkGradients[c] == null ? new float[size(parameters)] : chunkGradients[c];
            int o = 0;
            for (Parameter p : parameters) {
                float[] pg = p.grads();
                System.arraycopy(pg, 0, flat, o, pg.length);
                o += pg.length;
            }
            chunkGradients[c] = flat;
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
