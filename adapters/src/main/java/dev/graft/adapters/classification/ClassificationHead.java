package dev.graft.adapters.classification;

import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.FeatureKind;
import dev.graft.adapters.head.FeatureRows;
import dev.graft.adapters.head.Features;
import dev.graft.adapters.head.HeadNetworks;
import dev.graft.adapters.head.HeadOutput;
import dev.graft.adapters.head.NetworkHead;
import dev.graft.adapters.nn.Softmax;

/** A sequence-classification head: see {@link ClassificationConfig}. Returns {@link HeadOutput.Classification}. */
public final class ClassificationHead extends NetworkHead {

    ClassificationHead(ClassificationConfig config, BackboneInfo backbone, long seed) {
        super(SequenceClassification.NAME, config, backbone, new FeatureKind.Pooled(config.pooling(), config.layers()),
                HeadNetworks.build(backbone, config.layers(), config.hiddenSize(), config.activation(), config.dropout(),
                        "classifier", config.labels().size(), seed));
    }

    @Override
    public ClassificationConfig config() {
        return (ClassificationConfig) super.config();
    }

    @Override
    protected HeadOutput output(float[] logits, FeatureRows rows, Features features) {
        int classes = config().labels().size();
        float[] all = Softmax.probabilities(logits, rows.rows(), classes);
        float[][] p = new float[rows.rows()][];
        for (int i = 0; i < p.length; i++) {
            p[i] = java.util.Arrays.copyOfRange(all, i * classes, (i + 1) * classes);
        }
        return new HeadOutput.Classification(config().labels(), p);
    }
}
