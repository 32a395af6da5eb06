package dev.graft.adapters.embedding;

import dev.graft.adapters.head.HeadConfig;
import dev.graft.adapters.head.LayerSelection;
import dev.graft.core.backbone.Pooling;
import java.util.Objects;

/**
 * A sentence-embedding head: the pooled hidden state, optionally through a learned linear projection, optionally
 * scaled to unit length (then a dot product is the cosine similarity).
 *
 * @param pooling    how token states become one vector
 * @param layers     which hidden states are pooled
 * @param projection output width of a learned projection; 0 for none (the pooled state itself)
 * @param normalize  scale every embedding to unit L2 norm
 */
public record EmbeddingConfig(Pooling pooling, LayerSelection layers, int projection, boolean normalize)
        implements HeadConfig {

    public EmbeddingConfig {
        pooling = Objects.requireNonNullElse(pooling, Pooling.MEAN);
        layers = Objects.requireNonNullElse(layers, LayerSelection.LAST);
        if (projection < 0) {
            throw new IllegalArgumentException("projection must be ≥ 0 (0: none), got " + projection);
        }
    }

    /** Normalised mean-pooled last-layer states: sentence-transformers' recipe for MiniLM. */
    public static EmbeddingConfig meanPooled() {
        return new EmbeddingConfig(Pooling.MEAN, LayerSelection.LAST, 0, true);
    }
}
