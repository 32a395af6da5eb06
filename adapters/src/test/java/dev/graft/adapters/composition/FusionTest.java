package dev.graft.adapters.composition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.adapter.AdapterFormatException;
import dev.graft.adapters.adapter.TrainingHooks;
import dev.graft.adapters.bottleneck.Bottleneck;
import dev.graft.adapters.bottleneck.BottleneckConfig;
import dev.graft.adapters.data.CsvDataset;
import dev.graft.adapters.data.LabeledText;
import dev.graft.adapters.nn.Parameter;
import dev.graft.adapters.tasks.ClassificationTask;
import dev.graft.adapters.tasks.TrainedAdapter;
import dev.graft.adapters.tasks.TrainingOptions;
import dev.graft.adapters.testing.AdapterTesting;
import dev.graft.adapters.testing.MiniLm;
import dev.graft.adapters.train.AdapterTrainer;
import dev.graft.adapters.train.TrainerConfig;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.bert.EncoderTape;
import dev.graft.backbones.sites.Site;
import dev.graft.backbones.sites.SiteHook;
import dev.graft.backbones.sites.SiteHooks;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.backbones.sites.SiteShape;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import dev.graft.core.backbone.TokenBatch;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AdapterFusion on the real all-MiniLM-L6-v2 with Pfeiffer bottlenecks in its last layer: the forward equals the
 * attention written out in double precision, the gradients of the fusion's weights through the frozen backbone
 * and the frozen adapters equal finite differences, save/load round-trips, and a fusion over two adapters trained
 * on banking77 learns a third task while the adapters stay as they were.
 */
class FusionTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static BertBackbone backbone;
    private static TensorArena arena;
    private static List<SiteShape> lastLayer;

    @TempDir
    Path tmp;

    @BeforeAll
    static void open() throws Exception {
        backbone = MiniLm.open();
        arena = TensorArena.root("fusion");
        int last = backbone.config().numLayers() - 1;
        lastLayer = backbone.encoder().sites().stream().filter(s -> s.site().layer() == last).toList();
    }

    @AfterAll
    static void close() {
        arena.close();
        backbone.close();
    }

    private static Map<String, Adapter> adapters(long seed) {
        Map<String, Adapter> m = new LinkedHashMap<>();
        for (String name : List.of("x", "y", "z")) {
            Adapter a = Bottleneck.create(BottleneckConfig.pfeiffer(16), lastLayer, seed++);
            AdapterTesting.randomize(a, seed++, 0.05);
            m.put(name, a);
        }
        return m;
    }

    private static List<String> texts(int n) throws Exception {
        return CsvDataset.read(MiniLm.dataset("banking77/test.csv"), "text", "category").stream().limit(n)
                .map(LabeledText::text).toList();
    }

    @Test
    void theForwardIsTheAttentionOverTheAdaptersOutputsWrittenOut() throws Exception {
        Map<String, Adapter> adapters = adapters(1);
        Fusion fusion = Fusion.create("f", adapters, 3);
        AdapterTesting.randomize(fusion, 4, 0.05); // attention far from uniform
        Site site = new Site(backbone.config().numLayers() - 1, SiteKind.AFTER_FFN);
        int w = backbone.config().hiddenSize();
        try (TensorArena a = arena.child("forward")) {
            TokenBatch batch = backbone.tokenize(texts(4), a);
            MemorySegment h = backbone.encode(batch, a, true, SiteHooks.NONE).layers().get(3).segment();
            int rows = (int) (batch.batchSize() * batch.tokens());
            MemorySegment out = a.allocate(DType.F32, rows, w).segment();
            ((SiteHook.Residual) fusion.hooks(a).get(site)).addAdapted(backbone.kernels(), rows, h, 0, w, out, 0, w, a);

            List<double[]> f = new ArrayList<>();
            for (Adapter x : adapters.values()) {
                MemorySegment fx = a.allocate(DType.F32, rows, w).segment();
                ((SiteHook.Residual) x.hooks(a).get(site)).addAdapted(backbone.kernels(), rows, h, 0, w, fx, 0, w, a);
                f.add(doubles(fx, rows * w));
            }
            List<Parameter> p = fusion.parameters(site);
            double[] hd = doubles(h, rows * w);
            double max = 0;
            double norm = 0;
            int n = f.size();
            double entropyMin = Double.MAX_VALUE;
            for (int r = 0; r < rows; r++) {
                double[] q = linear(hd, r, w, p.get(0), p.get(1));
                double[][] v = new double[n][];
                double[] s = new double[n];
                for (int i = 0; i < n; i++) {
                    double[] k = linear(f.get(i), r, w, p.get(2), p.get(3));
                    v[i] = linear(f.get(i), r, w, p.get(4), p.get(5));
                    for (int c = 0; c < w; c++) {
                        s[i] += q[c] * k[c];
                    }
                }
                double mx = Math.max(s[0], Math.max(s[1], s[2]));
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    s[i] = Math.exp(s[i] - mx);
                    sum += s[i];
                }
                double entropy = 0;
                for (int i = 0; i < n; i++) {
                    entropy -= s[i] / sum * Math.log(s[i] / sum);
                }
                entropyMin = Math.min(entropyMin, entropy);
                for (int c = 0; c < w; c++) {
                    double e = 0;
                    for (int i = 0; i < n; i++) {
                        e += s[i] / sum * v[i][c];
                    }
                    max = Math.max(max, Math.abs(e - out.getAtIndex(F32, (long) r * w + c)));
                    norm = Math.max(norm, Math.abs(e));
                }
            }
            System.out.printf("fusion forward: max difference %.3g (largest value %.3g), lowest attention entropy %.3f%n",
                    max, norm, entropyMin);
            assertThat(entropyMin).as("some token's attention is far from uniform").isLessThan(0.9 * Math.log(3));
            assertThat(max).as("max difference against the double-precision attention (largest value %s)", norm)
                    .isLessThan(1e-5 * Math.max(1, norm));
        }
    }

    private static double[] doubles(MemorySegment m, int n) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = m.getAtIndex(F32, i);
        }
        return d;
    }

    /** Row r of x [·, w] times Wᵀ plus b. */
    private static double[] linear(double[] x, int r, int w, Parameter weight, Parameter bias) {
        double[] y = new double[w];
        float[] wt = weight.values();
        for (int o = 0; o < w; o++) {
            double acc = bias.values()[o];
            for (int i = 0; i < w; i++) {
                acc += (double) wt[o * w + i] * x[r * w + i];
            }
            y[o] = acc;
        }
        return y;
    }

    @Test
    void gradientsThroughTheFrozenAdaptersMatchFiniteDifferences() throws Exception {
        Map<String, Adapter> adapters = adapters(11);
        Fusion fusion = Fusion.create("f", adapters, 13);
        AdapterTesting.randomize(fusion, 14, 0.05);
        checkGradients(fusion, List.copyOf(adapters.values()), backbone.config().numLayers() - 1, 2e-2, 5e-3, 1e-2);
    }

    /**
     * A fusion low in the backbone under blocks above it: its gradients flow back through Stack and Average of
     * frozen LoRA, (IA)³ and bottleneck adapters in the layers above (every block's backward).
     */
    @Test
    void gradientsThroughBlocksOfFrozenAdaptersMatchFiniteDifferences() throws Exception {
        List<SiteShape> all = backbone.encoder().sites();
        List<SiteShape> layer1 = all.stream().filter(s -> s.site().layer() == 1).toList();
        Map<String, Adapter> m = new LinkedHashMap<>();
        long seed = 40;
        for (String name : List.of("x", "y")) {
            m.put(name, randomized(Bottleneck.create(BottleneckConfig.pfeiffer(16), layer1, seed++), seed++, 0.05));
        }
        for (String name : List.of("loraA", "loraB", "loraC")) {
            m.put(name, randomized(dev.graft.adapters.lora.Lora.create(dev.graft.adapters.lora.LoraConfig.of(4, 8,
                    SiteKind.QUERY, SiteKind.VALUE), all, seed++), seed++, 0.05));
        }
        for (String name : List.of("ia3P", "ia3Q")) {
            m.put(name, randomized(dev.graft.adapters.ia3.Ia3.create(dev.graft.adapters.ia3.Ia3Config.standard(), all),
                    seed++, 0.2));
        }
        // GELU: ReLU kinks crossed within a finite-difference step over six layers of tokens would blur the check
        BottleneckConfig smooth = new BottleneckConfig(BottleneckConfig.pfeiffer(16).placement(), 16,
                dev.graft.core.kernels.Activation.GELU, true);
        for (String name : List.of("bnU", "bnV")) {
            m.put(name, randomized(Bottleneck.create(smooth, all, seed++), seed++, 0.05));
        }
        Fusion fusion = Fusion.create("f", Map.of("x", m.get("x"), "y", m.get("y")), seed++);
        AdapterTesting.randomize(fusion, seed, 0.05);
        m.put("f", fusion);
        List<Adapter> frozen = m.values().stream().filter(a -> a != fusion).toList();
        Composition.Fuse fuse = Composition.fuse("f", "x", "y");
        // projections: Stack(Average(A, B), C); scales: Stack(P, Q)
        CompositeAdapter first = new CompositeAdapter(Composition.stack(Composition.average("loraA", "loraB"),
                new Composition.Use("loraC"), new Composition.Use("ia3P"), new Composition.Use("ia3Q"), fuse), m);
        assertThat(first.parameters()).as("only the fusion trains").isEqualTo(fusion.parameters());
        // six recorded layers: central differences of the float32 forward vary by about 5e-3 with small steps here
        // (measured for one weight: -0.0288, -0.0275, -0.0253, -0.0370 for steps 0.1, 0.03, 0.01, 0.003; analytic
        // -0.0292), so the steps are larger
        checkGradients(first, frozen, 0, 5e-2, 1e-2, 2e-2); // the LoRAs sit from layer 0 up
        // scales: Average(P, Q); residuals: Average(U, V) above, Stack(Average(U, V), Fuse) in layer 1
        CompositeAdapter second = new CompositeAdapter(Composition.stack(Composition.average("ia3P", "ia3Q"),
                Composition.average("bnU", "bnV"), fuse), m);
        checkGradients(second, frozen, 0, 5e-2, 1e-2, 2e-2);
    }

    private static Adapter randomized(Adapter a, long seed, double scale) {
        AdapterTesting.randomize(a, seed, scale);
        return a;
    }

    /**
     * The analytic gradients of {@code trainable}'s parameters (by the tape's backward, of Σ last ⊙ w) against
     * central differences, a few coordinates of each and one random direction; {@code frozen} get no gradient.
     */
    private void checkGradients(Adapter trainable, List<Adapter> frozen, int firstRecorded, double fdStep,
                                double absolute, double relative) throws Exception {
        List<float[]> before = frozen.stream().flatMap(x -> x.parameters().stream()).map(p -> p.values().clone()).toList();
        for (Parameter p : trainable.parameters()) {
            java.util.Arrays.fill(p.grads(), 0f);
        }
        try (TensorArena a = arena.child("grad")) {
            TokenBatch batch = backbone.tokenize(texts(3), a);
            int stages = backbone.config().numLayers() + 1;
            int size = (int) (batch.batchSize() * batch.tokens() * backbone.config().hiddenSize());
            float[] weights = new float[size];
            Random r = new Random(5);
            for (int i = 0; i < size; i++) {
                weights[i] = (float) r.nextGaussian();
            }
            try (TensorArena step = a.child("step")) {
                TrainingHooks th = trainable.trainingHooks(step, 9);
                try (EncoderTape tape = EncoderTape.forward(backbone.encoder(), batch, SiteHooks.of(th.hooks()),
                        EncoderTape.Options.NO_DROPOUT, true, step)) {
                    assertThat(tape.firstRecordedLayer()).isEqualTo(firstRecorded);
                    MemorySegment.copy(weights, 0, tape.stageGradient(stages - 1), ValueLayout.JAVA_FLOAT, 0, size);
                    tape.backward();
                }
                th.flushGradients();
            }
            List<Parameter> params = trainable.parameters();
            Random pick = new Random(17);
            for (int j = 0; j < params.size(); j++) {
                Parameter p = params.get(j);
                for (int trial = 0; trial < 2; trial++) {
                    int i = pick.nextInt(p.size());
                    float[][] dir = new float[params.size()][];
                    for (int q = 0; q < dir.length; q++) {
                        dir[q] = new float[params.get(q).size()];
                    }
                    dir[j][i] = 1f;
                    double numeric = derivative(trainable, batch, weights, dir, fdStep, a);
                    System.out.printf("%s gradient %s[%d]: analytic %.6g, numeric %.6g%n", trainable.describe(),
                            p.name(), i, p.grads()[i], numeric);
                    assertThat((double) p.grads()[i]).as("%s[%d]", p.name(), i)
                            .isCloseTo(numeric, within(absolute + relative * Math.abs(numeric)));
                }
            }
            float[][] dir = new float[params.size()][];
            double norm = 0;
            for (int j = 0; j < params.size(); j++) {
                dir[j] = new float[params.get(j).size()];
                for (int i = 0; i < dir[j].length; i++) {
                    dir[j][i] = (float) pick.nextGaussian();
                    norm += dir[j][i] * dir[j][i];
                }
            }
            double analytic = 0;
            for (int j = 0; j < params.size(); j++) {
                for (int i = 0; i < dir[j].length; i++) {
                    dir[j][i] /= (float) Math.sqrt(norm);
                    analytic += dir[j][i] * params.get(j).grads()[i];
                }
            }
            double numeric = derivative(trainable, batch, weights, dir, fdStep, a);
            System.out.printf("%s directional derivative: analytic %.6g, numeric %.6g%n", trainable.describe(), analytic,
                    numeric);
            assertThat(Math.abs(numeric)).as("the direction moves the loss").isGreaterThan(1e-2);
            assertThat(analytic).as("directional derivative")
                    .isCloseTo(numeric, within(relative * Math.abs(numeric) + absolute));
        }
        List<float[]> after = frozen.stream().flatMap(x -> x.parameters().stream()).map(p -> p.values().clone()).toList();
        for (int i = 0; i < before.size(); i++) {
            assertThat(after.get(i)).isEqualTo(before.get(i));
        }
        for (Adapter x : frozen) {
            for (Parameter p : x.parameters()) {
                assertThat(p.grads()).as("the frozen adapter's %s gets no gradient", p.name()).containsOnly(0f);
            }
        }
    }

    /** Central differences of the training forward with Richardson extrapolation (steps h and h/2). */
    private static double derivative(Adapter f, TokenBatch batch, float[] weights, float[][] dir, double h,
                                     TensorArena a) {
        double d1 = (loss(f, batch, weights, dir, h, a) - loss(f, batch, weights, dir, -h, a)) / (2 * h);
        double d2 = (loss(f, batch, weights, dir, h / 2, a) - loss(f, batch, weights, dir, -h / 2, a)) / h;
        return (4 * d2 - d1) / 3;
    }

    private static double loss(Adapter f, TokenBatch batch, float[] weights, float[][] dir, double t, TensorArena a) {
        List<Parameter> params = f.parameters();
        float[][] saved = new float[params.size()][];
        for (int j = 0; j < params.size(); j++) {
            float[] v = params.get(j).values();
            saved[j] = v.clone();
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (v[i] + t * dir[j][i]);
            }
        }
        double l = 0;
        try (TensorArena step = a.child("fd");
             EncoderTape tape = EncoderTape.forward(backbone.encoder(), batch,
                     SiteHooks.of(f.trainingHooks(step, 9).hooks()), EncoderTape.Options.NO_DROPOUT, false, step)) {
            Tensor last = tape.output().lastHidden();
            for (int i = 0; i < weights.length; i++) {
                l += (double) last.segment().getAtIndex(F32, i) * weights[i];
            }
        }
        for (int j = 0; j < params.size(); j++) {
            System.arraycopy(saved[j], 0, params.get(j).values(), 0, saved[j].length);
        }
        return l;
    }

    @Test
    void aSavedFusionLoadsBackOverTheSameAdapters() throws Exception {
        Map<String, Adapter> adapters = adapters(21);
        Fusion fusion = Fusion.create("topics", Map.of("x", adapters.get("x"), "y", adapters.get("y")), 22);
        AdapterTesting.randomize(fusion, 23, 0.05);
        Path dir = tmp.resolve("fusions/topics");
        fusion.save(dir);
        assertThat(dir.resolve(Fusion.CONFIG_FILE)).exists();
        assertThat(dir.resolve(Fusion.WEIGHTS_FILE)).exists();
        Fusion loaded = Fusion.load(dir, adapters);
        assertThat(loaded.name()).isEqualTo("topics");
        assertThat(loaded.adapterNames()).isEqualTo(fusion.adapterNames());
        for (int i = 0; i < fusion.parameters().size(); i++) {
            assertThat(loaded.parameters().get(i).values()).isEqualTo(fusion.parameters().get(i).values());
        }
        try (TensorArena a = arena.child("load")) {
            TokenBatch batch = backbone.tokenize(texts(3), a);
            float[] before = backbone.encode(batch, a, false, SiteHooks.of(fusion.hooks(a))).lastHidden().toFloatArray();
            float[] after = backbone.encode(batch, a, false, SiteHooks.of(loaded.hooks(a))).lastHidden().toFloatArray();
            assertThat(after).containsExactly(before);
        }
        assertThatThrownBy(() -> Fusion.load(dir, Map.of("x", adapters.get("x"))))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageContaining(Fusion.CONFIG_FILE)
                .hasMessageContaining("names 'y', which is not among the adapters given (x)");
    }

    @Test
    void aFusionOverTwoTrainedAdaptersLearnsAThirdTaskAndLeavesThemUnchanged() throws Exception {
        List<LabeledText> all = CsvDataset.read(MiniLm.dataset("banking77/train.csv"), "text", "category");
        Set<String> labels = new LinkedHashSet<>();
        all.forEach(t -> labels.add(t.label()));
        List<String> ordered = List.copyOf(labels);
        List<LabeledText> taskX = subset(all, ordered.subList(0, 4), 24);
        List<LabeledText> taskY = subset(all, ordered.subList(4, 8), 24);
        List<LabeledText> taskF = subset(all, ordered.subList(8, 12), 24);
        TrainingOptions options = TrainingOptions.defaults()
                .withTrainer(TrainerConfig.defaults().withSeed(3).withValidationFraction(0.2));
        Map<String, Adapter> adapters = new LinkedHashMap<>();
        adapters.put("x", Bottleneck.create(BottleneckConfig.pfeiffer(16), lastLayer, 31));
        adapters.put("y", Bottleneck.create(BottleneckConfig.pfeiffer(16), lastLayer, 32));
        ClassificationTask.trainWithAdapter(backbone, adapters.get("x"), taskX, null, options, schedule(2, 1e-2));
        ClassificationTask.trainWithAdapter(backbone, adapters.get("y"), taskY, null, options, schedule(2, 1e-2));
        List<float[]> trained = adapters.values().stream().flatMap(x -> x.parameters().stream())
                .map(p -> p.values().clone()).toList();

        Fusion fusion = Fusion.create("xy", adapters, 33);
        List<float[]> initial = fusion.parameters().stream().map(p -> p.values().clone()).toList();
        TrainedAdapter t = ClassificationTask.trainWithAdapter(backbone, fusion, taskF, null, options, schedule(4, 5e-3));
        var history = t.trained().result().history();
        assertThat(history.getLast().trainLoss()).as("train loss per epoch %s", history)
                .isLessThan(history.getFirst().trainLoss());
        boolean changed = false;
        for (int i = 0; i < initial.size(); i++) {
            changed |= !java.util.Arrays.equals(initial.get(i), fusion.parameters().get(i).values());
        }
        assertThat(changed).as("the fusion's weights were trained").isTrue();
        List<float[]> after = adapters.values().stream().flatMap(x -> x.parameters().stream())
                .map(p -> p.values().clone()).toList();
        for (int i = 0; i < trained.size(); i++) {
            assertThat(after.get(i)).as("fused adapter parameter %d", i).isEqualTo(trained.get(i));
        }
        System.out.printf("fusion training: train loss per epoch %s, best validation accuracy %.4f%n",
                history.stream().map(e -> String.format("%.4f", e.trainLoss())).toList(), t.trained().result().bestMetric());
    }

    private static List<LabeledText> subset(List<LabeledText> all, List<String> labels, int perLabel) {
        List<LabeledText> out = new ArrayList<>();
        for (String label : labels) {
            all.stream().filter(x -> x.label().equals(label)).limit(perLabel).forEach(out::add);
        }
        return out;
    }

    private static AdapterTrainer.Config schedule(int epochs, double lr) {
        return new AdapterTrainer.Config(epochs, 16, lr, 5e-2, 0.01, 0.1, 1.0, 0.1f, 0.1f, 7, 50);
    }
}
