package dev.graft.adapters.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.features.FeatureCache;
import dev.graft.adapters.testing.MiniLm;
import dev.graft.adapters.train.TrainerConfig;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.eval.Spearman;
import dev.graft.backbones.eval.StsBenchmark;
import dev.graft.backbones.testing.ModelResources;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A pair-regression head (MSE, cross-encoder style input) learns STS-B similarity scores from frozen features. */
class RegressionTaskTest {
    @TempDir
    Path cache;

    @Test
    void aPairRegressorLearnsSimilarityScores() throws Exception {
        Path shared = ModelResources.shared("");
        List<RegressionTask.ScoredPair> train = StsBenchmark.read(shared, StsBenchmark.Split.TRAIN).stream().limit(1500)
                .map(p -> new RegressionTask.ScoredPair(p.sentence1(), p.sentence2(), p.score())).toList();
        List<RegressionTask.ScoredPair> dev = StsBenchmark.read(shared, StsBenchmark.Split.DEV).stream().limit(400)
                .map(p -> new RegressionTask.ScoredPair(p.sentence1(), p.sentence2(), p.score())).toList();
        try (BertBackbone backbone = MiniLm.open()) {
            TrainingOptions o = TrainingOptions.defaults().withCache(new FeatureCache(cache))
                    .withTrainer(TrainerConfig.defaults().withEpochs(40).withLearningRate(3e-3));
            TrainedHead head = RegressionTask.train(backbone, train, null, o);
            assertThat(head.result().metricName()).isEqualTo("pearson");
            try (ComposedModel model = ComposedModel.builder().backbone(backbone).head("sts", head.head()).build()) {
                float[] predicted = RegressionTask.predict(model, "sts", dev, 32);
                double[] p = new double[predicted.length];
                double[] gold = new double[predicted.length];
                for (int i = 0; i < p.length; i++) {
                    p[i] = predicted[i];
                    gold[i] = dev.get(i).score();
                }
                double rho = Spearman.correlation(p, gold);
                assertThat(rho).as("Spearman on 400 dev pairs").isGreaterThan(SPEARMAN_FLOOR);
            }
        }
    }

    /** Measured 0.670 (1,500 training pairs, seed 42); an untrained head is near 0. */
    static final double SPEARMAN_FLOOR = 0.55;
}
