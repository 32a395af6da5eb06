package dev.graft.adapters.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.adapter.TrainingHooks;
import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.lora.LoraConfig;
import dev.graft.adapters.nn.Parameter;
import dev.graft.backbones.bert.EncoderTape;
import dev.graft.backbones.sites.SiteHooks;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Graft's backward pass through the frozen encoder ({@link EncoderTape} with the adapters' training hooks, Vector
 * API kernels) against PyTorch's autograd in float64 ({@link TorchBertLayer}), for every adapter type of
 * {@link TorchBertLayerTest#cases()}: the loss Σ y ⊙ dy on the last layer's output is back-propagated by Graft
 * through both layers, and by PyTorch one layer at a time (the gradient of layer L's input is layer L−1's
 * upstream gradient), each PyTorch layer fed with Graft's recorded input of that layer.
 *
 * <p>Tolerances (Graft computes in float32, PyTorch in float64, over N(0, 1) random weights): the recorded outputs
 * within 1e-4 absolute; every adapter-parameter gradient within 1e-3 of the largest magnitude of its tensor's
 * PyTorch gradient (plus 1e-5) elementwise, and the layer-input gradients likewise.
 */
class TorchGradientTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.graft.adapters.training.TorchBertLayerTest#cases")
    void adapterGradientsMatchPyTorch(TorchBertLayerTest.Case c) {
        try (TinyBert m = new TinyBert(c.outIn(), 21)) {
            List<Adapter> adapters = c.adapters().apply(m).stream().map(a -> withoutDropout(a, m)).toList();
            int layers = TinyBert.CONFIG.numLayers();
            int size = TinyBert.BATCH * TinyBert.TOKENS * TinyBert.CONFIG.hiddenSize();
            Random r = new Random(5);
            float[] dy = new float[size];
            for (int i = 0; i < size; i++) {
                dy[i] = (float) r.nextGaussian();
            }
            Map<String, Parameter> byName = new HashMap<>();
            for (Adapter a : adapters) {
                for (Parameter p : a.parameters()) {
                    java.util.Arrays.fill(p.grads(), 0f);
                    byName.put(p.name(), p);
                }
            }
            float[][] stages = new float[layers + 1][];
            float[] inputGradient;
            int first;
            try (TensorArena step = m.arena.child("step")) {
                TrainingHooks th = new TrainingHooks(step);
                for (Adapter a : adapters) {
                    th.putAll(a.trainingHooks(step, 1));
                }
                try (EncoderTape tape = EncoderTape.forward(m.encoder, m.batch, SiteHooks.of(th.hooks()),
                        EncoderTape.Options.NO_DROPOUT, true, step)) {
                    first = tape.firstRecordedLayer();
                    List<Tensor> out = tape.output().layers();
                    for (int s = 0; s <= layers; s++) {
                        stages[s] = out.get(s).toFloatArray();
                    }
                    MemorySegment.copy(dy, 0, tape.stageGradient(layers), ValueLayout.JAVA_FLOAT, 0, size);
                    tape.backward();
                }
                th.flushGradients();
            }

            double[] upstream = new double[size];
            for (int i = 0; i < size; i++) {
                upstream[i] = dy[i];
            }
            List<String> checked = new ArrayList<>();
            for (int layer = layers - 1; layer >= first; layer--) {
                TorchBertLayer torch = new TorchBertLayer(TinyBert.CONFIG, m.weights.layers().get(layer), layer, adapters);
                double[] input = new double[size];
                for (int i = 0; i < size; i++) {
                    input[i] = stages[layer][i];
                }
                TorchBertLayer.Result ref = torch.forwardBackward(TinyBert.BATCH, TinyBert.TOKENS, input, m.mask(),
                        upstream);
                for (int i = 0; i < size; i++) {
                    assertThat((double) stages[layer + 1][i]).as("layer %d output %d", layer, i)
                            .isCloseTo(ref.y()[i], org.assertj.core.data.Offset.offset(1e-4));
                }
                for (Map.Entry<String, double[]> e : ref.parameterGrads().entrySet()) {
                    Parameter p = byName.get(e.getKey());
                    assertThat(p).as(e.getKey()).isNotNull();
                    assertClose(e.getKey(), p.grads(), e.getValue());
                    checked.add(e.getKey());
                }
                upstream = ref.dx();
            }
            assertThat(checked).as("every adapter parameter was checked")
                    .containsExactlyInAnyOrderElementsOf(byName.keySet());
        }
    }

    private static void assertClose(String what, float[] actual, double[] expected) {
        double scale = 0;
        for (double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        assertThat(scale).as("%s has a non-zero gradient", what).isGreaterThan(0);
        double tolerance = 1e-3 * scale + 1e-5;
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) actual[i]).as("%s[%d] (largest |gradient| %.3g)", what, i, scale)
                    .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(tolerance));
        }
    }

    /** The same LoRA without its own dropout (the PyTorch reference has none); other adapters as they are. */
    private static Adapter withoutDropout(Adapter a, TinyBert m) {
        if (!(a instanceof Lora l) || l.config().dropout() == 0f) {
            return a;
        }
        LoraConfig c = l.config();
        Lora copy = Lora.create(new LoraConfig(c.r(), c.alpha(), 0f, c.targets(), c.layers(), c.rslora()),
                m.encoder.sites(), 0);
        List<Parameter> from = l.parameters();
        List<Parameter> to = copy.parameters();
        for (int i = 0; i < from.size(); i++) {
            assertThat(to.get(i).name()).isEqualTo(from.get(i).name());
            to.get(i).load(from.get(i).values());
        }
        return copy;
    }
}
