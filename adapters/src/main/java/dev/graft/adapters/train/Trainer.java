package dev.graft.adapters.train;

import dev.graft.adapters.nn.AdamW;
import dev.graft.adapters.nn.Layer;
import dev.graft.adapters.nn.LossResult;
import dev.graft.adapters.nn.MeanSquaredError;
import dev.graft.adapters.nn.Parameter;
import dev.graft.adapters.nn.SoftmaxCrossEntropy;
import dev.graft.adapters.nn.Softmax;
import dev.graft.backbones.eval.Spearman;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Trains a head's {@link Layer} network on frozen features with AdamW: a seeded shuffle each epoch, mini-batches
 * read row by row into one reused buffer (so a feature set may be far larger than the heap), evaluation on a
 * validation set after every epoch, early stopping when the validation metric has not improved for
 * {@code patience} epochs, and finally the best epoch's parameters restored into the network.
 *
 * <p>Single-threaded and deterministic: the same seed, data and initial parameters give bit-identical
 * parameters. The network's first layer is asked for parameter gradients only (its input is frozen features).
 */
public final class Trainer {
    /** Rows per forward pass when evaluating (no gradients, so larger batches are cheaper). */
    static final int EVALUATION_BATCH = 256;
    private static final long DROPOUT_STREAM = 0x5DEECE66DL;

    /**
     * Trains {@code network} in place.
     *
     * @param validation the validation set, or {@code null} to carve {@link TrainerConfig#validationFraction()}
     *                   out of {@code train} (stratified by class for cross-entropy)
     * @param listener   progress receiver, or {@code null}
     * @return the per-epoch history and the epoch whose parameters the network now holds
     * @throws IllegalArgumentException if sizes, labels or targets do not fit the network and loss
     * @throws ArithmeticException      if the training loss becomes NaN or infinite (the best parameters so far,
     *                                  or the initial ones, are restored first)
     */
    public TrainingResult train(Layer network, TrainingSet train, TrainingSet validation, TrainerConfig cfg,
                                TrainingListener listener) {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(cfg, "cfg");
        TrainingListener events = listener == null ? TrainingListener.NONE : listener;
        boolean classification = cfg.loss() == TrainerConfig.LossKind.CROSS_ENTROPY;
        int features = network.inputSize();
        int outputs = network.outputSize();
        checkSet("training set", train, features);
        if (!classification && outputs != 1) {
            throw new IllegalArgumentException("trainer: MSE regression needs a network with 1 output, got " + outputs);
        }

        TrainingSet trainSet = train;
        TrainingSet validationSet = validation;
        if (validationSet == null && cfg.validationFraction() > 0) {
            Splits.Split split = classification
                    ? Splits.stratified(labels("training set", train, outputs), cfg.validationFraction(), cfg.seed())
                    : Splits.random(train.size(), cfg.validationFraction(), cfg.seed());
            trainSet = new SubsetTrainingSet(train, split.train());
            validationSet = split.validation().length == 0 ? null : new SubsetTrainingSet(train, split.validation());
        }
        if (validationSet != null) {
            checkSet("validation set", validationSet, features);
            if (validationSet.size() == 0) {
                validationSet = null;
            }
        }

        Task task = classification
                ? classificationTask(trainSet, validationSet, outputs, cfg.classWeighting())
                : regressionTask(trainSet, validationSet);
        String metricName = classification ? "accuracy" : "pearson";

        List<Parameter> parameters = network.parameters();
        AdamW optimizer = new AdamW(cfg.learningRate(), cfg.weightDecay());
        int n = trainSet.size();
        int batchSize = Math.min(cfg.batchSize(), n);
        int batches = (n + batchSize - 1) / batchSize;
        float[] buffer = new float[Math.multiplyExact(batchSize, features)];
        int[] batchLabels = new int[batchSize];
        float[] batchTargets = new float[batchSize];
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }

        events.onStart(cfg.epochs(), batches, n, validationSet == null ? 0 : validationSet.size(), metricName);
        List<EpochStats> history = new ArrayList<>();
        List<float[]> best = snapshot(parameters);
        int bestEpoch = 0;
        double bestMetric = Double.NEGATIVE_INFINITY;
        int sinceImprovement = 0;
        boolean stoppedEarly = false;
        long step = 0;

