package dev.graft.adapters.train;

import dev.graft.adapters.nn.Layer;
import dev.graft.adapters.nn.LayerMix;
import dev.graft.adapters.nn.Lbfgs;
import dev.graft.adapters.nn.Linear;
import dev.graft.adapters.nn.LossResult;
import dev.graft.adapters.nn.Parameter;
import dev.graft.adapters.nn.Sequential;
import dev.graft.adapters.nn.Softmax;
import dev.graft.adapters.nn.SoftmaxCrossEntropy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Trains a linear classifier head on frozen features by solving its convex problem — mean cross-entropy plus
 * {@code (λ/2)‖W‖²} ({@link HeadObjective}) — to convergence with full-batch {@link Lbfgs}, so the result depends on
 * the data and λ, not on a seed, a shuffle or a learning rate.
 *
 * <p>λ is chosen on the validation set: the grid {@link Config#l2Grid()} is walked from the strongest penalty to
 * the weakest, each fit warm-started from the previous one (a regularisation path), and the λ with the best
 * validation accuracy wins (ties: the lower validation loss, then the stronger penalty). The walk stops early once
 * {@link Config#gridPatience()} consecutive λ are worse than the best. Then, with {@link Config#refit()}, the head is
 * fitted once more with the chosen λ on training and validation examples together, starting from the chosen fit.
 * {@link #train} is given only a training and a validation set; nothing else is read.
 *
 * <p>The linear layers start from zero; a {@link LayerMix} keeps its own fixed start (the plain average). With a
 * mix the problem is no longer convex, but the start, and so the result, are still fixed. Deterministic: same data,
 * same configuration, same parameters bit for bit.
 */
public final class LbfgsTrainer {

    /**
     * @param l2Grid            λ values to choose from on validation (any order; walked strongest first)
     * @param fixedL2           when not NaN, this λ is used and nothing is searched
     * @param maxIterations     most L-BFGS iterations per fit
     * @param gradientTolerance a fit has converged when {@code ‖∇f‖₂} is at most this
     * @param memory            L-BFGS correction pairs
     * @param gridPatience      stop walking the grid after this many consecutive λ worse than the best
     * @param refit             after choosing λ, fit again on training + validation examples
     * @param classWeighting    whether the cross-entropy weights classes by inverse frequency
     * @param threads           threads evaluating the objective (the result is the same for any number)
     */
    public record Config(List<Double> l2Grid, double fixedL2, int maxIterations, double gradientTolerance, int memory,
                         int gridPatience, boolean refit, TrainerConfig.ClassWeighting classWeighting, int threads) {
        public Config {
            l2Grid = List.copyOf(l2Grid);
            for (double l2 : l2Grid) {
                checkL2("l2Grid value", l2);
            }
            if (!Double.isNaN(fixedL2)) {
                checkL2("fixedL2", fixedL2);
            } else if (l2Grid.isEmpty()) {
                throw new IllegalArgumentException("l-bfgs trainer: an empty l2Grid needs a fixedL2");
            }
            if (maxIterations < 1) {
                throw new IllegalArgumentException("l-bfgs trainer: maxIterations must be >= 1, got " + maxIterations);
            }
            new Lbfgs.Settings(memory, maxIterations, gradientTolerance);
            if (gridPatience < 1) {
                throw new IllegalArgumentException("l-bfgs trainer: gridPatience must be >= 1, got " + gridPatience);
            }
            Objects.requireNonNull(classWeighting, "classWeighting");
            if (threads < 1) {
                throw new IllegalArgumentException("l-bfgs trainer: threads must be >= 1, got " + threads);
            }
        }

        private static void checkL2(String what, double l2) {
            if (!(l2 >= 0) || Double.isInfinite(l2)) {
                throw new IllegalArgumentException("l-bfgs trainer: " + what + " must be finite and >= 0, got " + l2);
            }
        }

        /** The λ used when there is no validation data to choose on. */
        public static final double DEFAULT_L2 = 1e-4;

        /**
         * λ ∈ {1e-2, 3e-3, 1e-3, …, 1e-6} (half-decades) chosen on validation, up to 500 iterations per fit,
         * {@code ‖∇f‖₂ ≤ 1e-5}, 10 correction pairs, grid patience 2, refit on training + validation, no class
         * weighting, one thread.
         */
        public static Config defaults() {
            return new Config(List.of(1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 3e-6, 1e-6), Double.NaN, 500, 1e-5, 10, 2,
                    true, TrainerConfig.ClassWeighting.NONE, 1);
        }

        public Config withFixedL2(double v) {
            return new Config(l2Grid, v, maxIterations, gradientTolerance, memory, gridPatience, refit, classWeighting, threads);
        }

        public Config withL2Grid(List<Double> v) {
            return new Config(v, fixedL2, maxIterations, gradientTolerance, memory, gridPatience, refit, classWeighting, threads);
        }

        public Config withMaxIterations(int v) {
            return new Config(l2Grid, fixedL2, v, gradientTolerance, memory, gridPatience, refit, classWeighting, threads);
        }

        public Config withGradientTolerance(double v) {
            return new Config(l2Grid, fixedL2, maxIterations, v, memory, gridPatience, refit, classWeighting, threads);
        }

        public Config withRefit(boolean v) {
            return new Config(l2Grid, fixedL2, maxIterations, gradientTolerance, memory, gridPatience, v, classWeighting, threads);
        }

        public Config withThreads(int v) {
            return new Config(l2Grid, fixedL2, maxIterations, gradientTolerance, memory, gridPatience, refit, classWeighting, v);
        }

        public Config withClassWeighting(TrainerConfig.ClassWeighting v) {
            return new Config(l2Grid, fixedL2, maxIterations, gradientTolerance, memory, gridPatience, refit, v, threads);
        }
    }

    /**
     * One L-BFGS fit.
     *
     * @param l2               the penalty strength
     * @param examples         rows fitted on
     * @param objective        the objective at the end (mean cross-entropy + penalty)
     * @param gradientNorm     {@code ‖∇f‖₂} at the end
     * @param validationLoss   mean cross-entropy on the validation set ({@code NaN} for a refit or without validation)
     * @param validationMetric accuracy on the validation set ({@code NaN} for a refit or without validation)
     */
    public record Fit(double l2, int examples, int iterations, int evaluations, double objective, double gradientNorm,
                      Lbfgs.Termination termination, double validationLoss, double validationMetric, double seconds) {
    }

    /**
     * What {@link #train} did: the fits along the λ grid (empty with a fixed λ), the chosen λ and why, and the fit
     * whose parameters the network now holds ({@code last}: the refit, or the chosen grid fit).
     *
     * @param chosenBy  {@code validation}, {@code fixed} or {@code default (no validation data)}
     * @param training  the same, shaped as a {@link TrainingResult} (one "epoch" per fit) for learning curves and
     *                  callers that only know the AdamW trainer
     */
    public record Result(List<Fit> search, double chosenL2, String chosenBy, Fit chosen, Fit last,
                         TrainingResult training) {
        public Result {
            search = List.copyOf(search);
        }
    }

    /**
     * Trains {@code network} (linear layers, optionally after a layer mix) in place.
     *
     * @param validation the set λ is chosen on; {@code null} or empty uses the fixed λ, or {@link Config#DEFAULT_L2}
     * @param log        receives a line per fit, or {@code null}
     * @throws IllegalArgumentException if the network has other layers, or sizes or labels do not fit
     * @throws ArithmeticException      if the objective is not finite at the start
     */
    public Result train(Layer network, TrainingSet train, TrainingSet validation, Config cfg, Consumer<String> log) {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(cfg, "cfg");
        Consumer<String> out = log == null ? s -> { } : log;
        checkLinear(network);
        int classes = network.outputSize();
        checkSet("training set", train, network.inputSize());
        int[] trainLabels = labels("training set", train, classes);
        TrainingSet held = validation == null || validation.size() == 0 ? null : validation;
        int[] heldLabels = null;
        if (held != null) {
            checkSet("validation set", held, network.inputSize());
            heldLabels = labels("validation set", held, classes);
        }
        List<Parameter> parameters = network.parameters();
        startFromZero(network);
        double[] x = HeadObjective.read(parameters);

        List<Fit> search = new ArrayList<>();
        List<EpochStats> history = new ArrayList<>();
        double chosenL2;
        String chosenBy;
        Fit chosen;
        double[] chosenX;
        if (!Double.isNaN(cfg.fixedL2()) || held == null) {
            chosenL2 = Double.isNaN(cfg.fixedL2()) ? Config.DEFAULT_L2 : cfg.fixedL2();
            chosenBy = Double.isNaN(cfg.fixedL2()) ? "default (no validation data)" : "fixed";
            FitOutcome f = fit(network, train, trainLabels, held, heldLabels, chosenL2, x, cfg);
            chosen = f.fit;
            chosenX = f.x;
            out.accept(describe(chosen));
            history.add(stats(1, chosen));
        } else {
            double[] grid = cfg.l2Grid().stream().mapToDouble(Double::doubleValue).distinct().toArray();
            Arrays.sort(grid);
            chosen = null;
            chosenX = null;
            int worse = 0;
            for (int k = grid.length - 1; k >= 0; k--) {
                FitOutcome f = fit(network, train, trainLabels, held, heldLabels, grid[k], x, cfg);
                x = f.x;
                search.add(f.fit);
                history.add(stats(search.size(), f.fit));
                out.accept(describe(f.fit));
                if (chosen == null || better(f.fit, chosen)) {
                    chosen = f.fit;
                    chosenX = f.x.clone();
                    worse = 0;
                } else if (++worse >= cfg.gridPatience()) {
                    break;
                }
            }
            chosenL2 = chosen.l2();
            chosenBy = "validation";
        }
        int bestIndex = chosenBy.equals("validation") ? search.indexOf(chosen) + 1 : 1;
        Fit last = chosen;
        if (cfg.refit() && held != null) {
            TrainingSet all = new ConcatenatedTrainingSet(train, held);
            int[] allLabels = new int[all.size()];
            System.arraycopy(trainLabels, 0, allLabels, 0, trainLabels.length);
            System.arraycopy(heldLabels, 0, allLabels, trainLabels.length, heldLabels.length);
            FitOutcome f = fit(network, all, allLabels, null, null, chosenL2, chosenX, cfg);
            last = f.fit;
            chosenX = f.x;
            out.accept("refit on training + validation: " + describe(last));
        }
        HeadObjective.write(chosenX, parameters);
        TrainingResult training = new TrainingResult(bestIndex, "accuracy", history, false);
        return new Result(search, chosenL2, chosenBy, chosen, last, training);
    }

    private record FitOutcome(Fit fit, double[] x) {
    }

    private static FitOutcome fit(Layer network, TrainingSet set, int[] labels, TrainingSet held, int[] heldLabels,
                                  double l2, double[] start, Config cfg) {
        long t0 = System.nanoTime();
        SoftmaxCrossEntropy loss = cfg.classWeighting() == TrainerConfig.ClassWeighting.BALANCED
                ? new SoftmaxCrossEntropy(Trainer.balancedWeights(labels, network.outputSize()))
                : new SoftmaxCrossEntropy(network.outputSize());
        Lbfgs.Result r;
        try (HeadObjective objective = new HeadObjective(network, set, labels, loss, l2, cfg.threads())) {
            r = Lbfgs.minimize(objective, start,
                    new Lbfgs.Settings(cfg.memory(), cfg.maxIterations(), cfg.gradientTolerance()));
        }
        HeadObjective.write(r.x(), network.parameters());
        double[] evaluation = held == null ? new double[] {Double.NaN, Double.NaN} : evaluate(network, held, heldLabels);
        Fit fit = new Fit(l2, set.size(), r.iterations(), r.evaluations(), r.value(), r.gradientNorm(), r.termination(),
                evaluation[0], evaluation[1], (System.nanoTime() - t0) / 1e9);
        return new FitOutcome(fit, r.x());
    }

    /** Higher validation accuracy; on a tie the lower validation loss; on a tie the stronger penalty (seen first). */
    private static boolean better(Fit a, Fit b) {
        if (a.validationMetric() != b.validationMetric()) {
            return a.validationMetric() > b.validationMetric();
        }
        return a.validationLoss() < b.validationLoss();
    }

    private static EpochStats stats(int index, Fit f) {
        double perSecond = (double) f.examples() * f.evaluations() / Math.max(f.seconds(), 1e-9);
        return new EpochStats(index, f.objective(), f.validationLoss(), f.validationMetric(), perSecond, f.seconds(), 0);
    }

    private static String describe(Fit f) {
        String validation = Double.isNaN(f.validationMetric()) ? ""
                : String.format(java.util.Locale.ROOT, ", validation accuracy %.4f, loss %.4f", f.validationMetric(),
                        f.validationLoss());
        return String.format(java.util.Locale.ROOT, "l-bfgs λ=%.0e on %d examples: %d iterations (%d evaluations, %s),"
                        + " objective %.5f, |gradient| %.2e%s, %.1f s",
                f.l2(), f.examples(), f.iterations(), f.evaluations(),
                f.termination().name().toLowerCase(java.util.Locale.ROOT), f.objective(), f.gradientNorm(), validation,
                f.seconds());
    }

    /** {@code {loss, accuracy}} of the network on {@code set}. */
    static double[] evaluate(Layer network, TrainingSet set, int[] labels) {
        int features = network.inputSize();
        int classes = network.outputSize();
        int n = set.size();
        int chunk = Math.min(HeadObjective.CHUNK, n);
        float[] buffer = new float[chunk * features];
        float[] out = new float[chunk * classes];
        int[] chunkLabels = new int[chunk];
        SoftmaxCrossEntropy ce = new SoftmaxCrossEntropy(classes);
        double lossSum = 0;
        long correct = 0;
        for (int from = 0; from < n; from += chunk) {
            int rows = Math.min(chunk, n - from);
            for (int r = 0; r < rows; r++) {
                set.features(from + r, buffer, r * features);
                chunkLabels[r] = labels[from + r];
            }
            network.apply(buffer, rows, out);
            LossResult l = ce.compute(out, rows, chunkLabels);
            lossSum += l.loss() * l.weight();
            for (int r = 0; r < rows; r++) {
                if (Softmax.argmax(out, r * classes, classes) == chunkLabels[r]) {
                    correct++;
                }
            }
        }
        return new double[] {lossSum / n, (double) correct / n};
    }

    /** Only linear layers, optionally after one layer mix: what this trainer's objective is made for. */
    private static void checkLinear(Layer network) {
        List<Layer> layers = network instanceof Sequential s ? s.layers() : List.of(network);
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            boolean ok = l instanceof Linear && i == layers.size() - 1 || l instanceof LayerMix && i == 0;
            if (!ok) {
                throw new IllegalArgumentException("l-bfgs trainer: trains a linear head (optionally over a layer mix), not "
                        + network + "; use the AdamW trainer for hidden layers and dropout");
            }
        }
    }

    /** Zeroes the linear layers' parameters (a layer mix keeps its fixed initial state): the start is not random. */
    private static void startFromZero(Layer network) {
        List<Layer> layers = network instanceof Sequential s ? s.layers() : List.of(network);
        for (Layer l : layers) {
            if (l instanceof Linear) {
                for (Parameter p : l.parameters()) {
                    Arrays.fill(p.values(), 0f);
                }
            }
        }
    }

    private static void checkSet(String what, TrainingSet set, int features) {
        if (set.featureSize() != features) {
            throw new IllegalArgumentException("l-bfgs trainer: the " + what + " has " + set.featureSize()
                    + " features per example but the network takes " + features);
        }
        if (set.size() == 0) {
            throw new IllegalArgumentException("l-bfgs trainer: the " + what + " is empty");
        }
    }

    private static int[] labels(String what, TrainingSet set, int classes) {
        int[] labels = new int[set.size()];
        for (int i = 0; i < labels.length; i++) {
            int y = set.label(i);
            if (y < 0 || y >= classes) {
                throw new IllegalArgumentException("l-bfgs trainer: label " + y + " of " + what + " example " + i
                        + " is outside the network's " + classes + " classes");
            }
            labels[i] = y;
        }
        return labels;
    }

    /** Two training sets one after the other. */
    private record ConcatenatedTrainingSet(TrainingSet first, TrainingSet second) implements TrainingSet {
        @Override
        public int size() {
            return first.size() + second.size();
        }

        @Override
        public int featureSize() {
            return first.featureSize();
        }

        @Override
        public void features(int row, float[] dst, int offset) {
            if (row < first.size()) {
                first.features(row, dst, offset);
            } else {
                second.features(row - first.size(), dst, offset);
            }
        }

        @Override
        public int label(int row) {
            return row < first.size() ? first.label(row) : second.label(row - first.size());
        }
    }
}
