package dev.graft.adapters.tagging;

import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.head.HeadType;

/** The {@code tagging} head type: a tag per word (part of speech, named-entity BIO tags). */
public final class TokenClassification implements HeadType<TaggingConfig> {
    public static final String NAME = "tagging";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Class<TaggingConfig> configClass() {
        return TaggingConfig.class;
    }

    @Override
    public Head create(TaggingConfig config, BackboneInfo backbone, long seed) {
        return new TaggingHead(config, backbone, seed);
    }
}
