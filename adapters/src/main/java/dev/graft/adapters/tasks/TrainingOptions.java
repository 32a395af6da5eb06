package dev.graft.adapters.tasks;

import dev.graft.adapters.features.FeatureCache;
import dev.graft.adapters.head.LayerSelection;
import dev.graft.adapters.train.LbfgsTrainer;
import dev.graft.adapters.train.TrainerConfig;
import dev.graft.adapters.train.TrainingListener;
import dev.graft.core.backbone.Pooling;
import java.io.PrintStream;
import java.util.Objects;

/**
 * How to train a head on frozen features: the head's architecture choices, the optimiser settings, where the
 * feature cache lives and where progress goes.
 *
 * @param layers          which hidden states the head reads (last, one layer, or a learned mix)
 * @param pooling         sentence pooling for classification / regression heads
 * @param hiddenSize      0 for a linear head, else the MLP's hidden width
 * @param activation      MLP activation
 * @param dropout         dropout while training
 * @param trainer         epochs, batch, learning rate, weight decay, seed, patience, loss, validation fraction
 * @param extractionBatch inputs per backbone pass while extracting features
 * @param cache           the feature cache
 * @param log             where extraction progress and summaries are written (stderr in the CLI)
 * @param listener        training progress (a progress bar in the CLI)
 * @param optimizer       how a head alone is trained: {@code AUTO} (L-BFGS for linear heads, see
 *                        {@link #resolvedOptimizer()}), {@code ADAMW} or {@code LBFGS}
 * @param lbfgs           the L-BFGS trainer's settings (λ grid or fixed λ, iterations, tolerance)
 */
public record TrainingOptions(LayerSelection layers, Pooling pooling, int hiddenSize, String activation, float dropout,
                              TrainerConfig trainer, int extractionBatch, FeatureCache cache, PrintStream log,
                              TrainingListener listener, HeadOptimizer optimizer, LbfgsTrainer.Config lbfgs) {

    public TrainingOptions {
        Objects.requireNonNull(layers, "layers");
        Objects.requireNonNull(pooling, "pooling");
        Objects.requireNonNull(trainer, "trainer");
        Objects.requireNonNull(cache, "cache");
        listener = Objects.requireNonNullElse(listener, TrainingListener.NONE);
        activation = Objects.requireNonNullElse(activation, "gelu");
        optimizer = Objects.requireNonNullElse(optimizer, HeadOptimizer.AUTO);
        Objects.requireNonNull(lbfgs, "lbfgs");
        if (extractionBatch < 1) {
            throw new IllegalArgumentException("extraction batch must be ≥ 1, got " + extractionBatch);
        }
    }

    /** A linear head on mean-pooled last-layer states, {@link TrainerConfig#defaults()}, the default cache, quiet. */
    public static TrainingOptions defaults() {
        return new TrainingOptions(LayerSelection.LAST, Pooling.MEAN, 0, "gelu", 0f, TrainerConfig.defaults(), 32,
                FeatureCache.defaultCache(), null, TrainingListener.NONE, HeadOptimizer.AUTO, LbfgsTrainer.Config.defaults());
    }

    public TrainingOptions withLayers(LayerSelection v) {
        return new TrainingOptions(v, pooling, hiddenSize, activation, dropout, trainer, extractionBatch, cache, log, listener, optimizer, lbfgs);
    }

    public TrainingOptions withPooling(Pooling v) {
        return new TrainingOptions(layers, v, hiddenSize, activation, dropout, trainer, extractionBatch, cache, log, listener, optimizer, lbfgs);
    }

    public TrainingOptions withHidden(int size, String act) {
        return new TrainingOptions(layers, pooling, size, act, dropout, trainer, extractionBatch, cache, log, listener, optimizer, lbfgs);
    }

    public TrainingOptions withDropout(float v) {
        return new TrainingOptions(layers, pooling, hiddenSize, activation, v, trainer, extractionBatch, cache, log, listener, optimizer, lbfgs);
    }

    public TrainingOptions withTrainer(TrainerConfig v) {
        return new TrainingOptions(layers, pooling, hiddenSize, activation, dropout, v, extractionBatch, cache, log, listener, optimizer, lbfgs);
    }

    public TrainingOptions withCache(FeatureCache v) {
        return new TrainingOptions(layers, pooling, hiddenSize, activation, dropout, trainer, extractionBatch, v, log, listener, optimizer, lbfgs);
    }

    public TrainingOptions withLog(PrintStream v) {
        return new TrainingOptions(layers, pooling, hiddenSize, activation, dropout, trainer, extractionBatch, cache, v, listener, optimizer, lbfgs);
    }

    public TrainingOptions withListener(TrainingListener v) {
        return new TrainingOptions(layers, pooling, hiddenSize, activation, dropout, trainer, extractionBatch, cache, log, v, optimizer, lbfgs);
    }

    public TrainingOptions withOptimizer(HeadOptimizer v) {
        return new TrainingOptions(layers, pooling, hiddenSize, activation, dropout, trainer, extractionBatch, cache, log, listener, v, lbfgs);
    }

    public TrainingOptions withLbfgs(LbfgsTrainer.Config v) {
        return new TrainingOptions(layers, pooling, hiddenSize, activation, dropout, trainer, extractionBatch, cache, log, listener, optimizer, v);
    }

    /**
     * The optimiser a head-only run uses: {@link #optimizer()} unless it is {@code AUTO}, which picks L-BFGS for a
     * linear head on one stage's features (no hidden layer, no dropout, no layer mix) and AdamW otherwise.
     */
    public HeadOptimizer resolvedOptimizer() {
        if (optimizer != HeadOptimizer.AUTO) {
            return optimizer;
        }
        boolean linear = hiddenSize == 0 && dropout == 0f && !(layers instanceof LayerSelection.Mix);
        return linear ? HeadOptimizer.LBFGS : HeadOptimizer.ADAMW;
    }

    void log(String format, Object... args) {
        if (log != null) {
            log.printf(java.util.Locale.ROOT, format + "%n", args);
        }
    }
}
