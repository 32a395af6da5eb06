package dev.graft.adapters.regression;

import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.FeatureKind;
import dev.graft.adapters.head.FeatureRows;
import dev.graft.adapters.head.Features;
import dev.graft.adapters.head.HeadNetworks;
import dev.graft.adapters.head.HeadOutput;
import dev.graft.adapters.head.NetworkHead;

/** A regression head: see {@link RegressionConfig}. Returns {@link HeadOutput.Regression}. */
public final class RegressionHead extends NetworkHead {

    RegressionHead(RegressionConfig config, BackboneInfo backbone, long seed) {
        super(Regression.NAME, config, backbone, new FeatureKind.Pooled(config.pooling(), config.layers()),
                HeadNetworks.build(backbone, config.layers(), config.hiddenSize(), config.activation(), config.dropout(),
                        "regressor", 1, seed));
    }

    @Override
    protected HeadOutput output(float[] out, FeatureRows rows, Features features) {
        return new HeadOutput.Regression(out);
    }
}