        for (int epoch = 1; epoch <= cfg.epochs(); epoch++) {
            long start = System.nanoTime();
            Splits.shuffle(order, new SplittableRandom(mix(cfg.seed(), epoch)));
            double lossSum = 0;
            double weightSum = 0;
            for (int b = 0; b < batches; b++) {
                int from = b * batchSize;
                int rows = Math.min(batchSize, n - from);
                for (int r = 0; r < rows; r++) {
                    int row = order[from + r];
                    trainSet.features(row, buffer, r * features);
                    if (classification) {
                        batchLabels[r] = task.labels[row];
                    } else {
                        batchTargets[r] = task.targets[row];
                    }
                }
                Layer.Tape tape = network.forward(buffer, rows, true, mix(cfg.seed() ^ DROPOUT_STREAM, step++));
                LossResult loss = classification
                        ? task.crossEntropy.compute(tape.output(), rows, batchLabels)
                        : task.mse.compute(tape.output(), rows, batchTargets);
                if (!Double.isFinite(loss.loss())) {
                    restore(parameters, best);
                    throw new ArithmeticException("trainer: the training loss became " + loss.loss() + " in epoch " + epoch
                            + ", batch " + (b + 1) + "; lower the learning rate (now " + cfg.learningRate() + ")");
                }
                lossSum += loss.loss() * loss.weight();
                weightSum += loss.weight();
                AdamW.zeroGrad(parameters);
                network.backward(tape, loss.gradient(), false);
                if (cfg.maxGradNorm() > 0) {
                    AdamW.clipGradNorm(parameters, cfg.maxGradNorm());
                }
                optimizer.step(parameters);
                events.onBatch(epoch, b + 1, batches, weightSum > 0 ? lossSum / weightSum : 0);
            }
            double trainSeconds = (System.nanoTime() - start) / 1e9;
            double trainLoss = weightSum > 0 ? lossSum / weightSum : 0;

            double[] evaluation = validationSet == null
                    ? new double[] {Double.NaN, Double.NaN}
                    : evaluate(network, validationSet, task, classification);
            double seconds = (System.nanoTime() - start) / 1e9;
            EpochStats stats = new EpochStats(epoch, trainLoss, evaluation[0], evaluation[1], n / Math.max(trainSeconds, 1e-9), seconds,
                    optimizer.learningRate());
            history.add(stats);

            boolean improved = validationSet == null || evaluation[1] > bestMetric;
            if (improved) {
                bestMetric = evaluation[1];
                bestEpoch = epoch;
                sinceImprovement = 0;
                if (validationSet != null) {
                    copyInto(parameters, best);
                }
            } else {
                sinceImprovement++;
                if (cfg.plateauEpochs() > 0 && sinceImprovement % cfg.plateauEpochs() == 0) {
                    optimizer.learningRate(optimizer.learningRate() / 2);
                }
            }
            events.onEpoch(stats, improved);
            if (validationSet != null && sinceImprovement >= cfg.patience()) {
                stoppedEarly = epoch < cfg.epochs();
                break;
            }
        }
        if (validationSet != null) {
            restore(parameters, best);
        }
        TrainingResult result = new TrainingResult(bestEpoch, metricName, history, stoppedEarly);
        events.onFinish(result);
        return result;
    }

    /** What the loop needs per task: the labels or targets of the training set read once, and the loss. */
    private record Task(int[] labels, float[] targets, SoftmaxCrossEntropy crossEntropy, MeanSquaredError mse) {
    }

    private static Task classificationTask(TrainingSet train, TrainingSet validation, int classes,
                                           TrainerConfig.ClassWeighting weighting) {
        int[] labels = labels("training set", train, classes);
        if (validation != null) {
            labels("validation set", validation, classes);
        }
        SoftmaxCrossEntropy loss = weighting == TrainerConfig.ClassWeighting.BALANCED
                ? new SoftmaxCrossEntropy(balancedWeights(labels, classes))
                : new SoftmaxCrossEntropy(classes);
        return new Task(labels, null, loss, null);
    }

    private static Task regressionTask(TrainingSet train, TrainingSet validation) {
        float[] targets = targets("training set", train);
        if (validation != null) {
            targets("validation set", validation);
        }
        return new Task(null, targets, null, new MeanSquaredError(1));
    }

    /**
     * scikit-learn's balanced class weights {@code n / (classes × count_c)}; a class absent from the training set
     * gets weight 1.
     */
    static float[] balancedWeights(int[] labels, int classes) {
        int[] counts = new int[classes];
        for (int y : labels) {
            counts[y]++;
        }
        float[] weights = new float[classes];
        for (int c = 0; c < classes; c++) {
            weights[c] = counts[c] == 0 ? 1f : (float) ((double) labels.length / ((double) classes * counts[c]));
        }
        return weights;
    }

    /** {@code {loss, metric}} of the network on {@code set}, in batches of {@link #EVALUATION_BATCH}. */
    private static double[] evaluate(Layer network, TrainingSet set, Task task, boolean classification) {
        int features = network.inputSize();
        int outputs = network.outputSize();
        int n = set.size();
        int chunk = Math.min(EVALUATION_BATCH, n);
        float[] buffer = new float[chunk * features];
        float[] out = new float[chunk * outputs];
        int[] labels = new int[chunk];
        float[] targets = new float[chunk];
        double lossSum = 0;
        double weightSum = 0;
        long correct = 0;
        double[] predictions = classification ? null : new double[n];
        double[] truth = classification ? null : new double[n];
        for (int from = 0; from < n; from += chunk) {
            int rows = Math.min(chunk, n - from);
            for (int r = 0; r < rows; r++) {
                set.features(from + r, buffer, r * features);
                if (classification) {
                    labels[r] = set.label(from + r);
                } else {
                    targets[r] = set.target(from + r);
                }
            }
            network.apply(buffer, rows, out);
            LossResult loss = classification
                    ? task.crossEntropy.compute(out, rows, labels)
                    : task.mse.compute(out, rows, targets);
            lossSum += loss.loss() * loss.weight();
            weightSum += loss.weight();
            for (int r = 0; r < rows; r++) {
                if (classification) {
                    if (Softmax.argmax(out, r * outputs, outputs) == labels[r]) {
                        correct++;
                    }
                } else {
                    predictions[from + r] = out[r];
                    truth[from + r] = targets[r];
                }
            }
        }
        double loss = weightSum > 0 ? lossSum / weightSum : 0;
        double metric = classification ? (double) correct / n : pearson(predictions, truth);
        return new double[] {loss, metric};
    }

    /** Pearson correlation ({@link Spearman#pearson}); 0 when either side has no variance (a constant prediction). */
    static double pearson(double[] x, double[] y) {
        double r = Spearman.pearson(x, y);
        return Double.isNaN(r) ? 0 : r;
    }

    private static void checkSet(String what, TrainingSet set, int features) {
        if (set.featureSize() != features) {
            throw new IllegalArgumentException("trainer: the " + what + " has " + set.featureSize()
                    + " features per example but the network takes " + features);
        }
        if (what.equals("training set") && set.size() == 0) {
            throw new IllegalArgumentException("trainer: the training set is empty");
        }
    }

    private static int[] labels(String what, TrainingSet set, int classes) {
        int[] labels = new int[set.size()];
        for (int i = 0; i < labels.length; i++) {
            int y = set.label(i);
            if (y < 0 || y >= classes) {
                throw new IllegalArgumentException("trainer: label " + y + " of " + what + " example " + i
                        + " is outside the network's " + classes + " classes");
            }
            labels[i] = y;
        }
        return labels;
    }

    private static float[] targets(String what, TrainingSet set) {
        float[] targets = new float[set.size()];
        for (int i = 0; i < targets.length; i++) {
            float t = set.target(i);
            if (!Float.isFinite(t)) {
                throw new IllegalArgumentException("trainer: target of " + what + " example " + i + " is " + t);
            }
            targets[i] = t;
        }
        return targets;
    }

    static List<float[]> snapshot(List<Parameter> parameters) {
        List<float[]> copies = new ArrayList<>(parameters.size());
        for (Parameter p : parameters) {
            copies.add(p.values().clone());
        }
        return copies;
    }

    static void copyInto(List<Parameter> parameters, List<float[]> copies) {
        for (int i = 0; i < parameters.size(); i++) {
            float[] v = parameters.get(i).values();
            System.arraycopy(v, 0, copies.get(i), 0, v.length);
        }
    }

    static void restore(List<Parameter> parameters, List<float[]> copies) {
        for (int i = 0; i < parameters.size(); i++) {
            parameters.get(i).load(copies.get(i));
        }
    }

    /** SplitMix64 finaliser of {@code seed} and {@code index}: independent-looking seeds per epoch and step. */
    static long mix(long seed, long index) {
        long z = seed + (index + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
