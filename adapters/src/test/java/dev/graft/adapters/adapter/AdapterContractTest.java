package dev.graft.adapters.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.graft.adapters.AdapterTypes;
import dev.graft.adapters.HeadTypes;
import dev.graft.adapters.classification.ClassificationConfig;
import dev.graft.adapters.classification.SequenceClassification;
import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.compose.Predictions;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.FeatureKind;
import dev.graft.adapters.head.FeatureRows;
import dev.graft.adapters.head.Features;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.head.HeadOutput;
import dev.graft.adapters.head.LayerSelection;
import dev.graft.adapters.regression.Regression;
import dev.graft.adapters.regression.RegressionConfig;
import dev.graft.adapters.tagging.TaggingConfig;
import dev.graft.adapters.tagging.TokenClassification;
import dev.graft.adapters.testing.TinyBackbone;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.bert.EncoderOutput;
import dev.graft.core.backbone.Pooling;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.tensor.TensorArena;
import dev.graft.adapters.nn.Parameter;
import dev.graft.backbones.sites.SiteHooks;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The checks every adapter type passes, one matrix over {@link AdapterCases#all()} on a tiny random BERT. */
class AdapterContractTest {
    @TempDir
    Path tmp;
    @TempDir
    static Path shared;
    /** The tiny random BERT as a whole backbone (tokenizer included), for composed models with heads. */
    static BertBackbone tiny;

    @BeforeAll
    static void openTinyBackbone() throws Exception {
        tiny = TinyBackbone.open(TinyBackbone.write(shared.resolve("tiny-bert"), 9));
    }

    @AfterAll
    static void closeTinyBackbone() {
        tiny.close();
    }

    static java.util.stream.Stream<AdapterCases> cases() {
        return AdapterCases.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void freshAdapterLeavesEveryLayerBitIdentical(AdapterCases c) {
        try (TinyModel m = new TinyModel()) {
            float[] plain = m.encode(SiteHooks.NONE);
            Adapter a = c.fresh().apply(m.encoder.sites());
            assertThat(a.parameterCount()).isPositive();
            long before = m.arena.allocatedBytes();
            try (Adapters attached = Adapters.attach(m.encoder, List.of(a), m.arena)) {
                assertThat(attached.hooks().isEmpty()).isFalse();
                assertThat(m.encode(attached.hooks())).containsExactly(plain);
            }
            assertThat(m.arena.allocatedBytes()).as("the snapshot and every forward's scratch are released")
                    .isEqualTo(before);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void freshAdapterIsBitIdenticalOnTheScalarKernelsToo(AdapterCases c) {
        var kernels = new dev.graft.core.kernels.ScalarKernels(new dev.graft.core.parallel.ComputePool(1));
        try (TinyModel m = new TinyModel(dev.graft.backbones.huggingface.HfTestModels.TINY, 8, kernels)) {
            float[] plain = m.encode(SiteHooks.NONE);
            try (Adapters attached = Adapters.attach(m.encoder, List.of(c.fresh().apply(m.encoder.sites())), m.arena)) {
                assertThat(m.encode(attached.hooks())).containsExactly(plain);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void nonZeroAdapterChangesTheOutputAndSnapshotIsImmutable(AdapterCases c) {
        try (TinyModel m = new TinyModel()) {
            float[] plain = m.encode(SiteHooks.NONE);
            Adapter a = c.fresh().apply(m.encoder.sites());
            AdapterCases.randomize(a, 11, 0.3);
            try (Adapters attached = Adapters.attach(m.encoder, List.of(a), m.arena)) {
                float[] adapted = m.lastHidden(attached);
                assertThat(adapted).isNotEqualTo(java.util.Arrays.copyOfRange(plain, plain.length - adapted.length,
                        plain.length));
                // changing the parameters after attaching does not reach the attached snapshot
                AdapterCases.randomize(a, 12, 0.3);
                assertThat(m.lastHidden(attached)).containsExactly(adapted);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void saveAndLoadRoundTrip(AdapterCases c) throws Exception {
        try (TinyModel m = new TinyModel()) {
            Adapter a = c.fresh().apply(m.encoder.sites());
            AdapterCases.randomize(a, 21, 0.3);
            Path dir = tmp.resolve(c.name().replace(' ', '_'));
            PeftIO.save(a, "org/random-test-model", dir);
            Adapter back = PeftIO.load(dir, AdapterTypes.registry(), m.encoder.sites(), "random-test-model");
            assertThat(back.typeName()).isEqualTo(a.typeName());
            assertThat(back.describe()).isEqualTo(a.describe());
            assertThat(back.sites()).containsExactlyInAnyOrderElementsOf(a.sites());
            Map<String, float[]> saved = values(a);
            Map<String, float[]> loaded = values(back);
            assertThat(loaded.keySet()).isEqualTo(saved.keySet());
            saved.forEach((name, v) -> assertThat(loaded.get(name)).as(name).containsExactly(v));
            try (Adapters one = Adapters.attach(m.encoder, List.of(a), m.arena);
                 Adapters two = Adapters.attach(m.encoder, List.of(back), m.arena)) {
                assertThat(m.lastHidden(two)).containsExactly(m.lastHidden(one));
            }
            // saving again replaces the previous save
            PeftIO.save(back, "org/random-test-model", dir);
            assertThat(PeftIO.load(dir, AdapterTypes.registry(), m.encoder.sites(), null).parameterCount())
                    .isEqualTo(a.parameterCount());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void mergeWhereTheTypeAllowsIt(AdapterCases c) {
        try (TinyModel m = new TinyModel()) {
            Adapter a = c.fresh().apply(m.encoder.sites());
            AdapterCases.randomize(a, 31, 0.2);
            float[] frozenBefore = frozen(m);
            if (!a.mergeable()) {
                assertThatThrownBy(() -> Adapters.attachMerged(m.encoder, List.of(a), m.arena))
                        .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining(a.typeName());
                return;
            }
            float[] plain = m.encode(SiteHooks.NONE);
            try (Adapters unmerged = Adapters.attach(m.encoder, List.of(a), m.arena);
                 Adapters merged = Adapters.attachMerged(m.encoder, List.of(a), m.arena)) {
                assertThat(merged.merged()).isTrue();
                float[] u = m.lastHidden(unmerged);
                float[] g = m.lastHidden(merged);
                for (int i = 0; i < u.length; i++) {
                    assertThat(g[i]).as("element %d", i).isCloseTo(u[i], within(1e-4f));
                }
                // the shared backbone keeps serving unmodified, before and after the merged copy is dropped
                assertThat(m.encode(SiteHooks.NONE)).containsExactly(plain);
            }
            assertThat(frozen(m)).containsExactly(frozenBefore);
            assertThat(m.encode(SiteHooks.NONE)).containsExactly(plain);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void oneBackboneServesDifferentlyAdaptedModelsAtOnce(AdapterCases c) throws Exception {
        try (TinyModel m = new TinyModel()) {
            Adapter a = c.fresh().apply(m.encoder.sites());
            Adapter b = c.fresh().apply(m.encoder.sites());
            AdapterCases.randomize(a, 41, 0.3);
            AdapterCases.randomize(b, 42, 0.3);
            float[] plain = m.encode(SiteHooks.NONE);
            try (Adapters ma = Adapters.attach(m.encoder, List.of(a), m.arena);
                 Adapters mb = Adapters.attach(m.encoder, List.of(b), m.arena)) {
                float[] ea = m.lastHidden(ma);
                float[] eb = m.lastHidden(mb);
                assertThat(ea).isNotEqualTo(eb);
                List<Function<Void, float[]>> calls = List.of(v -> m.lastHidden(ma), v -> m.lastHidden(mb),
                        v -> m.encode(SiteHooks.NONE));
                try (var pool = java.util.concurrent.Executors.newFixedThreadPool(3)) {
                    for (int round = 0; round < 4; round++) {
                        var fa = pool.submit(() -> calls.get(0).apply(null));
                        var fb = pool.submit(() -> calls.get(1).apply(null));
                        var fp = pool.submit(() -> calls.get(2).apply(null));
                        assertThat(fa.get()).containsExactly(ea);
                        assertThat(fb.get()).containsExactly(eb);
                        assertThat(fp.get()).containsExactly(plain);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void worksInsideAComposedModelWithHeads(AdapterCases c) {
        List<String> texts = TinyBackbone.TEXTS;
        BackboneInfo info = BackboneInfo.of(tiny);
        Head intent = new SequenceClassification().create(ClassificationConfig.of(List.of("a", "b", "c")), info, 1);
        Head tags = new TokenClassification().create(TaggingConfig.of(List.of("B-X", "I-X", "O")), info, 2);
        Head score = new Regression().create(new RegressionConfig(Pooling.CLS, LayerSelection.MIX, 4, "gelu", 0f), info, 3);
        Adapter zero = c.fresh().apply(tiny.encoder().sites());
        Adapter a = c.fresh().apply(tiny.encoder().sites());
        Adapter b = c.fresh().apply(tiny.encoder().sites());
        AdapterCases.randomize(a, 51, 0.3);
        AdapterCases.randomize(b, 52, 0.3);
        try (ComposedModel plain = ComposedModel.builder().backbone(tiny)
                .head("intent", intent).head("tags", tags).head("score", score).build();
             ComposedModel zeroModel = ComposedModel.builder().backbone(tiny)
                     .head("intent", intent, zero).head("tags", tags, zero).head("score", score, zero).build();
             ComposedModel mixed = ComposedModel.builder().backbone(tiny)
                     .head("intent", intent, a).head("tags", tags, b).head("score", score).build();
             ComposedModel intentA = ComposedModel.builder().backbone(tiny).head("intent", intent, a).build();
             ComposedModel tagsB = ComposedModel.builder().backbone(tiny).head("tags", tags, b).build();
             ComposedModel scoreOnly = ComposedModel.builder().backbone(tiny).head("score", score).build();
             Adapters attachedA = Adapters.attach(tiny.encoder(), List.of(a), arenaFor(c))) {
            // a fresh adapter leaves every head's predictions bit-identical, in one shared pass
            Predictions base = plain.predict(texts);
            assertThat(zeroModel.plan().backbonePasses()).isEqualTo(1);
            assertThat(zeroModel.predict(texts).outputs()).isEqualTo(base.outputs());

            // a non-zero adapter changes the head's output exactly as the head run on Adapters.encode's output
            HeadOutput expected = headOnAdaptedEncoder(intent, attachedA, texts);
            HeadOutput actual = intentA.predict(texts).outputs().get("intent");
            assertThat(actual).isEqualTo(expected).isNotEqualTo(base.outputs().get("intent"));

            // two heads with different adapters and a plain head: three passes, the results of three models
            assertThat(mixed.plan().backbonePasses()).isEqualTo(3);
            assertThat(mixed.plan("intent", "score").backbonePasses()).isEqualTo(2);
            Predictions all = mixed.predict(texts);
            assertThat(all.heads()).containsExactly("intent", "tags", "score");
            assertThat(all.outputs().get("intent")).isEqualTo(actual);
            assertThat(all.outputs().get("tags")).isEqualTo(tagsB.predict(texts).outputs().get("tags"))
                    .isNotEqualTo(base.outputs().get("tags"));
            assertThat(all.outputs().get("score")).isEqualTo(scoreOnly.predict(texts).outputs().get("score"))
                    .isEqualTo(base.outputs().get("score"));
            assertThat(mixed.provenance().toJson().at("/heads/intent/adapter/describe").asText()).isEqualTo(a.describe());
            assertThat(mixed.provenance().toJson().at("/heads/score/adapter").isMissingNode()).isTrue();
            assertThat(mixed.allocatedBytes()).isZero();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void aComposedModelWithTheAdapterSavesAndLoadsBack(AdapterCases c) throws Exception {
        BackboneInfo info = BackboneInfo.of(tiny);
        Head intent = new SequenceClassification().create(ClassificationConfig.of(List.of("a", "b")), info, 4);
        Head tags = new TokenClassification().create(TaggingConfig.of(List.of("X", "Y")), info, 5);
        Adapter a = c.fresh().apply(tiny.encoder().sites());
        AdapterCases.randomize(a, 61, 0.3);
        Path dir = tmp.resolve("model");
        try (ComposedModel model = ComposedModel.builder().backbone(tiny).head("intent", intent, a).head("tags", tags, a).build()) {
            model.save(dir);
            try (ComposedModel back = ComposedModel.load(dir, tiny, HeadTypes.registry(), AdapterTypes.registry())) {
                Adapter loaded = back.adapter("intent").orElseThrow();
                assertThat(loaded.describe()).isEqualTo(a.describe());
                assertThat(back.adapter("tags").orElseThrow()).isSameAs(loaded);
                assertThat(back.plan().backbonePasses()).isEqualTo(1);
                assertThat(back.predict(TinyBackbone.TEXTS).outputs()).isEqualTo(model.predict(TinyBackbone.TEXTS).outputs());
            }
            AdaptedHead.Loaded pair = AdaptedHead.load(dir.resolve("heads/intent"), HeadTypes.registry(),
                    AdapterTypes.registry(), tiny);
            assertThat(values(pair.adapter()).keySet()).isEqualTo(values(a).keySet());
            values(a).forEach((name, v) -> assertThat(values(pair.adapter()).get(name)).as(name).containsExactly(v));
        }
    }

    private static final Map<String, TensorArena> ARENAS = new java.util.concurrent.ConcurrentHashMap<>();

    /** An arena that {@link #closeArenas} checks and closes after each test. */
    private static TensorArena arenaFor(AdapterCases c) {
        return ARENAS.computeIfAbsent(c.name(), n -> TensorArena.root("contract " + n));
    }

    @AfterEach
    void closeArenas() {
        ARENAS.values().forEach(arena -> {
            assertThat(arena.allocatedBytes()).as(arena.name()).isZero();
            arena.close();
        });
        ARENAS.clear();
    }

    /** Tokenise, encode with the attached adapter, mean-pool the last layer, run the head: no composed model. */
    static HeadOutput headOnAdaptedEncoder(Head head, Adapters attached, List<String> texts) {
        assertThat(head.input()).isEqualTo(new FeatureKind.Pooled(Pooling.MEAN, LayerSelection.LAST));
        BackboneInfo info = BackboneInfo.of(tiny);
        try (TensorArena arena = TensorArena.root("expected")) {
            TokenBatch batch = tiny.tokenize(texts, arena);
            EncoderOutput out = attached.encode(tiny, batch, arena, false);
            float[] pooled = Pooling.MEAN.apply(tiny.kernels(), out.lastHidden(), batch.attentionMask(), arena).toFloatArray();
            int[] starts = java.util.stream.IntStream.rangeClosed(0, texts.size()).toArray();
            FeatureRows rows = new FeatureRows(pooled, texts.size(), info.hiddenSize(), starts);
            return head.apply(new Features(info, texts, null, kind -> rows));
        }
    }

    private static Map<String, float[]> values(Adapter a) {
        return a.parameters().stream().collect(Collectors.toMap(Parameter::name, p -> p.values().clone()));
    }

    /** Every frozen projection weight of the tiny model, concatenated. */
    private static float[] frozen(TinyModel m) {
        List<float[]> parts = new java.util.ArrayList<>();
        for (var l : m.weights.layers()) {
            for (var lin : List.of(l.query(), l.key(), l.value(), l.attentionOutput(), l.intermediate(), l.output())) {
                parts.add(lin.weight().toFloatArray());
            }
        }
        int n = parts.stream().mapToInt(p -> p.length).sum();
        float[] all = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }
}
