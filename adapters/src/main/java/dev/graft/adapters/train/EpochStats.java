package dev.graft.adapters.train;

/**
 * One epoch of a training run.
 *
 * @param epoch              1-based epoch number
 * @param trainLoss          mean training loss over the epoch's batches (parameters changing as it goes)
 * @param validationLoss     loss on the validation set after the epoch ({@code NaN} without a validation set)
 * @param validationMetric   accuracy (cross-entropy) or Pearson correlation (MSE) on the validation set after the
 *                           epoch; higher is better ({@code NaN} without a validation set)
 * @param examplesPerSecond  training throughput of the epoch (forward, backward and update; excludes validation)
 * @param seconds            wall time of the epoch including validation
 * @param learningRate       the learning rate the epoch trained with
 */
public record EpochStats(int epoch, double trainLoss, double validationLoss, double validationMetric,
                         double examplesPerSecond, double seconds, double learningRate) {
}
