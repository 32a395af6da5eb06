package dev.graft.adapters.tasks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.adapters.features.FeatureCache;
import dev.graft.adapters.features.FeatureFile;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.head.Json;
import dev.graft.adapters.train.EpochStats;
import dev.graft.adapters.train.ProgressText;
import dev.graft.adapters.train.StepProgress;
import dev.graft.adapters.train.Trainer;
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

    static TrainingResult fit(Head head, TrainingSet train, TrainingSet validation, TrainingOptions o) {
        return new Trainer().train(head.network(), train, validation, o.trainer(), o.listener());
    }

    static ObjectNode record(String task, Head head, TrainingResult result, TrainingOptions o, int trainExamples,
                             int trainRows, int validationExamples, boolean fromCache, int maxLength) {
        ObjectNode r = Json.mapper().createObjectNode();
        r.put("task", task);
        r.put("train_examples", trainExamples);
        r.put("train_rows", trainRows);
        r.put("validation_examples", validationExamples);
        r.put("max_length", maxLength);
        r.set("trainer", Json.mapper().valueToTree(o.trainer()));
        r.put("parameters", head.parameterCount());
        r.put("best_epoch", result.bestEpoch());
        r.put("epochs_run", result.epochsRun());
        r.put("stopped_early", result.stoppedEarly());
        r.put("validation_metric", result.metricName());
        r.put("best_validation_metric", result.bestMetric());
        r.put("features_from_cache", fromCache);
        var history = r.putArray("history");
        for (EpochStats e : result.history()) {
            history.add(Json.mapper().valueToTree(e));
        }
        return r;
    }
}
