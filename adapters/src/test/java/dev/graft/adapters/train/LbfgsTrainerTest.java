package dev.graft.adapters.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import dev.graft.adapters.nn.Layer;
import dev.graft.adapters.nn.LayerMix;
import dev.graft.adapters.nn.Lbfgs;
import dev.graft.adapters.nn.Linear;
import dev.graft.adapters.nn.Sequential;
import dev.graft.adapters.nn.SoftmaxCrossEntropy;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LbfgsTrainerTest {

    private static int[] labels(TrainingSet set) {
        int[] y = new int[set.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = set.label(i);
        }
        return y;
    }

    /** Central differences of the objective in double around x, one coordinate at a time. */
    private static void checkGradient(HeadObjective f, double[] x) {
        double[] analytic = new double[x.length];
        f.evaluate(x, analytic);
        double[] scratch = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double saved = x[i];
            double eps = 1e-2;
            x[i] = saved + eps;
            double plus = f.evaluate(x, scratch);
            x[i] = saved - eps;
            double minus = f.evaluate(x, scratch);
            x[i] = saved;
            double numeric = (plus - minus) / (2 * eps);
            double tol = 1e-3 + 1e-2 * Math.max(Math.abs(analytic[i]), Math.abs(numeric));
            assertThat(Math.abs(analytic[i] - numeric)).as("d[%d]: analytic %s vs numeric %s", i, analytic[i], numeric)
                    .isLessThanOrEqualTo(tol);
        }
    }

    @Test
    void theObjectivesGradientWithItsL2TermMatchesFiniteDifferences() {
        ArrayTrainingSet set = Synthetic.Blobs.create(3, 4, 1.5, 1).sample(40, 2);
        Linear linear = new Linear("classifier", 4, 3, new Random(3));
        HeadObjective f = new HeadObjective(linear, set, labels(set), new SoftmaxCrossEntropy(3), 0.5);
        checkGradient(f, HeadObjective.read(linear.parameters()));

        // a layer mix in front: its weights and scale are parameters too (not penalised)
        ArrayTrainingSet mixed = Synthetic.Blobs.create(2, 3 * 4, 1.0, 4).sample(30, 5);
        Sequential network = Sequential.of(new LayerMix("mix", 3, 4), new Linear("classifier", 4, 2, new Random(6)));
        network.parameters().getFirst().values()[1] = 0.7f;
        checkGradient(new HeadObjective(network, mixed, labels(mixed), new SoftmaxCrossEntropy(2), 0.3),
                HeadObjective.read(network.parameters()));
    }

    @Test
    void theObjectiveIsTheSameBitForBitOnAnyNumberOfThreads() {
        ArrayTrainingSet set = Synthetic.Blobs.create(3, 2 * 5, 1.0, 51).sample(3 * HeadObjective.CHUNK + 17, 52);
        Sequential network = Sequential.of(new LayerMix("mix", 2, 5), new Linear("classifier", 5, 3, new Random(53)));
        double[] x = HeadObjective.read(network.parameters());
        x[0] = 0.4;
        double[] g1 = new double[x.length];
        double[] g3 = new double[x.length];
        double f1;
        double f3;
        try (HeadObjective one = new HeadObjective(network, set, labels(set), new SoftmaxCrossEntropy(3), 0.1, 1);
             HeadObjective three = new HeadObjective(network, set, labels(set), new SoftmaxCrossEntropy(3), 0.1, 3)) {
            f1 = one.evaluate(x, g1);
            f3 = three.evaluate(x, g3);
        }
        assertThat(f3).isEqualTo(f1);
        assertThat(g3).containsExactly(g1);
    }

    @Test
    void theL2TermIsHalfLambdaTimesTheSquaredWeightsAndSparesTheBias() {
        ArrayTrainingSet set = Synthetic.Blobs.create(3, 4, 1.5, 1).sample(40, 2);
        Linear linear = new Linear("classifier", 4, 3, new Random(3));
        double[] x = HeadObjective.read(linear.parameters());
        double[] g0 = new double[x.length];
        double[] g1 = new double[x.length];
        double f0 = new HeadObjective(linear, set, labels(set), new SoftmaxCrossEntropy(3), 0).evaluate(x, g0);
        double f1 = new HeadObjective(linear, set, labels(set), new SoftmaxCrossEntropy(3), 0.25).evaluate(x, g1);
        double squares = 0;
        for (int i = 0; i < 12; i++) {
            squares += x[i] * x[i];
            assertThat(g1[i] - g0[i]).as("weight %d", i).isCloseTo(0.25 * x[i], offset(1e-12));
        }
        for (int i = 12; i < 15; i++) {
            assertThat(g1[i]).as("bias %d", i).isEqualTo(g0[i]);
        }
        assertThat(f1 - f0).isCloseTo(0.125 * squares, offset(1e-12));
    }

    @Test
    void aLinearHeadConvergesToTheToleranceAndLearnsTheBlobs() {
        Synthetic.Blobs blobs = Synthetic.Blobs.create(4, 8, 1.2, 11);
        ArrayTrainingSet train = blobs.sample(800, 12);
        ArrayTrainingSet validation = blobs.sample(400, 13);
        ArrayTrainingSet test = blobs.sample(2000, 14);
        Linear head = new Linear("classifier", 8, 4, new Random(1));
        LbfgsTrainer.Config cfg = LbfgsTrainer.Config.defaults().withGradientTolerance(1e-5);
        LbfgsTrainer.Result r = new LbfgsTrainer().train(head, train, validation, cfg, null);

        assertThat(r.chosenBy()).isEqualTo("validation");
        assertThat(r.search()).isNotEmpty();
        for (LbfgsTrainer.Fit f : r.search()) {
            assertThat(f.termination()).as("λ=%s", f.l2()).isEqualTo(Lbfgs.Termination.CONVERGED);
            assertThat(f.gradientNorm()).isLessThanOrEqualTo(1e-5);
        }
        assertThat(r.last().examples()).as("the final fit uses training + validation").isEqualTo(1200);
        assertThat(r.last().gradientNorm()).isLessThanOrEqualTo(1e-5);
        double accuracy = LbfgsTrainer.evaluate(head, test, labels(test))[1];
        assertThat(accuracy).as("Bayes accuracy %s", blobs.bayesAccuracy(test)).isGreaterThan(blobs.bayesAccuracy(test) - 0.02);
    }

    @Test
    void theResultDoesNotDependOnTheInitialParameters() {
        Synthetic.Blobs blobs = Synthetic.Blobs.create(3, 6, 1.0, 21);
        ArrayTrainingSet train = blobs.sample(300, 22);
        ArrayTrainingSet validation = blobs.sample(100, 23);
        Linear a = new Linear("classifier", 6, 3, new Random(1));
        Linear b = new Linear("classifier", 6, 3, new Random(2));
        new LbfgsTrainer().train(a, train, validation, LbfgsTrainer.Config.defaults(), null);
        new LbfgsTrainer().train(b, train, validation, LbfgsTrainer.Config.defaults(), null);
        assertThat(b.weight().values()).containsExactly(a.weight().values());
        assertThat(b.bias().values()).containsExactly(a.bias().values());
    }

    @Test
    void theL2StrengthIsChosenOnTheValidationSet() {
        // Random labels in 40 dimensions: a weak penalty memorises the 60 training rows, a strong one predicts the
        // majority class (0) from the bias.
        Random random = new Random(31);
        int n = 60;
        int d = 40;
        float[] x = new float[n * d];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                x[i * d + j] = (float) random.nextGaussian();
            }
            y[i] = i < 30 ? 0 : 1 + i % 2;
        }
        ArrayTrainingSet train = ArrayTrainingSet.classification(x, d, y);
        float[] fresh = new float[n * d];
        for (int i = 0; i < fresh.length; i++) {
            fresh[i] = (float) random.nextGaussian();
        }
        ArrayTrainingSet majority = ArrayTrainingSet.classification(fresh, d, new int[n]);
        LbfgsTrainer.Config cfg = LbfgsTrainer.Config.defaults().withL2Grid(List.of(10.0, 1e-4)).withRefit(false);

        LbfgsTrainer.Result memorise = new LbfgsTrainer().train(new Linear("c", d, 3, new Random(1)), train, train, cfg, null);
        LbfgsTrainer.Result generalise = new LbfgsTrainer().train(new Linear("c", d, 3, new Random(1)), train, majority, cfg, null);

        assertThat(memorise.chosenL2()).isEqualTo(1e-4);
        assertThat(generalise.chosenL2()).isEqualTo(10.0);
        for (LbfgsTrainer.Result r : List.of(memorise, generalise)) {
            double best = r.search().stream().mapToDouble(LbfgsTrainer.Fit::validationMetric).max().orElseThrow();
            assertThat(r.chosen().validationMetric()).isEqualTo(best);
            assertThat(r.search()).extracting(LbfgsTrainer.Fit::l2).as("strongest first").containsExactly(10.0, 1e-4);
            assertThat(r.training().bestMetric()).isEqualTo(best);
        }
    }

    @Test
    void aFixedL2IsUsedAsGivenAndTheIterationLimitHolds() {
        Synthetic.Blobs blobs = Synthetic.Blobs.create(3, 6, 1.0, 41);
        ArrayTrainingSet train = blobs.sample(200, 42);
        LbfgsTrainer.Config cfg = LbfgsTrainer.Config.defaults().withFixedL2(1e-3).withMaxIterations(4);
        LbfgsTrainer.Result r = new LbfgsTrainer().train(new Linear("c", 6, 3, new Random(1)), train, null, cfg, null);
        assertThat(r.chosenL2()).isEqualTo(1e-3);
        assertThat(r.chosenBy()).isEqualTo("fixed");
        assertThat(r.search()).isEmpty();
        assertThat(r.last().iterations()).isEqualTo(4);
        assertThat(r.last().termination()).isEqualTo(Lbfgs.Termination.MAX_ITERATIONS);

        LbfgsTrainer.Result unvalidated = new LbfgsTrainer().train(new Linear("c", 6, 3, new Random(1)), train, null,
                LbfgsTrainer.Config.defaults(), null);
        assertThat(unvalidated.chosenL2()).isEqualTo(LbfgsTrainer.Config.DEFAULT_L2);
        assertThat(unvalidated.chosenBy()).startsWith("default");
    }

    @Test
    void refusesNetworksItWasNotMadeFor() {
        ArrayTrainingSet set = Synthetic.Blobs.create(2, 4, 1.0, 1).sample(20, 2);
        Layer mlp = Sequential.of(new Linear("hidden", 4, 8, new Random(1)), dev.graft.adapters.nn.Activation.relu(8),
                new Linear("classifier", 8, 2, new Random(2)));
        assertThatThrownBy(() -> new LbfgsTrainer().train(mlp, set, null, LbfgsTrainer.Config.defaults(), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("AdamW");
        assertThatThrownBy(() -> LbfgsTrainer.Config.defaults().withL2Grid(List.of(-1.0)))
                .hasMessageContaining("l2Grid value");
    }
}
