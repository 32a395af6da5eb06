package dev.graft.adapters.nn;

import static dev.graft.adapters.nn.GradientCheck.awayFromZero;
import static dev.graft.adapters.nn.GradientCheck.gaussian;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Gradient checks, inference/training equivalence and gradient accumulation for every layer. */
class LayersTest {

    private static LayerMix mixWithWeights() {
        LayerMix mix = new LayerMix("mix", 3, 4);
        mix.weights().load(new float[] {0.3f, -0.7f, 1.1f});
        mix.gamma().load(new float[] {1.7f});
        return mix;
    }

    private static Sequential mlp() {
        Random init = new Random(3);
        return Sequential.of(mixWithWeights(), new Linear("hidden", 4, 6, init), Activation.gelu(6), new Dropout(0.3, 6),
                new Linear("out", 6, 3, init));
    }

    static Stream<Arguments> layers() {
        return Stream.of(
                Arguments.of("linear", (Supplier<Layer>) () -> new Linear("fc", 5, 3, new Random(1))),
                Arguments.of("gelu", (Supplier<Layer>) () -> Activation.gelu(5)),
                Arguments.of("relu", (Supplier<Layer>) () -> Activation.relu(5)),
                Arguments.of("tanh", (Supplier<Layer>) () -> Activation.tanh(5)),
                Arguments.of("dropout", (Supplier<Layer>) () -> new Dropout(0.4, 5)),
                Arguments.of("layer mix", (Supplier<Layer>) LayersTest::mixWithWeights),
                Arguments.of("mlp", (Supplier<Layer>) LayersTest::mlp));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void backwardMatchesFiniteDifferencesInTraining(String name, Supplier<Layer> factory) {
        Layer layer = factory.get();
        int rows = 4;
        // ReLU: keep inputs ≥ 0.05 away from the kink, so ±ε never crosses it.
        float[] input = awayFromZero(rows * layer.inputSize(), 11, 0.05);
        GradientCheck.check(layer, input, rows, true, 1234L);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void backwardMatchesFiniteDifferencesAtInference(String name, Supplier<Layer> factory) {
        Layer layer = factory.get();
        float[] input = awayFromZero(3 * layer.inputSize(), 12, 0.05);
        GradientCheck.check(layer, input, 3, false, 0L);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void applyIsBitIdenticalToInferenceForward(String name, Supplier<Layer> factory) {
        Layer layer = factory.get();
        int rows = 7;
        float[] input = gaussian(rows * layer.inputSize(), 5, 2.0);
        float[] applied = new float[rows * layer.outputSize()];
        layer.apply(input, rows, applied);
        float[] forward = layer.forward(input, rows, false, 77L).output();
        assertThat(forward).hasSize(applied.length);
        for (int i = 0; i < applied.length; i++) {
            assertThat(Float.floatToRawIntBits(forward[i])).as("output %d", i).isEqualTo(Float.floatToRawIntBits(applied[i]));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void backwardAccumulatesUntilZeroGrad(String name, Supplier<Layer> factory) {
        Layer layer = factory.get();
        int rows = 3;
        float[] input = gaussian(rows * layer.inputSize(), 6, 1.0);
        Layer.Tape tape = layer.forward(input, rows, true, 5L);
        float[] g = gaussian(tape.output().length, 7, 1.0);
        layer.backward(tape, g);
        List<float[]> once = layer.parameters().stream().map(p -> p.grads().clone()).toList();
        layer.backward(tape, g);
        for (int k = 0; k < once.size(); k++) {
            float[] twice = layer.parameters().get(k).grads();
            for (int i = 0; i < twice.length; i++) {
                assertThat(twice[i]).isCloseTo(2 * once.get(k)[i], org.assertj.core.data.Offset.offset(1e-5f + 1e-6f * Math.abs(twice[i])));
            }
        }
        for (Parameter p : layer.parameters()) {
            p.zeroGrad();
            assertThat(p.grads()).containsOnly(0f);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void skippingTheInputGradientKeepsParameterGradients(String name, Supplier<Layer> factory) {
        Layer layer = factory.get();
        int rows = 3;
        float[] input = gaussian(rows * layer.inputSize(), 8, 1.0);
        Layer.Tape tape = layer.forward(input, rows, true, 9L);
        float[] g = gaussian(tape.output().length, 10, 1.0);
        layer.backward(tape, g, true);
        List<float[]> full = layer.parameters().stream().map(p -> p.grads().clone()).toList();
        layer.parameters().forEach(Parameter::zeroGrad);
        layer.backward(tape, g, false);
        for (int k = 0; k < full.size(); k++) {
            assertThat(layer.parameters().get(k).grads()).containsExactly(full.get(k));
        }
    }

    @Test
    void linearMatchesANaiveDoubleProductAndPyTorchLayout() {
        Linear fc = new Linear("fc", 3, 2, new Random(4));
        fc.weight().load(new float[] {1, 2, 3, -1, 0.5f, 0.25f});
        fc.bias().load(new float[] {0.5f, -2});
        float[] out = new float[4];
        fc.apply(new float[] {1, 1, 1, 2, 0, -4}, 2, out);
        assertThat(out).containsExactly(6.5f, -2.25f, -9.5f, -5f);
        assertThat(fc.weight().shape()).containsExactly(2, 3);
        assertThat(fc.weight().name()).isEqualTo("fc.weight");
        assertThat(fc.weight().decayed()).isTrue();
        assertThat(fc.bias().decayed()).isFalse();
    }

    /** Batches of ≥ 8 rows with < 64 outputs take the transposed path; row by row takes the blocked one. */
    @Test
    void linearKernelPathsAgreeBitForBit() {
        for (int out : new int[] {3, 17, 70}) {
            Linear fc = new Linear("fc", 37, out, new Random(out));
            int rows = 13;
            float[] x = gaussian(rows * 37, out, 1.0);
            float[] batch = new float[rows * out];
            fc.apply(x, rows, batch);
            for (int r = 0; r < rows; r++) {
                float[] one = new float[out];
                fc.apply(java.util.Arrays.copyOfRange(x, r * 37, (r + 1) * 37), 1, one);
                assertThat(java.util.Arrays.copyOfRange(batch, r * out, (r + 1) * out)).as("out=%d row %d", out, r).containsExactly(one);
            }
            GradientCheck.check(fc, x, rows, true, 1L);
        }
    }

    @Test
    void linearInitialisesLikePyTorch() {
        Linear fc = new Linear("fc", 400, 50, new Random(1));
        float bound = (float) (1 / Math.sqrt(400));
        for (float v : fc.weight().values()) {
            assertThat(Math.abs(v)).isLessThanOrEqualTo(bound);
        }
        for (float v : fc.bias().values()) {
            assertThat(Math.abs(v)).isLessThanOrEqualTo(bound);
        }
        double sq = 0;
        for (float v : fc.weight().values()) {
            sq += v * v;
        }
        // uniform(−b, b) has variance b²/3
        assertThat(sq / fc.weight().size()).isCloseTo(bound * bound / 3.0, org.assertj.core.data.Percentage.withPercentage(5));
        assertThat(Linear.zeroInit("z", 4, 2).weight().values()).containsOnly(0f);
        assertThat(new Linear("a", 8, 8, new Random(7)).weight().values())
                .containsExactly(new Linear("b", 8, 8, new Random(7)).weight().values());
    }

    @Test
    void geluIsTheExactErfForm() {
        // x/2 · erfc(−x/√2) in double (CPython math.erfc), which is what torch.nn.functional.gelu computes
        assertThat(Activation.gelu(1f)).isCloseTo(0.8413447f, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(Activation.gelu(-1f)).isCloseTo(-0.15865526f, org.assertj.core.data.Offset.offset(1e-7f));
        assertThat(Activation.gelu(3f)).isCloseTo(2.9959503f, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(Activation.gelu(-3f)).isCloseTo(-0.0040496941f, org.assertj.core.data.Offset.offset(1e-9f));
        assertThat(Activation.gelu(0.5f)).isCloseTo(0.34573123f, org.assertj.core.data.Offset.offset(1e-7f));
        assertThat(Activation.gelu(-8f)).isLessThan(0f).isGreaterThan(-1e-13f);
        assertThat(Activation.gelu(0f)).isZero();
    }

    @Test
    void dropoutMasksByTheSeedAndScalesSurvivors() {
        Dropout dropout = new Dropout(0.25, 1000);
        float[] ones = new float[10 * 1000];
        java.util.Arrays.fill(ones, 1f);
        float[] a = dropout.forward(ones, 10, true, 42).output();
        float[] b = dropout.forward(ones, 10, true, 42).output();
        float[] c = dropout.forward(ones, 10, true, 43).output();
        assertThat(a).containsExactly(b);
        assertThat(a).isNotEqualTo(c);
        long zeros = 0;
        for (float v : a) {
            assertThat(v).isIn(0f, (float) (1 / 0.75));
            if (v == 0f) {
                zeros++;
            }
        }
        assertThat(zeros / 10_000.0).isCloseTo(0.25, org.assertj.core.data.Offset.offset(0.02));
        assertThat(dropout.forward(ones, 10, false, 42).output()).containsOnly(1f);
    }

    @Test
    void sequentialGivesEachDropoutItsOwnMask() {
        Sequential net = Sequential.of(new Dropout(0.5, 64), new Dropout(0.5, 64));
        float[] ones = new float[64];
        java.util.Arrays.fill(ones, 1f);
        float[] out = net.forward(ones, 1, true, 5).output();
        int survivors = 0;
        for (float v : out) {
            if (v != 0) {
                survivors++;
                assertThat(v).isEqualTo(4f);
            }
        }
        // independent masks keep about a quarter; identical masks would keep about half
        assertThat(survivors).isBetween(6, 26);
    }

    @Test
    void layerMixStartsAsTheMeanOfTheLayers() {
        LayerMix mix = new LayerMix("mix", 3, 2);
        assertThat(mix.parameters()).extracting(Parameter::name).containsExactly("mix.weights", "mix.gamma");
        assertThat(mix.parameters()).noneMatch(Parameter::decayed);
        float[] out = new float[2];
        mix.apply(new float[] {1, 2, 3, 4, 5, 9}, 1, out);
        assertThat(out[0]).isCloseTo(3f, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(out[1]).isCloseTo(5f, org.assertj.core.data.Offset.offset(1e-6f));
        mix.weights().load(new float[] {0, 0, 50});
        mix.gamma().load(new float[] {2});
        mix.apply(new float[] {1, 2, 3, 4, 5, 9}, 1, out);
        assertThat(out[0]).isCloseTo(10f, org.assertj.core.data.Offset.offset(1e-5f));
        assertThat(out[1]).isCloseTo(18f, org.assertj.core.data.Offset.offset(1e-5f));
    }

    @Test
    void badShapesAreRejectedWithTheLayerName() {
        assertThatThrownBy(() -> Sequential.of(new Linear("a", 4, 3, new Random(1)), new Linear("b", 4, 2, new Random(1))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outputs 3").hasMessageContaining("takes 4");
        assertThatThrownBy(() -> Sequential.of(new Linear("a", 4, 4, new Random(1)), new Linear("a", 4, 2, new Random(1))))
                .hasMessageContaining("a.weight");
        assertThatThrownBy(() -> new Linear("fc", 4, 2, new Random(1)).apply(new float[7], 2, new float[4]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fc").hasMessageContaining("2 rows × 4");
        assertThatThrownBy(() -> new Dropout(1.0, 4)).hasMessageContaining("[0, 1)");
    }
}
