package dev.graft.adapters.regression;

import dev.graft.adapters.head.HeadConfig;
import dev.graft.adapters.head.LayerSelection;
import dev.graft.core.backbone.Pooling;
import java.util.Objects;

/**
 * A regression head: one real score per text — or per text pair, when the composed model is called with pairs
 * ({@code [CLS] a [SEP] b [SEP]} in one sequence, like a cross-encoder).
 *
 * @param pooling    how token states become one vector
 * @param layers     which hidden states are pooled
 * @param hiddenSize MLP hidden width; 0 for a linear head
 * @param activation MLP activation: gelu, relu or tanh
 * @param dropout    dropout before each linear layer while training
 */
public record RegressionConfig(Pooling pooling, LayerSelection layers, int hiddenSize, String activation, float dropout)
        implements HeadConfig {

    public RegressionConfig {
        pooling = Objects.requireNonNullElse(pooling, Pooling.MEAN);
        layers = Objects.requireNonNullElse(layers, LayerSelection.LAST);
        activation = Objects.requireNonNullElse(activation, "gelu");
        if (hiddenSize < 0) {
            throw new IllegalArgumentException("hidden_size must be ≥ 0 (0: linear head), got " + hiddenSize);
        }
    }

    /** A linear score over mean-pooled last-layer states. */
    public static RegressionConfig linear() {
        return new RegressionConfig(Pooling.MEAN, LayerSelection.LAST, 0, "gelu", 0f);
    }
}
