package dev.graft.adapters.tagging;

import dev.graft.adapters.head.HeadConfig;
import dev.graft.adapters.head.LayerSelection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * A token-classification head: a tag per word, read from the hidden state of the word's first sub-token.
 *
 * @param labels     tags in class-index order (UPOS tags, or BIO entity tags such as B-PER, I-PER, O)
 * @param layers     which hidden states are read (last, one layer, or a learned mix — syntax lives mid-stack)
 * @param hiddenSize MLP hidden width; 0 for the usual linear head
 * @param activation MLP activation: gelu, relu or tanh
 * @param dropout    dropout before each linear layer while training
 */
public record TaggingConfig(List<String> labels, LayerSelection layers, int hiddenSize, String activation, float dropout)
        implements HeadConfig {

    public TaggingConfig {
        Objects.requireNonNull(labels, "labels");
        if (labels.size() < 2) {
            throw new IllegalArgumentException("a tagger needs at least two tags, got " + labels);
        }
        HashSet<String> seen = new HashSet<>();
        for (String l : labels) {
            if (l == null || l.isBlank() || !seen.add(l)) {
                throw new IllegalArgumentException("tags must be unique and non-blank, got " + labels);
            }
        }
        labels = List.copyOf(labels);
        layers = Objects.requireNonNullElse(layers, LayerSelection.LAST);
        activation = Objects.requireNonNullElse(activation, "gelu");
        if (hiddenSize < 0) {
            throw new IllegalArgumentException("hidden_size must be ≥ 0 (0: linear head), got " + hiddenSize);
        }
    }

    /** A linear tagger over last-layer states. */
    public static TaggingConfig of(List<String> labels) {
        return new TaggingConfig(labels, LayerSelection.LAST, 0, "gelu", 0f);
    }

    public TaggingConfig withLayers(LayerSelection l) {
        return new TaggingConfig(labels, l, hiddenSize, activation, dropout);
    }

    public TaggingConfig withHidden(int size, String act) {
        return new TaggingConfig(labels, layers, size, act, dropout);
    }

    public TaggingConfig withDropout(float p) {
        return new TaggingConfig(labels, layers, hiddenSize, activation, p);
    }
}
