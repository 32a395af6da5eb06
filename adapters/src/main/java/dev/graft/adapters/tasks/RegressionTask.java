package dev.graft.adapters.tasks;

import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.compose.Inputs;
import dev.graft.adapters.features.FeatureFile;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.FeatureKind;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.head.HeadOutput;
import dev.graft.adapters.regression.Regression;
import dev.graft.adapters.regression.RegressionConfig;
import dev.graft.adapters.train.TrainerConfig;
import dev.graft.adapters.train.TrainingResult;
import dev.graft.backbones.bert.BertBackbone;
import java.io.IOException;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Train and run a regression head on scored text pairs (STS-style similarity), each pair encoded as one sequence
 * {@code [CLS] a [SEP] b [SEP]}: mean squared error, validation by Pearson correlation.
 */
public final class RegressionTask {
    private RegressionTask() {
    }

    /** A text pair with its gold score. */
    public record ScoredPair(String first, String second, double score) {
    }

    /**
     * Trains a regression head on frozen features of the pairs. The options' loss is set to MSE.
     *
     * @param validation held-out pairs for early stopping, or null to carve the options' fraction out of train
     */
    public static TrainedHead train(BertBackbone backbone, List<ScoredPair> train, List<ScoredPair> validation,
                                    TrainingOptions o) throws IOException {
        if (train.isEmpty()) {
            throw new IllegalArgumentException("no training pairs");
        }
        TrainingOptions mse = o.withTrainer(o.trainer().withLoss(TrainerConfig.LossKind.MSE));
        RegressionConfig config = new RegressionConfig(o.pooling(), o.layers(), o.hiddenSize(), o.activation(), o.dropout());
        Head head = new Regression().create(config, BackboneInfo.of(backbone), o.trainer().seed());
        FeatureKind kind = new FeatureKind.Pooled(o.pooling(), o.layers());
        long t0 = System.nanoTime();
        try (FeatureFile tf = o.cache().features(backbone, pairs(train), kind, o.extractionBatch(), HeadFitting.progress(o, "training"))) {
            HeadFitting.logFeatures(o, "training", tf, t0);
            boolean cached = tf.fromCache();
            HeadFitting.Fitted fitted;
            if (validation != null) {
                try (FeatureFile vf = o.cache().features(backbone, pairs(validation), kind, o.extractionBatch(),
                        HeadFitting.progress(o, "validation"))) {
                    cached &= vf.fromCache();
                    fitted = HeadFitting.fit(head, tf.regressionSet(null, i -> train.get(i).score()),
                            vf.regressionSet(null, i -> validation.get(i).score()), mse);
                }
            } else {
                fitted = HeadFitting.fit(head, tf.regressionSet(null, i -> train.get(i).score()), null, mse);
            }
            return new TrainedHead(head, fitted.result(), HeadFitting.record("regression", head, fitted, mse, train.size(),
                    tf.rows(), validation == null ? 0 : validation.size(), cached, backbone.maxLength()), cached);
        }
    }

    /** Scores of {@code pairs} by the regression head {@code headName}, in length-sorted batches, in input order. */
    public static float[] predict(ComposedModel model, String headName, List<ScoredPair> pairs, int batchSize) {
        float[] scores = new float[pairs.size()];
        List<String> joined = pairs.stream().map(p -> p.first() + " " + p.second()).toList();
        for (int[] batch : ClassificationTask.batches(joined, batchSize)) {
            List<ScoredPair> part = IntStream.of(batch).mapToObj(pairs::get).toList();
            HeadOutput.Regression r = model.predict(pairs(part), List.of(headName)).regression(headName);
            for (int i = 0; i < batch.length; i++) {
                scores[batch[i]] = r.score(i);
            }
        }
        return scores;
    }

    static Inputs.Pairs pairs(List<ScoredPair> pairs) {
        return new Inputs.Pairs(pairs.stream().map(ScoredPair::first).toList(), pairs.stream().map(ScoredPair::second).toList());
    }
}
