package dev.graft.adapters.train;

import java.util.List;

/**
 * The outcome of {@link Trainer#train}: the network's parameters are those of {@link #bestEpoch()}.
 *
 * @param bestEpoch    1-based epoch whose parameters were restored (the last epoch without validation)
 * @param metricName   what {@link EpochStats#validationMetric()} measures ("accuracy" or "pearson")
 * @param history      one entry per epoch run, in order
 * @param stoppedEarly whether training stopped before the configured number of epochs
 */
public record TrainingResult(int bestEpoch, String metricName, List<EpochStats> history, boolean stoppedEarly) {

    public TrainingResult {
        history = List.copyOf(history);
        if (history.isEmpty() || bestEpoch < 1 || bestEpoch > history.size()) {
            throw new IllegalArgumentException("training result: best epoch " + bestEpoch + " outside the " + history.size()
                    + " epochs run");
        }
    }

    /** The statistics of the best epoch. */
    public EpochStats best() {
        return history.get(bestEpoch - 1);
    }

    /** The best epoch's validation metric ({@code NaN} without validation). */
    public double bestMetric() {
        return best().validationMetric();
    }

    public int epochsRun() {
        return history.size();
    }
}
