package dev.graft.adapters.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.graft.adapters.nn.Parameter;
import dev.graft.backbones.bert.BertEncoder;
import dev.graft.backbones.bert.EncoderTape;
import dev.graft.backbones.huggingface.HfTestModels;
import dev.graft.backbones.sites.SiteHooks;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.kernels.ScalarKernels;
import dev.graft.core.parallel.ComputePool;
import dev.graft.core.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Training through the frozen tiny BERT with every adapter type: the tape's forward equals the inference forward,
 * and its backward's parameter gradients equal central finite differences of the training forward — with dropout
 * on as well (the masks are a function of the seed, so the loss stays a deterministic function of the
 * parameters). The loss reads two stages (the last and a middle one), as a layer-mix head does.
 *
 * <p>Tolerances: forward vs inference 2e-5 absolute. Gradients: the forward is float32, so the difference quotient
 * carries rounding noise of about (1e-5 loss error)/(step): measured 5e-3–1.5e-2 at step 1e-3 and a quarter of that
 * at the step used, 4e-3 (Richardson-extrapolated, so the O(h²) truncation cancels). Hence |analytic − numeric| ≤
 * 5e-3 + 1 %·|numeric| per checked coordinate and for the directional derivative along a random unit direction
 * over all parameters. The tight check is against PyTorch in double ({@code TorchGradientTest}).
 */
class EncoderTapeGradientTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final EncoderTape.Options DROPOUT = new EncoderTape.Options(0.1f, 0.1f, 42);

    static Stream<Arguments> cases() {
        return AdapterCases.all().flatMap(c -> Stream.of(
                Arguments.of(c, false, EncoderTape.Options.NO_DROPOUT),
                Arguments.of(c, true, EncoderTape.Options.NO_DROPOUT),
                Arguments.of(c, true, DROPOUT)));
    }

    @ParameterizedTest(name = "{0}, vector {1}, {2}")
    @MethodSource("cases")
    void gradientsMatchFiniteDifferences(AdapterCases c, boolean vector, EncoderTape.Options options) {
        Kernels kernels = vector ? Kernels.create(2) : new ScalarKernels(new ComputePool(1));
        try (TinyModel m = new TinyModel(HfTestModels.TINY, 11, kernels)) {
            Adapter adapter = c.fresh().apply(m.encoder.sites());
            AdapterCases.randomize(adapter, 5, 0.3);
            int stages = m.encoder.config().numLayers() + 1;
            int size = (int) (m.batch.batchSize() * m.batch.tokens() * m.encoder.config().hiddenSize());
            Random r = new Random(3);
            float[] wLast = gaussian(r, size);
            float[] wMid = gaussian(r, size);

            boolean ownDropout = adapter instanceof dev.graft.adapters.lora.Lora l && l.config().dropout() > 0;
            if (options == EncoderTape.Options.NO_DROPOUT && !ownDropout) { // LoRA's own dropout is on in training
                try (TensorArena step = m.arena.child("step");
                     Adapters attached = Adapters.attach(m.encoder, List.of(adapter), step)) {
                    float[] inference = m.encoder.encode(m.batch, step, false, attached.hooks()).lastHidden().toFloatArray();
                    TrainingHooks th = adapter.trainingHooks(step, 9);
                    try (EncoderTape tape = EncoderTape.forward(m.encoder, m.batch, SiteHooks.of(th.hooks()), options,
                            true, step)) {
                        float[] trained = tape.output().lastHidden().toFloatArray();
                        for (int i = 0; i < size; i++) {
                            assertThat(trained[i]).as("output %d", i).isCloseTo(inference[i], within(2e-5f));
                        }
                    }
                }
            }

            // analytic gradients
            for (Parameter p : adapter.parameters()) {
                java.util.Arrays.fill(p.grads(), 0f);
            }
            try (TensorArena step = m.arena.child("step")) {
                TrainingHooks th = adapter.trainingHooks(step, 9);
                try (EncoderTape tape = EncoderTape.forward(m.encoder, m.batch, SiteHooks.of(th.hooks()), options, true,
                        step)) {
                    MemorySegment.copy(wLast, 0, tape.stageGradient(stages - 1), ValueLayout.JAVA_FLOAT, 0, size);
                    MemorySegment.copy(wMid, 0, tape.stageGradient(stages - 2), ValueLayout.JAVA_FLOAT, 0, size);
                    tape.backward();
                }
                th.flushGradients();
                assertThat(step.allocatedBytes()).isGreaterThan(0);
            }

            // numeric: a few coordinates of every parameter, and one random unit direction over all of them
            List<Parameter> params = adapter.parameters();
            Random pick = new Random(17);
            for (int j = 0; j < params.size(); j++) {
                Parameter p = params.get(j);
                for (int trial = 0; trial < 3; trial++) {
                    int i = pick.nextInt(p.size());
                    float[][] dir = new float[params.size()][];
                    for (int q = 0; q < dir.length; q++) {
                        dir[q] = new float[params.get(q).size()];
                    }
                    dir[j][i] = 1f;
                    double numeric = derivative(m, adapter, options, wLast, wMid, dir);
                    assertThat((double) p.grads()[i]).as("%s[%d]", p.name(), i)
                            .isCloseTo(numeric, within(5e-3 + 1e-2 * Math.abs(numeric)));
                }
            }
            float[][] dir = new float[params.size()][];
            double norm = 0;
            for (int j = 0; j < params.size(); j++) {
                dir[j] = gaussian(pick, params.get(j).size());
                for (float v : dir[j]) {
                    norm += v * v;
                }
            }
            double analytic = 0;
            for (int j = 0; j < params.size(); j++) {
                for (int i = 0; i < dir[j].length; i++) {
                    dir[j][i] /= (float) Math.sqrt(norm);
                    analytic += dir[j][i] * params.get(j).grads()[i];
                }
            }
            double numeric = derivative(m, adapter, options, wLast, wMid, dir);
            assertThat(analytic).as("directional derivative").isCloseTo(numeric, within(1e-2 * Math.abs(numeric) + 5e-3));
        }
    }

    /**
     * The loss's derivative along {@code dir} by central differences with Richardson extrapolation (steps h and
     * h/2, h = 4e-3: the O(h²) term cancels; kinks of ReLU within the step are unlikely at this size).
     */
    private static double derivative(TinyModel m, Adapter a, EncoderTape.Options o, float[] wLast, float[] wMid,
                                     float[][] dir) {
        double h = 4e-3;
        double d1 = (shifted(m, a, o, wLast, wMid, dir, h) - shifted(m, a, o, wLast, wMid, dir, -h)) / (2 * h);
        double d2 = (shifted(m, a, o, wLast, wMid, dir, h / 2) - shifted(m, a, o, wLast, wMid, dir, -h / 2)) / h;
        return (4 * d2 - d1) / 3;
    }

    @org.junit.jupiter.api.Test
    void recordsOnlyTheLayersFromTheLowestAdapterSiteUp() {
        try (TinyModel m = new TinyModel()) {
            dev.graft.adapters.lora.Lora top = dev.graft.adapters.lora.Lora.create(new dev.graft.adapters.lora.LoraConfig(
                    2, 4, 0f, java.util.Set.of(dev.graft.backbones.sites.SiteKind.QUERY), List.of(1), false),
                    m.encoder.sites(), 1);
            dev.graft.adapters.lora.Lora all = dev.graft.adapters.lora.Lora.create(dev.graft.adapters.lora.LoraConfig.of(
                    2, 4, dev.graft.backbones.sites.SiteKind.QUERY), m.encoder.sites(), 1);
            long topBytes = recordedBytes(m, top, 1);
            long allBytes = recordedBytes(m, all, 0);
            assertThat(topBytes).as("one recorded layer of two").isLessThan(allBytes * 6 / 10);
            try (TensorArena step = m.arena.child("step");
                 EncoderTape tape = EncoderTape.forward(m.encoder, m.batch, SiteHooks.NONE,
                         EncoderTape.Options.NO_DROPOUT, false, step)) {
                assertThat(tape.firstRecordedLayer()).as("no adapter: nothing recorded").isEqualTo(2);
                tape.backward();
            }
        }
    }

    @org.junit.jupiter.api.Test
    void anEncoderWithSparseAttentionInAnAdaptedLayerIsRefused() {
        try (TinyModel m = new TinyModel()) {
            BertEncoder windowed = new BertEncoder(m.weights, m.kernels,
                    dev.graft.attention.spec.AttentionSpec.parse("all:window(2)").kernels(m.kernels, 2));
            Adapter lora = dev.graft.adapters.lora.Lora.create(dev.graft.adapters.lora.LoraConfig.of(2, 4,
                    dev.graft.backbones.sites.SiteKind.QUERY), windowed.sites(), 1);
            try (TensorArena step = m.arena.child("step")) {
                TrainingHooks th = lora.trainingHooks(step, 1);
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> EncoderTape.forward(windowed, m.batch,
                                SiteHooks.of(th.hooks()), EncoderTape.Options.NO_DROPOUT, false, step))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("layer 0 of this encoder uses");
            }
        }
    }

    /** The bytes a training tape with {@code a} holds, after checking its first recorded layer. */
    private static long recordedBytes(TinyModel m, Adapter a, int firstLayer) {
        try (TensorArena step = m.arena.child("step")) {
            TrainingHooks th = a.trainingHooks(step, 1);
            try (EncoderTape tape = EncoderTape.forward(m.encoder, m.batch, SiteHooks.of(th.hooks()),
                    EncoderTape.Options.NO_DROPOUT, false, step)) {
                assertThat(tape.firstRecordedLayer()).isEqualTo(firstLayer);
                return tape.allocatedBytes();
            }
        }
    }

    /** The loss with every parameter moved by {@code t·dir}. */
    private static double shifted(TinyModel m, Adapter a, EncoderTape.Options o, float[] wLast, float[] wMid,
                                  float[][] dir, double t) {
        List<Parameter> params = a.parameters();
        float[][] saved = new float[params.size()][];
        for (int j = 0; j < params.size(); j++) {
            float[] v = params.get(j).values();
            saved[j] = v.clone();
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (v[i] + t * dir[j][i]);
            }
        }
        double l = loss(m, a, o, wLast, wMid);
        for (int j = 0; j < params.size(); j++) {
            System.arraycopy(saved[j], 0, params.get(j).values(), 0, saved[j].length);
        }
        return l;
    }

    /** Σ last ⊙ wLast + Σ (last − 1 stage) ⊙ wMid, by the training forward. */
    private static double loss(TinyModel m, Adapter a, EncoderTape.Options o, float[] wLast, float[] wMid) {
        try (TensorArena step = m.arena.child("fd")) {
            TrainingHooks th = a.trainingHooks(step, 9);
            try (EncoderTape tape = EncoderTape.forward(m.encoder, m.batch, SiteHooks.of(th.hooks()), o, true, step)) {
                List<dev.graft.core.tensor.Tensor> s = tape.output().layers();
                return dot(s.get(s.size() - 1).segment(), wLast) + dot(s.get(s.size() - 2).segment(), wMid);
            }
        }
    }

    private static double dot(MemorySegment x, float[] w) {
        double s = 0;
        for (int i = 0; i < w.length; i++) {
            s += (double) x.getAtIndex(F32, i) * w[i];
        }
        return s;
    }

    private static float[] gaussian(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }
}
