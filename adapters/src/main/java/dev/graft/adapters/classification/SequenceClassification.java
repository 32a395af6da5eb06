package dev.graft.adapters.classification;

import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.head.HeadType;

/** The {@code classification} head type: one label per text (intent, topic, sentiment). */
public final class SequenceClassification implements HeadType<ClassificationConfig> {
    public static final String NAME = "classification";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Class<ClassificationConfig> configClass() {
        return ClassificationConfig.class;
    }

    @Override
    public Head create(ClassificationConfig config, BackboneInfo backbone, long seed) {
        return new ClassificationHead(config, backbone, seed);
    }
}
