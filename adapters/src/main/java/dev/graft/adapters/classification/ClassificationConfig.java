package dev.graft.adapters.classification;

import dev.graft.adapters.head.HeadConfig;
import dev.graft.adapters.head.LayerSelection;
import dev.graft.core.backbone.Pooling;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * A sequence-classification head: the text's pooled hidden state, through a linear layer (or a small MLP when
 * {@code hiddenSize > 0}), to a probability per label.
 *
 * @param labels     class labels in class-index order (at least two, unique, non-blank)
 * @param pooling    how token states become one vector
 * @param layers     which hidden states are pooled (last, one layer, or a learned mix)
 * @param hiddenSize MLP hidden width; 0 for a linear head
 * @param activation MLP activation: gelu, relu or tanh
 * @param dropout    dropout before each linear layer while training
 */
public record ClassificationConfig(List<String> labels, Pooling pooling, LayerSelection layers, int hiddenSize,
                                   String activation, float dropout) implements HeadConfig {

    public ClassificationConfig {
        labels = checkLabels(labels);
        pooling = Objects.requireNonNullElse(pooling, Pooling.MEAN);
        layers = Objects.requireNonNullElse(layers, LayerSelection.LAST);
        activation = Objects.requireNonNullElse(activation, "gelu");
        if (hiddenSize < 0) {
            throw new IllegalArgumentException("hidden_size must be ≥ 0 (0: linear head), got " + hiddenSize);
        }
    }

    /** A linear head over mean-pooled last-layer states. */
    public static ClassificationConfig of(List<String> labels) {
        return new ClassificationConfig(labels, Pooling.MEAN, LayerSelection.LAST, 0, "gelu", 0f);
    }

    public ClassificationConfig withPooling(Pooling p) {
        return new ClassificationConfig(labels, p, layers, hiddenSize, activation, dropout);
    }

    public ClassificationConfig withLayers(LayerSelection l) {
        return new ClassificationConfig(labels, pooling, l, hiddenSize, activation, dropout);
    }

    /** An MLP head: one hidden layer of {@code size} with {@code act}. */
    public ClassificationConfig withHidden(int size, String act) {
        return new ClassificationConfig(labels, pooling, layers, size, act, dropout);
    }

    public ClassificationConfig withDropout(float p) {
        return new ClassificationConfig(labels, pooling, layers, hiddenSize, activation, p);
    }

    static List<String> checkLabels(List<String> labels) {
        Objects.requireNonNull(labels, "labels");
        if (labels.size() < 2) {
            throw new IllegalArgumentException("a classifier needs at least two labels, got " + labels);
        }
        HashSet<String> seen = new HashSet<>();
        for (String l : labels) {
            if (l == null || l.isBlank()) {
                throw new IllegalArgumentException("labels must be non-blank, got " + labels);
            }
            if (!seen.add(l)) {
                throw new IllegalArgumentException("label '" + l + "' appears twice");
            }
        }
        return List.copyOf(labels);
    }
}
