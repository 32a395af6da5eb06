package dev.graft.adapters.head;

import dev.graft.core.backbone.Pooling;
import java.util.Objects;

/**
 * What a head reads from the backbone pass, as rows of floats. Heads that ask for the same kind share one
 * computation per call (eight intent heads over mean-pooled last-layer states pool once).
 */
public sealed interface FeatureKind {

    LayerSelection layers();

    /** Floats per row for a backbone with the given shape: stages × hidden. */
    default int rowSize(BackboneInfo backbone) {
        return layers().stages(backbone.numLayers()).length * backbone.hiddenSize();
    }

    /** One row per text: each selected stage pooled, stages concatenated (stage-major). */
    record Pooled(Pooling pooling, LayerSelection layers) implements FeatureKind {
        public Pooled {
            Objects.requireNonNull(pooling, "pooling");
            Objects.requireNonNull(layers, "layers");
        }
    }

    /** One row per word: the state of the word's first sub-token at each selected stage, stages concatenated. */
    record WordTokens(LayerSelection layers) implements FeatureKind {
        public WordTokens {
            Objects.requireNonNull(layers, "layers");
        }
    }
}
