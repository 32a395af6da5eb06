package dev.graft.adapters.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.bottleneck.Bottleneck;
import dev.graft.adapters.bottleneck.BottleneckConfig;
import dev.graft.adapters.ia3.Ia3;
import dev.graft.adapters.ia3.Ia3Config;
import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.lora.LoraConfig;
import dev.graft.adapters.nn.Parameter;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.core.kernels.Activation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The torch reference really is Graft's layer, and its autograd is wired right.
 *
 * <p>Forward: on a small random BERT (hidden 24, 3 heads, intermediate 48, 2 layers; a batch of two sequences of 7
 * tokens, the second with 3 padding positions) with random non-zero adapters of every type, Graft's adapted encoder
 * ({@code Adapters.attach} + {@code encode(..., keepAllLayers)}) gives each layer's input and output; the torch layer
 * run on that input must give that output within {@value #FORWARD_TOLERANCE} (max |difference|; Graft computes in
 * float, torch in double; outputs are LayerNorm'd, of magnitude ~1–3, and the random N(0, 1) weights make the sums
 * before each LayerNorm large: measured 2.4e-6 to 2.7e-5, the largest with the non-residual tanh bottleneck). The
 * adapters must move the torch output by more than 100 × that tolerance (measured 0.96 to 8.3), so the comparison
 * sees them.
 *
 * <p>Backward: torch's dL/dx and dL/dθ (L = Σ y ⊙ dy, random dy) against central finite differences of the torch
 * forward itself in double (step {@value #STEP}) at a few coordinates of x and of every adapter parameter:
 * |fd − autograd| ≤ {@value #GRADIENT_TOLERANCE} · (1 + |autograd|).
 */
class TorchBertLayerTest {
    static final double FORWARD_TOLERANCE = 1e-4;
    static final double STEP = 1e-6;
    static final double GRADIENT_TOLERANCE = 1e-6;

    /** A named set of adapters, built on the encoder's sites and given random non-zero values. */
    record Case(String name, boolean outIn, Function<TinyBert, List<Adapter>> adapters) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("lora on all six projections, padded batch, [in, out] weights", false, m -> {
                    Lora l = Lora.create(new LoraConfig(2, 3, 0.1f, Set.of(SiteKind.QUERY, SiteKind.KEY, SiteKind.VALUE,
                            SiteKind.ATTENTION_OUTPUT, SiteKind.INTERMEDIATE, SiteKind.OUTPUT), null, false),
                            m.encoder.sites(), 1);
                    TinyBert.randomize(l, 11, 0.2);
                    return List.of(l);
                }),
                new Case("lora rslora on query and value of layer 1, [out, in] weights", true, m -> {
                    Lora l = Lora.create(new LoraConfig(4, 8, 0f, Set.of(SiteKind.QUERY, SiteKind.VALUE), List.of(1),
                            true), m.encoder.sites(), 2);
                    TinyBert.randomize(l, 12, 0.2);
                    return List.of(l);
                }),
                new Case("houlsby gelu, both residual sites", true, m -> {
                    Bottleneck b = Bottleneck.create(new BottleneckConfig(BottleneckConfig.Placement.HOULSBY, 4,
                            Activation.GELU, true), m.encoder.sites(), 3);
                    TinyBert.randomize(b, 13, 0.3);
                    return List.of(b);
                }),
                new Case("houlsby tanh without the adapter's residual", false, m -> {
                    Bottleneck b = Bottleneck.create(new BottleneckConfig(BottleneckConfig.Placement.HOULSBY, 3,
                            Activation.TANH, false), m.encoder.sites(), 4);
                    TinyBert.randomize(b, 14, 0.3);
                    return List.of(b);
                }),
                new Case("pfeiffer relu", true, m -> {
                    Bottleneck b = Bottleneck.create(BottleneckConfig.pfeiffer(2), m.encoder.sites(), 5);
                    TinyBert.randomize(b, 15, 0.3);
                    return List.of(b);
                }),
                new Case("ia3 on all four scale sites", false, m -> {
                    Ia3 i = Ia3.create(Ia3Config.peftDefault(), m.encoder.sites());
                    TinyBert.randomize(i, 16, 0.3);
                    return List.of(i);
                }),
                new Case("lora + houlsby + ia3 together", true, m -> {
                    Lora l = Lora.create(LoraConfig.of(2, 4, SiteKind.QUERY, SiteKind.KEY, SiteKind.INTERMEDIATE,
                            SiteKind.OUTPUT), m.encoder.sites(), 6);
                    Bottleneck b = Bottleneck.create(BottleneckConfig.houlsby(3), m.encoder.sites(), 7);
                    Ia3 i = Ia3.create(Ia3Config.peftDefault(), m.encoder.sites());
                    TinyBert.randomize(l, 17, 0.2);
                    TinyBert.randomize(b, 18, 0.3);
                    TinyBert.randomize(i, 19, 0.3);
                    return List.of(l, b, i);
                }));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardMatchesGraftsAdaptedLayer(Case c) {
        try (TinyBert m = new TinyBert(c.outIn(), 21)) {
            List<Adapter> adapters = c.adapters().apply(m);
            float[][] graft = m.hiddenStates(adapters);
            int[] mask = m.mask();
            double maxDiff = 0;
            double maxEffect = 0;
            for (int layer = 0; layer < TinyBert.CONFIG.numLayers(); layer++) {
                TorchBertLayer torch = new TorchBertLayer(TinyBert.CONFIG, m.weights.layers().get(layer), layer,
                        adapters);
                assertThat(torch.parameterNames()).as("every adapter parameter of layer %d is a leaf", layer)
                        .containsExactlyInAnyOrderElementsOf(namesAt(adapters, layer));
                double[] y = torch.forward(TinyBert.BATCH, TinyBert.TOKENS, graft[layer], mask);
                double[] plain = new TorchBertLayer(TinyBert.CONFIG, m.weights.layers().get(layer), layer, List.of())
                        .forward(TinyBert.BATCH, TinyBert.TOKENS, graft[layer], mask);
                for (int i = 0; i < y.length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(y[i] - graft[layer + 1][i]));
                    maxEffect = Math.max(maxEffect, Math.abs(y[i] - plain[i]));
                }
            }
            assertThat(maxDiff).as("max |torch - graft| over both layers").isLessThanOrEqualTo(FORWARD_TOLERANCE);
            assertThat(maxEffect).as("the adapters move the layer's output").isGreaterThan(100 * FORWARD_TOLERANCE);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void autogradMatchesFiniteDifferences(Case c) {
        try (TinyBert m = new TinyBert(c.outIn(), 22)) {
            List<Adapter> adapters = c.adapters().apply(m);
            float[][] graft = m.hiddenStates(adapters);
            int[] mask = m.mask();
            Random r = new Random(23);
            for (int layer = 0; layer < TinyBert.CONFIG.numLayers(); layer++) {
                TorchBertLayer torch = new TorchBertLayer(TinyBert.CONFIG, m.weights.layers().get(layer), layer,
                        adapters);
                double[] x = TorchBertLayer.doubles(graft[layer]);
                double[] dy = new double[x.length];
                for (int i = 0; i < dy.length; i++) {
                    dy[i] = r.nextGaussian();
                }
                TorchBertLayer.Result result = torch.forwardBackward(TinyBert.BATCH, TinyBert.TOKENS, x, mask, dy);
                assertThat(result.y()).as("forward of forwardBackward").containsExactly(
                        torch.forward(TinyBert.BATCH, TinyBert.TOKENS, x, mask));
                // x: a token of the full sequence, a token and a padding position of the padded one
                int h = TinyBert.CONFIG.hiddenSize();
                for (int i : new int[] {2 * h + r.nextInt(h), (TinyBert.TOKENS + 1) * h + r.nextInt(h),
                        (TinyBert.TOKENS + 5) * h + r.nextInt(h)}) {
                    double fd = finiteDifference(torch, x, mask, dy, x, i);
                    assertClose(fd, result.dx()[i], "dL/dx[" + i + "] at layer " + layer);
                }
                for (Map.Entry<String, double[]> e : torch.parameters().entrySet()) {
                    double[] grad = result.parameterGrads().get(e.getKey());
                    assertThat(grad).as(e.getKey()).hasSize(e.getValue().length);
                    assertThat(maxAbs(grad)).as("gradient of " + e.getKey() + " is not all zero").isPositive();
                    for (int k = 0; k < 2; k++) {
                        int i = r.nextInt(e.getValue().length);
                        double fd = finiteDifference(torch, x, mask, dy, e.getValue(), i);
                        assertClose(fd, grad[i], "dL/d " + e.getKey() + "[" + i + "]");
                    }
                }
            }
        }
    }

    @Test
    void rejectsInputsOfTheWrongSize() {
        try (TinyBert m = new TinyBert(true, 24)) {
            TorchBertLayer torch = new TorchBertLayer(TinyBert.CONFIG, m.weights.layers().get(0), 0, List.of());
            assertThatThrownBy(() -> torch.forward(2, 7, new double[10], m.mask()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("x has 10 values");
            assertThatThrownBy(() -> torch.forward(2, 7, new double[2 * 7 * 24], new int[2 * 7]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("all padding");
        }
    }

    /** (L(v[i] + step) − L(v[i] − step)) / 2·step with L = Σ forward(x) ⊙ dy; v is x or a live parameter array. */
    private static double finiteDifference(TorchBertLayer torch, double[] x, int[] mask, double[] dy, double[] v, int i) {
        double saved = v[i];
        v[i] = saved + STEP;
        double plus = dot(torch.forward(TinyBert.BATCH, TinyBert.TOKENS, x, mask), dy);
        v[i] = saved - STEP;
        double minus = dot(torch.forward(TinyBert.BATCH, TinyBert.TOKENS, x, mask), dy);
        v[i] = saved;
        return (plus - minus) / (2 * STEP);
    }

    private static void assertClose(double fd, double autograd, String what) {
        assertThat(Math.abs(fd - autograd)).as(what + ": finite difference " + fd + " vs autograd " + autograd)
                .isLessThanOrEqualTo(GRADIENT_TOLERANCE * (1 + Math.abs(autograd)));
    }

    private static List<String> namesAt(List<Adapter> adapters, int layer) {
        List<String> names = new ArrayList<>();
        for (Adapter a : adapters) {
            for (Parameter p : a.parameters()) {
                if (p.name().contains("encoder.layer." + layer + ".")) {
                    names.add(p.name());
                }
            }
        }
        return names;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
