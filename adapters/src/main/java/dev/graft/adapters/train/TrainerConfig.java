package dev.graft.adapters.train;

/**
 * How {@link Trainer} trains a head. Start from {@link #defaults()} and change what you need with the
 * {@code with…} methods.
 *
 * @param epochs             maximum number of passes over the training set
 * @param batchSize          examples per optimiser step
 * @param learningRate       AdamW's initial learning rate
 * @param weightDecay        AdamW decoupled weight decay, applied to weight matrices only
 * @param seed               seeds the shuffles, the validation split and dropout: same seed + same data + same
 *                           initial parameters give bit-identical results
 * @param patience           stop after this many epochs without a better validation metric
 * @param loss               the loss, which also picks the validation metric (accuracy / Pearson correlation)
 * @param classWeighting     whether cross-entropy weights classes by inverse frequency
 * @param validationFraction share of the training set carved out (stratified by class for cross-entropy) as
 *                           the validation set when none is given; 0 trains on everything without early stopping
 * @param maxGradNorm        global gradient-norm clipping threshold; 0 disables clipping
 * @param plateauEpochs      halve the learning rate after this many epochs without a better validation metric
 *                           (PyTorch's ReduceLROnPlateau with factor 0.5); 0 keeps it constant
 */
public record TrainerConfig(int epochs, int batchSize, double learningRate, double weightDecay, long seed, int patience,
                            LossKind loss, ClassWeighting classWeighting, double validationFraction, double maxGradNorm,
                            int plateauEpochs) {

    /** The training loss. */
    public enum LossKind {
        /** Softmax cross-entropy over class logits; validation metric: accuracy. */
        CROSS_ENTROPY,
        /** Mean squared error against a regression target; validation metric: Pearson correlation. */
        MSE
    }

    /** Class weights for cross-entropy. */
    public enum ClassWeighting {
        NONE,
        /** {@code n / (classes × count_c)} per class, as scikit-learn's {@code class_weight="balanced"}. */
        BALANCED
    }

    public TrainerConfig {
        if (epochs < 1) {
            throw new IllegalArgumentException("trainer config: epochs must be >= 1, got " + epochs);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("trainer config: batchSize must be >= 1, got " + batchSize);
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("trainer config: learningRate must be positive and finite, got " + learningRate);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("trainer config: weightDecay must be finite and >= 0, got " + weightDecay);
        }
        if (patience < 1) {
            throw new IllegalArgumentException("trainer config: patience must be >= 1, got " + patience);
        }
        if (loss == null || classWeighting == null) {
            throw new IllegalArgumentException("trainer config: loss and classWeighting must be set");
        }
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("trainer config: validationFraction must be in [0, 1), got " + validationFraction);
        }
        if (plateauEpochs < 0) {
            throw new IllegalArgumentException("trainer config: plateauEpochs must be >= 0, got " + plateauEpochs);
        }
        if (!(maxGradNorm >= 0) || Double.isInfinite(maxGradNorm)) {
            throw new IllegalArgumentException("trainer config: maxGradNorm must be finite and >= 0, got " + maxGradNorm);
        }
    }

    /**
     * 100 epochs at most, batch 32, learning rate 1e-3 halved after every 2 epochs without improvement, weight
     * decay 0.01, seed 42, patience 6, cross-entropy, no class weighting, 10 % validation split, no clipping.
     */
    public static TrainerConfig defaults() {
        return new TrainerConfig(100, 32, 1e-3, 0.01, 42, 6, LossKind.CROSS_ENTROPY, ClassWeighting.NONE, 0.1, 0, 2);
    }

    public TrainerConfig withEpochs(int v) {
        return new TrainerConfig(v, batchSize, learningRate, weightDecay, seed, patience, loss, classWeighting, validationFraction, maxGradNorm, plateauEpochs);
    }

    public TrainerConfig withBatchSize(int v) {
        return new TrainerConfig(epochs, v, learningRate, weightDecay, seed, patience, loss, classWeighting, validationFraction, maxGradNorm, plateauEpochs);
    }

    public TrainerConfig withLearningRate(double v) {
        return new TrainerConfig(epochs, batchSize, v, weightDecay, seed, patience, loss, classWeighting, validationFraction, maxGradNorm, plateauEpochs);
    }

    public TrainerConfig withWeightDecay(double v) {
        return new TrainerConfig(epochs, batchSize, learningRate, v, seed, patience, loss, classWeighting, validationFraction, maxGradNorm, plateauEpochs);
    }

    public TrainerConfig withSeed(long v) {
        return new TrainerConfig(epochs, batchSize, learningRate, weightDecay, v, patience, loss, classWeighting, validationFraction, maxGradNorm, plateauEpochs);
    }

    public TrainerConfig withPatience(int v) {
        return new TrainerConfig(epochs, batchSize, learningRate, weightDecay, seed, v, loss, classWeighting, validationFraction, maxGradNorm, plateauEpochs);
    }

    public TrainerConfig withLoss(LossKind v) {
        return new TrainerConfig(epochs, batchSize, learningRate, weightDecay, seed, patience, v, classWeighting, validationFraction, maxGradNorm, plateauEpochs);
    }

    public TrainerConfig withClassWeighting(ClassWeighting v) {
        return new TrainerConfig(epochs, batchSize, learningRate, weightDecay, seed, patience, loss, v, validationFraction, maxGradNorm, plateauEpochs);
    }

    public TrainerConfig withValidationFraction(double v) {
        return new TrainerConfig(epochs, batchSize, learningRate, weightDecay, seed, patience, loss, classWeighting, v, maxGradNorm, plateauEpochs);
    }

    public TrainerConfig withPlateauEpochs(int v) {
        return new TrainerConfig(epochs, batchSize, learningRate, weightDecay, seed, patience, loss, classWeighting, validationFraction, maxGradNorm, v);
    }

    public TrainerConfig withMaxGradNorm(double v) {
        return new TrainerConfig(epochs, batchSize, learningRate, weightDecay, seed, patience, loss, classWeighting, validationFraction, v, plateauEpochs);
    }
}
