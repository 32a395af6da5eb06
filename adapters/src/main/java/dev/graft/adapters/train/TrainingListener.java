package dev.graft.adapters.train;

/** Receives a training run's progress (for progress bars and logs). All methods default to doing nothing. */
public interface TrainingListener {

    /** A listener that ignores everything. */
    TrainingListener NONE = new TrainingListener() {
    };

    /** Before the first epoch. */
    default void onStart(int epochs, int batchesPerEpoch, int trainExamples, int validationExamples, String metricName) {
    }

    /**
     * After each optimiser step.
     *
     * @param batch       1-based batch number within the epoch
     * @param runningLoss mean training loss of the epoch so far
     */
    default void onBatch(int epoch, int batch, int batches, double runningLoss) {
    }

    /** After each epoch's validation. */
    default void onEpoch(EpochStats stats, boolean improved) {
    }

    /** After the best parameters were restored. */
    default void onFinish(TrainingResult result) {
    }
}
