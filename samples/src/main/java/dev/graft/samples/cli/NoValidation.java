package dev.graft.samples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.adapters.tasks.TrainedHead;
import dev.graft.adapters.train.EpochStats;
import dev.graft.adapters.train.TrainingListener;
import dev.graft.adapters.train.TrainingResult;
import java.io.PrintStream;
import java.util.Locale;

/**
 * {@code train-head} when no validation examples are left (two rows, one row per label, or
 * {@code --validation-fraction 0}): a warning with the cause and the fix when training starts, every epoch runs
 * (no early stopping), and the saved record says {@code "validation": "none"} where a metric would be, never NaN.
 */
final class NoValidation {
    private NoValidation() {
    }

    /**
     * Forwards everything to {@code progress}; first, when training starts without validation examples, warns on
     * {@code err} why and what to pass.
     *
     * @param task           "classification" (a stratified carve: a label lends rows only when it has 2 or more) or
     *                       "tagging" (whole sentences at random, at least one left for training)
     * @param validationFile the --validation file, or null
     * @param fraction       --validation-fraction
     */
    static TrainingListener warning(TrainingListener progress, PrintStream err, String task, String validationFile,
                                    double fraction) {
        return new TrainingListener() {
            @Override
            public void onStart(int epochs, int batchesPerEpoch, int trainExamples, int validationExamples, String metricName) {
                if (validationExamples == 0) {
                    Cause c = cause(task, validationFile, fraction);
                    err.printf(Locale.ROOT, "warning: no validation examples (%s): training runs all %d epochs (--epochs) without "
                            + "early stopping and records no validation metric. To measure the head and stop early, %s.%n",
                            c.why(), epochs, c.fix());
                }
                progress.onStart(epochs, batchesPerEpoch, trainExamples, validationExamples, metricName);
            }

            @Override
            public void onBatch(int epoch, int batch, int batches, double runningLoss) {
                progress.onBatch(epoch, batch, batches, runningLoss);
            }

            @Override
            public void onEpoch(EpochStats stats, boolean improved) {
                progress.onEpoch(stats, improved);
            }

            @Override
            public void onFinish(TrainingResult result) {
                progress.onFinish(result);
            }
        };
    }

    /** Why a run has no validation examples, and what to pass instead. */
    record Cause(String why, String fix) {
    }

    /**
     * @param task           "classification" (a stratified carve: a label lends rows only when it has 2 or more) or
     *                       "tagging" (whole sentences at random, at least one left for training)
     * @param validationFile the --validation file, or null
     * @param fraction       --validation-fraction
     */
    static Cause cause(String task, String validationFile, double fraction) {
        boolean tagging = task.equals("tagging");
        String why = validationFile != null ? "--validation " + validationFile + " holds no examples"
                : fraction == 0 ? "--validation-fraction is 0"
                : tagging ? String.format(Locale.ROOT, "the --validation-fraction %s share of the "
                        + "training sentences is empty (whole sentences are held out at random, the share is "
                        + "rounded, and at least one sentence stays for training)", fraction)
                : String.format(Locale.ROOT, "the --validation-fraction %s share of the training data is empty "
                        + "(a label lends validation rows only when it has at least 2, and the share is rounded)",
                fraction);
        String fix = validationFile != null ? "pass a --validation file with examples"
                : fraction == 0 ? "pass --validation FILE or a --validation-fraction above 0"
                : tagging ? "pass --validation FILE, or give more sentences or a larger --validation-fraction"
                : "pass --validation FILE, or give every label more rows";
        return new Cause(why, fix);
    }

    /**
     * An L-BFGS run (which has no epochs to warn at) that found no validation examples to choose its L2 strength on:
     * says so on {@code err}, naming the default strength it used. Silent for a validated run or a fixed {@code --l2}.
     */
    static void warnIfLbfgsHadNoValidation(TrainedHead trained, PrintStream err, String task, String validationFile,
                                           double fraction) {
        JsonNode lbfgs = trained.record().path("lbfgs");
        if (lbfgs.path("chosen_by").asText().startsWith("default")) {
            Cause c = cause(task, validationFile, fraction);
            err.printf(Locale.ROOT, "warning: no validation examples (%s): the L2 strength was not chosen on validation "
                    + "(the default %s was used) and no validation metric is recorded. To choose it and measure the head, "
                    + "%s, or fix it with --l2.%n", c.why(), lbfgs.path("chosen_l2").asDouble(), c.fix());
        }
    }

    /** Whether the run had validation examples (a finite or infinite metric, not NaN). */
    static boolean validated(TrainingResult result) {
        return !Double.isNaN(result.bestMetric());
    }

    /** Replaces the NaN metrics of an unvalidated run's record with {@code "validation": "none"} and nulls. */
    static void record(TrainedHead trained) {
        if (validated(trained.result())) {
            return;
        }
        ObjectNode r = trained.record();
        r.put("validation", "none");
        r.put("validation_examples", 0);
        r.putNull("best_validation_metric");
        for (JsonNode epoch : r.path("history")) {
            if (epoch instanceof ObjectNode e) {
                e.putNull("validation_loss");
                e.putNull("validation_metric");
            }
        }
    }

    /** "best epoch 7, validation accuracy 0.9123" or "8 epochs, no validation". */
    static String describe(TrainingResult result) {
        if (validated(result)) {
            return String.format(Locale.ROOT, "best epoch %d, validation %s %.4f", result.bestEpoch(),
                    result.metricName(), result.bestMetric());
        }
        return String.format(Locale.ROOT, "%d epoch%s, no validation", result.epochsRun(), result.epochsRun() == 1 ? "" : "s");
    }
}
