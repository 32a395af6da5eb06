package dev.graft.adapters.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.adapters.nn.Activation;
import dev.graft.adapters.nn.Dropout;
import dev.graft.adapters.nn.Layer;
import dev.graft.adapters.nn.LayerMix;
import dev.graft.adapters.nn.Linear;
import dev.graft.adapters.nn.Parameter;
import dev.graft.adapters.nn.Sequential;
import dev.graft.adapters.nn.Softmax;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TrainerTest {

    static double accuracy(Layer network, TrainingSet set) {
        int n = set.size();
        float[] x = new float[n * set.featureSize()];
        for (int i = 0; i < n; i++) {
            set.features(i, x, i * set.featureSize());
        }
        float[] out = new float[n * network.outputSize()];
        network.apply(x, n, out);
        int correct = 0;
        for (int i = 0; i < n; i++) {
            if (Softmax.argmax(out, i * network.outputSize(), network.outputSize()) == set.label(i)) {
                correct++;
            }
        }
        return (double) correct / n;
    }

    /**
     * 20 overlapping Gaussian classes in 64 dimensions (the Bayes-optimal rule gets about 87 %): a linear head
     * trained on 6,000 examples must come within 2.5 points of the optimum on 4,000 held-out ones.
     */
    @Test
    void linearHeadApproachesTheBayesOptimumOnGaussianBlobs() {
        Synthetic.Blobs blobs = Synthetic.Blobs.create(20, 64, 0.4, 1);
        ArrayTrainingSet train = blobs.sample(6000, 2);
        ArrayTrainingSet test = blobs.sample(4000, 3);
        double bayes = blobs.bayesAccuracy(test);
        Linear head = new Linear("classifier", 64, 20, new Random(4));
        TrainingResult result = new Trainer().train(head, train, null, TrainerConfig.defaults().withPatience(4), null);
        double accuracy = accuracy(head, test);
        assertThat(bayes).isBetween(0.80, 0.95);
        assertThat(accuracy).as("test accuracy %s vs Bayes %s", accuracy, bayes).isGreaterThanOrEqualTo(bayes - 0.025);
        assertThat(result.bestMetric()).isGreaterThan(0.8);
        assertThat(result.metricName()).isEqualTo("accuracy");
    }

    @Test
    void mlpLearnsXorWhichALinearHeadCannot() {
        ArrayTrainingSet train = Synthetic.xor(2000, 5);
        ArrayTrainingSet test = Synthetic.xor(1000, 6);
        TrainerConfig cfg = TrainerConfig.defaults().withLearningRate(1e-2).withEpochs(60).withPatience(10);
        Linear linear = new Linear("linear", 2, 2, new Random(7));
        new Trainer().train(linear, train, null, cfg, null);
        Random init = new Random(8);
        Sequential mlp = Sequential.of(new Linear("hidden", 2, 32, init), Activation.gelu(32), new Linear("out", 32, 2, init));
        new Trainer().train(mlp, train, null, cfg, null);
        // a line can get at most three of the four quadrants right
        assertThat(accuracy(linear, test)).isLessThan(0.8);
        assertThat(accuracy(mlp, test)).isGreaterThan(0.97);
    }

    @Test
    void sameSeedAndDataGiveBitIdenticalParameters() {
        Synthetic.Blobs blobs = Synthetic.Blobs.create(5, 12, 0.5, 9);
        ArrayTrainingSet train = blobs.sample(700, 10);
        TrainerConfig cfg = TrainerConfig.defaults().withEpochs(6).withBatchSize(16).withSeed(123);
        List<float[]> first = trainMlp(train, cfg);
        List<float[]> second = trainMlp(train, cfg);
        List<float[]> otherSeed = trainMlp(train, cfg.withSeed(124));
        for (int k = 0; k < first.size(); k++) {
            assertThat(second.get(k)).containsExactly(first.get(k));
        }
        assertThat(otherSeed.get(0)).isNotEqualTo(first.get(0));
    }

    private static List<float[]> trainMlp(TrainingSet train, TrainerConfig cfg) {
        Random init = new Random(1);
        Sequential net = Sequential.of(new Linear("hidden", 12, 16, init), Activation.gelu(16), new Dropout(0.2, 16),
                new Linear("out", 16, 5, init));
        new Trainer().train(net, train, null, cfg, null);
        List<float[]> values = new ArrayList<>();
        for (Parameter p : net.parameters()) {
            values.add(p.values().clone());
        }
        return values;
    }

    /** Few examples, many noisy features and a high learning rate: the head overfits, so training stops early. */
    @Test
    void theLearningRateHalvesAfterEveryPlateauOfTwoEpochsWithoutImprovement() {
        Synthetic.Blobs blobs = Synthetic.Blobs.create(4, 200, 0.12, 11);
        ArrayTrainingSet train = blobs.sample(60, 12);
        ArrayTrainingSet validation = blobs.sample(400, 13);
        TrainerConfig cfg = TrainerConfig.defaults().withEpochs(40).withPatience(7).withLearningRate(0.02).withPlateauEpochs(2);
        TrainingResult result = new Trainer().train(new Linear("head", 200, 4, new Random(14)), train, validation, cfg, null);
        List<EpochStats> h = result.history();
        assertThat(h.getFirst().learningRate()).isEqualTo(0.02);
        double best = Double.NEGATIVE_INFINITY;
        int since = 0;
        int halvings = 0;
        for (int e = 0; e < h.size() - 1; e++) {
            if (h.get(e).validationMetric() > best) {
                best = h.get(e).validationMetric();
                since = 0;
            } else {
                since++;
            }
            boolean halve = since > 0 && since % 2 == 0;
            halvings += halve ? 1 : 0;
            assertThat(h.get(e + 1).learningRate()).as("epoch %d", e + 2)
                    .isEqualTo(halve ? h.get(e).learningRate() / 2 : h.get(e).learningRate());
        }
        assertThat(halvings).as("the run reaches a plateau").isPositive();
        TrainingResult constant = new Trainer().train(new Linear("head", 200, 4, new Random(14)), train, validation,
                cfg.withPlateauEpochs(0), null);
        assertThat(constant.history()).allSatisfy(e -> assertThat(e.learningRate()).isEqualTo(0.02));
    }

    @Test
    void earlyStoppingRestoresTheBestEpoch() {
        Synthetic.Blobs blobs = Synthetic.Blobs.create(4, 200, 0.12, 11);
        ArrayTrainingSet train = blobs.sample(60, 12);
        ArrayTrainingSet validation = blobs.sample(400, 13);
        Linear head = new Linear("head", 200, 4, new Random(14));
        TrainerConfig cfg = TrainerConfig.defaults().withEpochs(300).withPatience(3).withLearningRate(0.02).withPlateauEpochs(0);
        TrainingResult result = new Trainer().train(head, train, validation, cfg, null);
        assertThat(result.stoppedEarly()).isTrue();
        assertThat(result.epochsRun()).isEqualTo(result.bestEpoch() + 3);
        double bestSeen = result.history().stream().mapToDouble(EpochStats::validationMetric).max().orElseThrow();
        assertThat(result.bestMetric()).isEqualTo(bestSeen);
        assertThat(result.history().getLast().validationMetric()).isLessThanOrEqualTo(bestSeen);
        // the network holds the best epoch's parameters, not the last epoch's
        assertThat(accuracy(head, validation)).isEqualTo(result.bestMetric());
        assertThat(result.history()).allSatisfy(e -> {
            assertThat(e.examplesPerSecond()).isPositive();
            assertThat(e.trainLoss()).isFinite();
        });
    }

    @Test
    void regressionReachesAHighPearsonCorrelation() {
        Random r = new Random(15);
        int n = 3000;
        int dims = 16;
        float[] w = new float[dims];
        for (int d = 0; d < dims; d++) {
            w[d] = (float) r.nextGaussian();
        }
        float[] x = new float[n * dims];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            double t = 3.0;
            for (int d = 0; d < dims; d++) {
                x[i * dims + d] = (float) r.nextGaussian();
                t += w[d] * x[i * dims + d];
            }
            y[i] = (float) (t + 0.3 * r.nextGaussian());
        }
        ArrayTrainingSet set = ArrayTrainingSet.regression(x, dims, y);
        Linear head = new Linear("regressor", dims, 1, new Random(16));
        TrainerConfig cfg = TrainerConfig.defaults().withLoss(TrainerConfig.LossKind.MSE).withLearningRate(1e-2);
        TrainingResult result = new Trainer().train(head, set, null, cfg, null);
        assertThat(result.metricName()).isEqualTo("pearson");
        // noise variance 0.09 against signal variance ≈ 16: the achievable correlation is ≈ 0.997
        assertThat(result.bestMetric()).isGreaterThan(0.99);
        assertThat(result.best().validationLoss()).isLessThan(0.15);
    }

    @Test
    void layerMixHeadLearnsWhichLayerCarriesTheSignal() {
        // 3 "layers" of 8 features; only layer 2 carries the class, the others are noise with larger variance
        Random r = new Random(17);
        int n = 2000;
        float[] x = new float[n * 24];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(2);
            for (int h = 0; h < 8; h++) {
                x[i * 24 + h] = (float) (3 * r.nextGaussian());
                x[i * 24 + 8 + h] = (float) (3 * r.nextGaussian());
                x[i * 24 + 16 + h] = (float) ((y[i] == 1 ? 0.5 : -0.5) + 0.5 * r.nextGaussian());
            }
        }
        LayerMix mix = new LayerMix("mix", 3, 8);
        Sequential head = Sequential.of(mix, new Linear("classifier", 8, 2, new Random(18)));
        new Trainer().train(head, ArrayTrainingSet.classification(x, 24, y), null,
                TrainerConfig.defaults().withLearningRate(1e-2).withEpochs(40), null);
        float[] s = mix.mixture();
        assertThat(s[2]).isGreaterThan(0.6f);
    }

    @Test
    void balancedWeightsFollowScikitLearn() {
        float[] w = Trainer.balancedWeights(new int[] {0, 0, 0, 1, 2, 2}, 4);
        assertThat(w).containsExactly(6f / (4 * 3), 6f / 4, 6f / (4 * 2), 1f);
    }

    /** 90 % / 10 % overlapping classes: balanced class weights must raise the minority class's recall. */
    @Test
    void balancedWeightingRaisesMinorityRecall() {
        ArrayTrainingSet train = imbalanced(3000, 0.1, 22);
        ArrayTrainingSet test = imbalanced(4000, 0.5, 23);
        TrainerConfig cfg = TrainerConfig.defaults().withEpochs(10).withValidationFraction(0);
        Linear plain = new Linear("plain", 8, 2, new Random(21));
        new Trainer().train(plain, train, null, cfg, null);
        Linear balanced = new Linear("balanced", 8, 2, new Random(21));
        new Trainer().train(balanced, train, null, cfg.withClassWeighting(TrainerConfig.ClassWeighting.BALANCED), null);
        double plainRecall = recall(plain, test, 1);
        double balancedRecall = recall(balanced, test, 1);
        assertThat(balancedRecall).as("minority recall %s (balanced) vs %s (plain)", balancedRecall, plainRecall)
                .isGreaterThan(plainRecall + 0.1);
        assertThat(accuracy(balanced, test)).isGreaterThan(accuracy(plain, test));
    }

    /** Class 1 with probability {@code minority}; the class means are 1.5 apart along the first axis. */
    private static ArrayTrainingSet imbalanced(int n, double minority, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * 8];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextDouble() < minority ? 1 : 0;
            for (int d = 0; d < 8; d++) {
                x[i * 8 + d] = (float) r.nextGaussian();
            }
            x[i * 8] += y[i] == 1 ? 1.5f : 0f;
        }
        return ArrayTrainingSet.classification(x, 8, y);
    }

    private static double recall(Layer network, TrainingSet set, int label) {
        float[] row = new float[set.featureSize()];
        float[] out = new float[network.outputSize()];
        int hits = 0;
        int total = 0;
        for (int i = 0; i < set.size(); i++) {
            if (set.label(i) != label) {
                continue;
            }
            set.features(i, row, 0);
            network.apply(row, 1, out);
            total++;
            if (Softmax.argmax(out, 0, out.length) == label) {
                hits++;
            }
        }
        return (double) hits / total;
    }

    @Test
    void badInputsAreRejectedClearly() {
        ArrayTrainingSet set = ArrayTrainingSet.classification(new float[] {1, 2, 3, 4}, 2, new int[] {0, 5});
        assertThatThrownBy(() -> new Trainer().train(new Linear("h", 2, 3, new Random(1)), set, set,
                TrainerConfig.defaults().withEpochs(1), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("label 5").hasMessageContaining("3 classes");
        assertThatThrownBy(() -> new Trainer().train(new Linear("h", 3, 3, new Random(1)), set, null, TrainerConfig.defaults(), null))
                .hasMessageContaining("2 features").hasMessageContaining("takes 3");
        assertThatThrownBy(() -> new Trainer().train(new Linear("h", 2, 2, new Random(1)),
                ArrayTrainingSet.regression(new float[] {1, 2}, 2, new float[] {1}), null,
                TrainerConfig.defaults().withLoss(TrainerConfig.LossKind.MSE), null))
                .hasMessageContaining("1 output");
        assertThatThrownBy(() -> TrainerConfig.defaults().withValidationFraction(1.0)).hasMessageContaining("validationFraction");
    }

    @Test
    void divergenceIsReportedNotHidden() {
        float[] x = {1e30f, -1e30f, 2e30f, 1e30f};
        ArrayTrainingSet set = ArrayTrainingSet.regression(x, 2, new float[] {1e30f, -1e30f});
        Linear head = new Linear("h", 2, 1, new Random(1));
        assertThatThrownBy(() -> new Trainer().train(head, set, null,
                TrainerConfig.defaults().withLoss(TrainerConfig.LossKind.MSE).withValidationFraction(0), null))
                .isInstanceOf(ArithmeticException.class).hasMessageContaining("learning rate");
    }
}
