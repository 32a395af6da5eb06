package dev.graft.adapters.regression;

import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.head.HeadType;

/** The {@code regression} head type: a real-valued score per text or text pair. */
public final class Regression implements HeadType<RegressionConfig> {
    public static final String NAME = "regression";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Class<RegressionConfig> configClass() {
        return RegressionConfig.class;
    }

    @Override
    public Head create(RegressionConfig config, BackboneInfo backbone, long seed) {
        return new RegressionHead(config, backbone, seed);
    }
}
