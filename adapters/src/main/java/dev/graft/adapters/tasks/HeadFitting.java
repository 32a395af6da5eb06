package dev.graft.adapters.tasks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.adapters.features.FeatureCache;
import dev.graft.adapters.features.FeatureFile;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.head.Json;
import dev.graft.adapters.train.EpochStats;
import dev.graft.adapters.train.LbfgsTrainer;
import dev.graft.adapters.train.Splits;
import dev.graft.adapters.train.ProgressText;
import dev.graft.adapters.train.StepProgress;
import dev.graft.adapters.train.Trainer;
import dev.graft.adapters.train.TrainerConfig;
import dev.graft.adapters.train.TrainingResult;
import dev.graft.adapters.train.TrainingSet;

/** What training any head on cached features shares: the extraction log line, the trainer call, the record. */
final class HeadFitting {
    private HeadFitting() {
    }

    static FeatureCache.Progress progress(TrainingOptions o, String what) {
        if (o.log() == null) {
            return FeatureCache.Progress.NONE;
        }
        StepProgress progress = new StepProgress(o.log(), "extracting " + what + " features", "input", "inputs");
        return progress::update;
    }

    static void logFeatures(TrainingOptions o, String what, FeatureFile f, long t0) {
        o.log("%s features: %s of [%d, %d], %s in %.1f s (%s)", what, ProgressText.count(f.rows(), "row", "rows"),
                f.stages(), f.hidden(),
                f.fromCache() ? "read from the cache" : "extracted", (System.nanoTime() - t0) / 1e9, f.path());
    }

    /** A head-only training run: the AdamW history, or the L-BFGS search (with its history-shaped summary). */
    record Fitted(TrainingResult result, LbfgsTrainer.Result lbfgs) {
    }

    /**
     * Trains {@code head} with {@link TrainingOptions#resolvedOptimizer()}. With L-BFGS and no validation set, the
     * options' fraction of {@code train} (a seeded stratified split) is held out to choose λ on, and the final fit
     * uses every training example.
     */
    static Fitted fit(Head head, TrainingSet train, TrainingSet validation, TrainingOptions o) {
        boolean crossEntropy = o.trainer().loss() == TrainerConfig.LossKind.CROSS_ENTROPY;
        if (o.optimizer() == HeadOptimizer.LBFGS && !crossEntropy) {
            throw new IllegalArgumentException("L-BFGS trains classification and tagging heads (cross-entropy), not "
                    + o.trainer().loss() + " heads; use AdamW");
        }
        if (o.resolvedOptimizer() != HeadOptimizer.LBFGS || !crossEntropy) {
            return new Fitted(new Trainer().train(head.network(), train, validation, o.trainer(), o.listener()), null);
        }
        TrainingSet fitOn = train;
        TrainingSet held = validation;
        boolean searching = Double.isNaN(o.lbfgs().fixedL2());
        if (held == null && searching && o.trainer().validationFraction() > 0) {
            int[] labels = new int[train.size()];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = train.label(i);
            }
            Splits.Split split = Splits.stratified(labels, o.trainer().validationFraction(), o.trainer().seed());
            fitOn = Splits.subset(train, split.train());
            held = Splits.subset(train, split.validation());
        }
        LbfgsTrainer.Config cfg = o.lbfgs().withClassWeighting(o.trainer().classWeighting());
        LbfgsTrainer.Result r = new LbfgsTrainer().train(head.network(), fitOn, held, cfg,
                o.log() == null ? null : line -> o.log("%s", line));
        return new Fitted(r.training(), r);
    }

    static ObjectNode record(String task, Head head, Fitted fitted, TrainingOptions o, int trainExamples,
                             int trainRows, int validationExamples, boolean fromCache, int maxLength) {
        ObjectNode r = record(task, head, fitted.result(), o, trainExamples, trainRows, validationExamples, fromCache,
                maxLength, fitted.lbfgs() == null);
        if (fitted.lbfgs() != null) {
            r.set("lbfgs", lbfgsRecord(fitted.lbfgs(), o.lbfgs()));
        }
        return r;
    }

    static ObjectNode record(String task, Head head, TrainingResult result, TrainingOptions o, int trainExamples,
                             int trainRows, int validationExamples, boolean fromCache, int maxLength) {
        return record(task, head, result, o, trainExamples, trainRows, validationExamples, fromCache, maxLength, true);
    }

    /** What the L-BFGS run chose and how: the λ grid, each fit's validation figures, iterations, gradient norms. */
    private static ObjectNode lbfgsRecord(LbfgsTrainer.Result r, LbfgsTrainer.Config cfg) {
        ObjectNode n = Json.mapper().createObjectNode();
        var grid = n.putArray("l2_grid");
        cfg.l2Grid().forEach(grid::add);
        n.put("max_iterations", cfg.maxIterations());
        n.put("gradient_tolerance", cfg.gradientTolerance());
        n.put("memory", cfg.memory());
        n.put("chosen_l2", r.chosenL2());
        n.put("chosen_by", r.chosenBy());
        var search = n.putArray("search");
        for (LbfgsTrainer.Fit f : r.search()) {
            search.add(fit(f));
        }
        n.set("chosen", fit(r.chosen()));
        n.set("final", fit(r.last()));
        return n;
    }

    private static ObjectNode fit(LbfgsTrainer.Fit f) {
        ObjectNode n = Json.mapper().createObjectNode();
        n.put("l2", f.l2());
        n.put("examples", f.examples());
        n.put("iterations", f.iterations());
        n.put("evaluations", f.evaluations());
        n.put("termination", f.termination().name().toLowerCase(java.util.Locale.ROOT));
        n.put("objective", f.objective());
        n.put("gradient_norm", f.gradientNorm());
        if (!Double.isNaN(f.validationMetric())) {
            n.put("validation_accuracy", f.validationMetric());
            n.put("validation_loss", f.validationLoss());
        }
        n.put("seconds", f.seconds());
        return n;
    }

    private static ObjectNode record(String task, Head head, TrainingResult result, TrainingOptions o, int trainExamples,
                                     int trainRows, int validationExamples, boolean fromCache, int maxLength,
                                     boolean adamw) {
        ObjectNode r = Json.mapper().createObjectNode();
        r.put("task", task);
        r.put("train_examples", trainExamples);
        r.put("train_rows", trainRows);
        r.put("validation_examples", validationExamples);
        r.put("max_length", maxLength);
        r.put("optimizer", adamw ? "adamw" : "lbfgs");
        if (adamw) {
            r.set("trainer", Json.mapper().valueToTree(o.trainer()));
        }
        r.put("parameters", head.parameterCount());
        r.put("validation_metric", result.metricName());
        r.put("best_validation_metric", result.bestMetric());
        r.put("features_from_cache", fromCache);
        if (adamw) {
            r.put("best_epoch", result.bestEpoch());
            r.put("epochs_run", result.epochsRun());
            r.put("stopped_early", result.stoppedEarly());
            var history = r.putArray("history");
            for (EpochStats e : result.history()) {
                history.add(Json.mapper().valueToTree(e));
            }
        }
        return r;
    }
}
