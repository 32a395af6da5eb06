package dev.graft.adapters.embedding;

import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.head.HeadType;

/** The {@code embedding} head type: a vector per text, for similarity and retrieval. */
public final class SentenceEmbedding implements HeadType<EmbeddingConfig> {
    public static final String NAME = "embedding";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Class<EmbeddingConfig> configClass() {
        return EmbeddingConfig.class;
    }

    @Override
    public Head create(EmbeddingConfig config, BackboneInfo backbone, long seed) {
        return new EmbeddingHead(config, backbone, seed);
    }
}
