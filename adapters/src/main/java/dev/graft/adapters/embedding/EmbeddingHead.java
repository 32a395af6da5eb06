package dev.graft.adapters.embedding;

import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.FeatureKind;
import dev.graft.adapters.head.FeatureRows;
import dev.graft.adapters.head.Features;
import dev.graft.adapters.head.HeadNetworks;
import dev.graft.adapters.head.HeadOutput;
import dev.graft.adapters.head.Identity;
import dev.graft.adapters.head.NetworkHead;
import dev.graft.adapters.nn.Layer;
import dev.graft.adapters.nn.LayerMix;

/** A sentence-embedding head: see {@link EmbeddingConfig}. Returns {@link HeadOutput.Embedding}. */
public final class EmbeddingHead extends NetworkHead {

    EmbeddingHead(EmbeddingConfig config, BackboneInfo backbone, long seed) {
        super(SentenceEmbedding.NAME, config, backbone, new FeatureKind.Pooled(config.pooling(), config.layers()),
                network(config, backbone, seed));
    }

    private static Layer network(EmbeddingConfig config, BackboneInfo backbone, long seed) {
        if (config.projection() > 0) {
            return HeadNetworks.build(backbone, config.layers(), 0, "gelu", 0f, "projection", config.projection(), seed);
        }
        int stages = config.layers().stages(backbone.numLayers()).length;
        return stages > 1 ? new LayerMix("mix", stages, backbone.hiddenSize()) : new Identity(backbone.hiddenSize());
    }

    @Override
    public EmbeddingConfig config() {
        return (EmbeddingConfig) super.config();
    }

    @Override
    protected HeadOutput output(float[] out, FeatureRows rows, Features features) {
        int d = network().outputSize();
        float[][] vectors = new float[rows.rows()][d];
        for (int i = 0; i < vectors.length; i++) {
            System.arraycopy(out, i * d, vectors[i], 0, d);
            if (config().normalize()) {
                double norm = 0;
                for (float v : vectors[i]) {
                    norm += (double) v * v;
                }
                if (norm > 0) {
                    float scale = (float) (1 / Math.sqrt(norm));
                    for (int j = 0; j < d; j++) {
                        vectors[i][j] *= scale;
                    }
                }
            }
        }
        return new HeadOutput.Embedding(vectors);
    }
}
