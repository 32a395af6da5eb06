package dev.graft.adapters.compose;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.adapters.AdapterTypes;
import dev.graft.adapters.HeadTypes;
import dev.graft.adapters.adapter.AdaptedHead;
import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.adapter.AdapterFormatException;
import dev.graft.adapters.adapter.AdapterShapeException;
import dev.graft.adapters.adapter.Adapters;
import dev.graft.adapters.adapter.PeftIO;
import dev.graft.adapters.bottleneck.Bottleneck;
import dev.graft.adapters.bottleneck.BottleneckConfig;
import dev.graft.adapters.classification.ClassificationConfig;
import dev.graft.adapters.classification.SequenceClassification;
import dev.graft.adapters.embedding.EmbeddingConfig;
import dev.graft.adapters.embedding.SentenceEmbedding;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.FeatureRows;
import dev.graft.adapters.head.Features;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.head.HeadFormatException;
import dev.graft.adapters.head.HeadIO;
import dev.graft.adapters.head.HeadOutput;
import dev.graft.adapters.head.Json;
import dev.graft.adapters.head.LayerSelection;
import dev.graft.adapters.ia3.Ia3;
import dev.graft.adapters.ia3.Ia3Config;
import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.lora.LoraConfig;
import dev.graft.adapters.nn.Parameter;
import dev.graft.adapters.tagging.TaggingConfig;
import dev.graft.adapters.tagging.TokenClassification;
import dev.graft.adapters.testing.CountingKernels;
import dev.graft.adapters.testing.MiniLm;
import dev.graft.adapters.testing.TinyBackbone;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.bert.EncoderOutput;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.backbones.sites.SiteShape;
import dev.graft.core.backbone.Pooling;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.tensor.TensorArena;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Heads reading the frozen backbone through adapters inside one composed model, and a head saved with its adapter,
 * on a complete tiny random BERT (tokenizer included) — and once on the real all-MiniLM-L6-v2.
 */
class ComposedModelAdaptersTest {
    static final List<String> TEXTS = TinyBackbone.TEXTS;

    @TempDir
    static Path shared;
    static Kernels real;
    static CountingKernels counting;
    static BertBackbone tiny;
    static BackboneInfo info;
    static Head intent;
    static Head topic;
    static Head tags;
    static Head embed;
    static Adapter lora;
    static Adapter bottleneck;

    @BeforeAll
    static void open() throws Exception {
        real = Kernels.create(1);
        counting = new CountingKernels(real);
        tiny = TinyBackbone.open(TinyBackbone.write(shared.resolve("tiny-bert"), 3), counting.kernels());
        info = BackboneInfo.of(tiny);
        intent = new SequenceClassification().create(ClassificationConfig.of(List.of("a", "b", "c")), info, 1);
        topic = new SequenceClassification().create(ClassificationConfig.of(List.of("x", "y"))
                .withLayers(LayerSelection.MIX).withHidden(8, "gelu"), info, 2);
        tags = new TokenClassification().create(TaggingConfig.of(List.of("B-X", "I-X", "O"))
                .withLayers(new LayerSelection.Layer(1)), info, 3);
        embed = new SentenceEmbedding().create(EmbeddingConfig.meanPooled(), info, 0);
        lora = randomized(Lora.create(LoraConfig.of(4, 8, SiteKind.QUERY, SiteKind.VALUE), tiny.encoder().sites(), 5), 6);
        bottleneck = randomized(Bottleneck.create(BottleneckConfig.houlsby(4), tiny.encoder().sites(), 7), 8);
    }

    @AfterAll
    static void close() {
        tiny.close();
        real.close();
    }

    /** Random values of about 0.3 around 0 (around 1 for (IA)³ scalings), so the adapter changes the outputs. */
    static Adapter randomized(Adapter a, long seed) {
        Random r = new Random(seed);
        for (Parameter p : a.parameters()) {
            float[] v = p.values();
            boolean scaling = p.name().endsWith("ia3_l");
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) ((scaling ? 1 : 0) + r.nextGaussian() * 0.3);
            }
        }
        return a;
    }

    static ComposedModel mixed() {
        return ComposedModel.builder().backbone(tiny)
                .head("intent", intent, lora)
                .head("topic", topic, lora)
                .head("tags", tags)
                .head("embed", embed, bottleneck)
                .build();
    }

    @Test
    void headsSharingAnAdapterShareOnePassAndEachDistinctAdapterGetsItsOwn() {
        try (ComposedModel model = mixed()) {
            counting.reset();
            Predictions p = model.predict(TEXTS);
            long perPass = 1 + 2L * info.numLayers(); // layer norms of one encoder pass
            assertThat(counting.calls("layerNorm")).as("plain, lora and bottleneck passes").isEqualTo(3 * perPass);
            assertThat(p.heads()).as("outputs in the order requested").containsExactly("intent", "topic", "tags", "embed");

            Plan plan = model.plan();
            assertThat(plan.backbonePasses()).isEqualTo(3);
            assertThat(plan.steps().stream().filter(s -> s instanceof Step.Tokenize).count()).as("tokenised once").isEqualTo(1);
            assertThat(plan.steps()).contains(new Step.Encode(true, 0, null), new Step.Encode(true, 1, lora.describe()),
                    new Step.Encode(false, 2, bottleneck.describe()));
            assertThat(plan.toString()).contains("encode once with adapter " + lora.describe(),
                    "run head 'intent'", "run head 'topic'");
            counting.reset();
            model.predict(TEXTS, "intent", "topic");
            assertThat(counting.calls("layerNorm")).as("two heads, one adapter: one pass").isEqualTo(perPass);
            assertThat(model.plan("topic", "intent").backbonePasses()).isEqualTo(1);
            assertThat(model.adapter("intent")).containsSame(lora);
            assertThat(model.adapter("tags")).isEmpty();

            String provenance = model.provenance().toString();
            assertThat(provenance).contains("with adapter " + lora.describe() + " (lora, " + lora.parameterCount() + " parameters)",
                    "with adapter " + bottleneck.describe());
            JsonNode intentJson = model.provenance().toJson().at("/heads/intent/adapter");
            assertThat(intentJson.path("trainable_parameters").asLong()).isEqualTo(lora.parameterCount());
            assertThat(intentJson.path("merged").asBoolean()).isFalse();
            assertThat(model.adapterBytes()).as("LoRA and bottleneck snapshots").isPositive();
            assertThat(model.allocatedBytes()).isZero();
        }
    }

    @Test
    void eachHeadGivesWhatItGivesAloneWithItsAdapter() {
        try (ComposedModel model = mixed()) {
            Predictions all = model.predict(TEXTS);
            for (String name : model.headNames()) {
                try (ComposedModel alone = ComposedModel.builder().backbone(tiny)
                        .head(name, model.head(name), model.adapter(name).orElse(null)).build()) {
                    assertThat(alone.predict(TEXTS).outputs().get(name)).as(name).isEqualTo(all.outputs().get(name));
                }
            }
            // words given by the caller: the word-level head runs on the plain pass, the others on theirs
            Predictions words = model.predict(new Inputs.Words(List.of(List.of("my", "card"), List.of("the", "bank", "!"))),
                    List.of("tags", "intent"));
            assertThat(words.tagging("tags").tags().get(1)).hasSize(3);
            assertThat(words.heads()).containsExactly("tags", "intent");
        }
    }

    @Test
    void laterChangesToTheAdapterDoNotReachABuiltModel() {
        Adapter a = randomized(Lora.create(LoraConfig.of(2, 4, SiteKind.VALUE), tiny.encoder().sites(), 11), 12);
        try (ComposedModel model = ComposedModel.builder().backbone(tiny).head("intent", intent, a).build()) {
            HeadOutput before = model.predict(TEXTS).outputs().get("intent");
            randomized(a, 13);
            assertThat(model.predict(TEXTS).outputs().get("intent")).isEqualTo(before);
            // saving would write values the model does not run: refused, naming the head
            assertThatThrownBy(() -> model.save(shared.resolve("changed")))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("head 'intent'")
                    .hasMessageContaining("changed after the model was built");
            assertThat(shared.resolve("changed")).doesNotExist();
        }
    }

    @Test
    void mergeableAdaptersCanBeMergedIntoWeightCopiesAndAgreeWithTheHooks() {
        Adapter ia3 = randomized(Ia3.create(Ia3Config.standard(), tiny.encoder().sites()), 21);
        try (ComposedModel hooks = ComposedModel.builder().backbone(tiny)
                .head("intent", intent, lora).head("topic", topic, ia3).head("embed", embed, bottleneck).build();
             ComposedModel merged = ComposedModel.builder().backbone(tiny).mergeAdapters(true)
                     .head("intent", intent, lora).head("topic", topic, ia3).head("embed", embed, bottleneck).build()) {
            assertThat(merged.mergeAdapters()).isTrue();
            assertThat(merged.plan().toString()).contains(lora.describe() + " (merged)", ia3.describe() + " (merged)")
                    .doesNotContain(bottleneck.describe() + " (merged)");
            assertThat(merged.provenance().toJson().at("/heads/embed/adapter/merged").asBoolean()).as("bottlenecks cannot merge").isFalse();
            assertThat(merged.provenance().toString()).contains("merged into weight copies");
            Predictions h = hooks.predict(TEXTS);
            Predictions m = merged.predict(TEXTS);
            for (String name : List.of("intent", "topic")) {
                HeadOutput.Classification a = h.classification(name);
                HeadOutput.Classification b = m.classification(name);
                for (int i = 0; i < TEXTS.size(); i++) {
                    assertThat(b.probabilities(i)).as(name).containsExactly(a.probabilities(i), within(1e-4f));
                }
            }
            assertThat(m.embedding("embed")).isEqualTo(h.embedding("embed"));
            assertThat(merged.adapterBytes()).as("merged weight copies").isGreaterThan(hooks.adapterBytes());
        }
    }

    @Test
    void aSavedModelWithAdaptersLoadsBackSharingThemAndPredictsTheSame(@TempDir Path dir) throws Exception {
        Path saved = dir.resolve("model");
        try (ComposedModel model = ComposedModel.builder().backbone(tiny).mergeAdapters(true)
                .head("intent", intent, lora).head("topic", topic, lora).head("tags", tags).head("embed", embed, bottleneck)
                .build()) {
            model.save(saved);
            assertThat(saved.resolve("heads/intent/" + PeftIO.CONFIG_FILE)).exists();
            assertThat(saved.resolve("heads/topic/" + PeftIO.WEIGHTS_FILE)).exists();
            assertThat(saved.resolve("heads/embed/" + PeftIO.CONFIG_FILE)).exists();
            assertThat(saved.resolve("heads/tags/" + PeftIO.CONFIG_FILE)).doesNotExist();
            JsonNode record = Json.mapper().readTree(saved.resolve("heads/intent/head_config.json").toFile()).path("adapter");
            assertThat(record.path("type").asText()).isEqualTo("lora");
            assertThat(record.path("describe").asText()).isEqualTo(lora.describe());
            assertThat(record.path("trainable_parameters").asLong()).isEqualTo(lora.parameterCount());
            assertThat(Json.mapper().readTree(saved.resolve("model.json").toFile()).path("adapter_passes").toString())
                    .isEqualTo("[[\"intent\",\"topic\"],[\"embed\"]]");
            try (ComposedModel loaded = ComposedModel.load(saved, tiny, HeadTypes.registry())) {
                assertThat(loaded.headNames()).containsExactlyElementsOf(model.headNames());
                assertThat(loaded.mergeAdapters()).isTrue();
                assertThat(loaded.plan()).isEqualTo(model.plan());
                assertThat(loaded.adapter("intent").orElseThrow()).isSameAs(loaded.adapter("topic").orElseThrow());
                assertThat(loaded.predict(TEXTS).outputs()).isEqualTo(model.predict(TEXTS).outputs());
                assertThat(loaded.provenance().heads()).isEqualTo(model.provenance().heads());
            }
        }
    }

    @Test
    void aHeadSavedWithItsAdapterLoadsBackAndPredictsIdentically(@TempDir Path dir) throws Exception {
        Path pair = dir.resolve("intent");
        ObjectNode training = Json.mapper().createObjectNode().put("epochs", 3);
        AdaptedHead.save(intent, lora, pair, training, tmp -> Files.writeString(tmp.resolve("notes.txt"), "extra"));
        assertThat(pair.resolve(HeadIO.CONFIG_FILE)).exists();
        assertThat(pair.resolve(HeadIO.WEIGHTS_FILE)).exists();
        assertThat(pair.resolve(PeftIO.CONFIG_FILE)).exists();
        assertThat(pair.resolve(PeftIO.WEIGHTS_FILE)).exists();
        assertThat(pair.resolve("notes.txt")).exists();
        assertThat(Json.mapper().readTree(pair.resolve(PeftIO.CONFIG_FILE).toFile()).path("base_model_name_or_path").asText())
                .isEqualTo(info.name());
        // the adapter files alone are an ordinary PEFT directory
        assertThat(PeftIO.load(pair, AdapterTypes.registry(), tiny.encoder().sites(), info.name()).describe())
                .isEqualTo(lora.describe());
        assertThat(HeadIO.load(pair, HeadTypes.registry()).hasAdapter()).isTrue();

        AdaptedHead.Loaded loaded = AdaptedHead.load(pair, HeadTypes.registry(), AdapterTypes.registry(), tiny);
        assertThat(loaded.hasAdapter()).isTrue();
        assertThat(loaded.training().path("epochs").asInt()).isEqualTo(3);
        assertThat(loaded.describe(pair)).isEqualTo("head " + pair + " with adapter " + lora.describe());
        try (ComposedModel original = ComposedModel.builder().backbone(tiny).head("intent", new AdaptedHead(intent, lora)).build();
             ComposedModel back = ComposedModel.builder().backbone(tiny)
                     .head("intent", new AdaptedHead(loaded.head(), loaded.adapter())).build();
             ComposedModel plain = ComposedModel.builder().backbone(tiny).head("intent", loaded.head()).build()) {
            HeadOutput expected = original.predict(TEXTS).outputs().get("intent");
            assertThat(back.predict(TEXTS).outputs().get("intent")).isEqualTo(expected);
            assertThat(plain.predict(TEXTS).outputs().get("intent")).isNotEqualTo(expected);
        }

        // saving a plain head over it replaces the whole directory: no stale adapter is left to be picked up
        new AdaptedHead(intent, bottleneck).save(pair);
        assertThat(AdaptedHead.load(pair, HeadTypes.registry(), AdapterTypes.registry(), tiny).adapter().describe())
                .isEqualTo(bottleneck.describe());
        HeadIO.save(intent, pair);
        assertThat(pair.resolve(PeftIO.CONFIG_FILE)).doesNotExist();
        AdaptedHead.Loaded alone = AdaptedHead.load(pair, HeadTypes.registry(), AdapterTypes.registry(), tiny);
        assertThat(alone.hasAdapter()).isFalse();
        assertThat(alone.describe(pair)).isEqualTo("head " + pair);
        try (ComposedModel a = ComposedModel.builder().backbone(tiny).head("intent", intent).build();
             ComposedModel b = ComposedModel.builder().backbone(tiny).head("intent", alone.head(), alone.adapter()).build()) {
            assertThat(b.predict(TEXTS).outputs()).isEqualTo(a.predict(TEXTS).outputs());
        }
    }

    @Test
    void savingAgainKeepsEveryFileTheUserPutBesideAndRefusesADirectoryThatIsNoSave(@TempDir Path dir) throws Exception {
        Path pair = dir.resolve("intent");
        new AdaptedHead(intent, lora).save(pair);
        Files.writeString(pair.resolve("NOTES.md"), "why this head");
        Files.createDirectories(pair.resolve("results"));
        Files.writeString(pair.resolve("results/run1.csv"), "epoch,acc\n1,0.5\n");
        HeadIO.save(intent, pair);
        assertThat(pair.resolve(PeftIO.CONFIG_FILE)).as("the old save's adapter is Graft's: removed").doesNotExist();
        assertThat(Files.readString(pair.resolve("NOTES.md"))).isEqualTo("why this head");
        assertThat(Files.readString(pair.resolve("results/run1.csv"))).isEqualTo("epoch,acc\n1,0.5\n");
        assertThat(AdaptedHead.load(pair, HeadTypes.registry(), AdapterTypes.registry(), tiny).hasAdapter()).isFalse();

        Path model = dir.resolve("model");
        try (ComposedModel m = ComposedModel.builder().backbone(tiny).head("intent", new AdaptedHead(intent, lora))
                .head("topic", topic).build()) {
            m.save(model);
            Files.writeString(model.resolve("README.md"), "deployment notes");
            Files.writeString(model.resolve("heads/intent/NOTES.md"), "kept too");
            m.save(model);
            assertThat(Files.readString(model.resolve("README.md"))).isEqualTo("deployment notes");
            assertThat(Files.readString(model.resolve("heads/intent/NOTES.md"))).isEqualTo("kept too");
            try (ComposedModel back = ComposedModel.load(model, tiny, HeadTypes.registry())) {
                assertThat(back.predict(TEXTS).outputs()).isEqualTo(m.predict(TEXTS).outputs());
            }

            Path project = Files.createDirectories(dir.resolve("project"));
            Files.writeString(project.resolve("pom.xml"), "<project/>");
            assertThatThrownBy(() -> m.save(project)).isInstanceOf(FileAlreadyExistsException.class)
                    .hasMessageContaining(project.toString()).hasMessageContaining("holds no saved composed model");
            assertThatThrownBy(() -> HeadIO.save(intent, project)).isInstanceOf(FileAlreadyExistsException.class);
            assertThatThrownBy(() -> PeftIO.save(lora, info.name(), project)).isInstanceOf(FileAlreadyExistsException.class);
            assertThatThrownBy(() -> HeadIO.save(intent, model)).as("a composed model is not a head")
                    .isInstanceOf(FileAlreadyExistsException.class);
            try (Stream<Path> files = Files.list(project)) {
                assertThat(files.map(p -> p.getFileName().toString())).containsExactly("pom.xml");
            }
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).as("no temporary sibling is left")
                    .containsExactlyInAnyOrder("intent", "model", "project");
        }
    }

    @Test
    void brokenOrMismatchedAdapterFilesGiveClearErrors(@TempDir Path dir) throws Exception {
        Path pair = dir.resolve("intent");
        new AdaptedHead(intent, lora).save(pair);
        Path config = pair.resolve(PeftIO.CONFIG_FILE);
        Path weights = pair.resolve(PeftIO.WEIGHTS_FILE);
        String json = Files.readString(config);

        // an adapter made for another base model
        Files.writeString(config, json.replace("\"" + info.name() + "\"", "\"google-bert/bert-base-uncased\""));
        assertThatThrownBy(() -> AdaptedHead.load(pair, HeadTypes.registry(), AdapterTypes.registry(), tiny))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageContaining(config.toString()).hasMessageContaining("base_model_name_or_path")
                .hasMessageContaining("bert-base-uncased");
        Files.writeString(config, json);

        // a tensor missing from the adapter's weights
        List<Parameter> fewer = new ArrayList<>(lora.parameters());
        Parameter dropped = fewer.remove(1);
        HeadIO.writeWeights(fewer, weights, Map.of("format", "pt"));
        assertThatThrownBy(() -> AdaptedHead.load(pair, HeadTypes.registry(), AdapterTypes.registry(), tiny))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageContaining(weights.toString()).hasMessageContaining("missing tensor '" + dropped.name() + "'");
        HeadIO.writeWeights(lora.parameters(), weights, Map.of("format", "pt"));

        // the head records an adapter whose files are gone
        Files.delete(config);
        Files.delete(weights);
        assertThatThrownBy(() -> AdaptedHead.load(pair, HeadTypes.registry(), AdapterTypes.registry(), tiny))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageContaining(config.toString()).hasMessageContaining("missing")
                .hasMessageContaining(lora.describe());

        // adapter files that are not the ones the head records
        PeftIO.writeInto(bottleneck, info.name(), pair);
        assertThatThrownBy(() -> AdaptedHead.load(pair, HeadTypes.registry(), AdapterTypes.registry(), tiny))
                .isInstanceOf(HeadFormatException.class)
                .hasMessageContaining(HeadIO.CONFIG_FILE).hasMessageContaining("'adapter'")
                .hasMessageContaining(bottleneck.describe());

        // an adapter built for other shapes is rejected when the model is built, naming the head
        List<SiteShape> wider = tiny.encoder().sites().stream()
                .map(s -> new SiteShape(s.site(), s.in() * 2, s.out() * 2)).toList();
        Adapter foreign = Lora.create(LoraConfig.of(2, 4, SiteKind.QUERY), wider, 1);
        assertThatThrownBy(() -> ComposedModel.builder().backbone(tiny).head("intent", intent, foreign).build())
                .isInstanceOf(AdapterShapeException.class)
                .hasMessageContaining("head 'intent'").hasMessageContaining("query");
    }

    @Test
    void concurrentCallsOfAModelWithAdaptersMatchTheSequentialResults() throws Exception {
        int threads = 4;
        int callCount = 120;
        List<List<String>> calls = new ArrayList<>();
        for (int c = 0; c < callCount; c++) {
            calls.add(TEXTS.subList(c % 3, c % 3 + 1 + c % 2));
        }
        try (ComposedModel model = mixed()) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                // warm up first (see ConcurrentCallsTest: until C2 compiles a kernel, exp may differ in its last bit)
                for (int round = 0; round < 3; round++) {
                    List<Future<?>> warm = new ArrayList<>();
                    for (int t = 0; t < threads; t++) {
                        warm.add(pool.submit(() -> calls.forEach(model::predict)));
                    }
                    for (Future<?> f : warm) {
                        f.get();
                    }
                }
                List<Predictions> sequential = calls.stream().map(model::predict).toList();
                List<Future<List<String>>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    long seed = t;
                    results.add(pool.submit(() -> {
                        List<Integer> order = new ArrayList<>();
                        for (int c = 0; c < callCount; c++) {
                            order.add(c);
                        }
                        Collections.shuffle(order, new Random(seed));
                        List<String> mismatches = new ArrayList<>();
                        for (int c : order) {
                            Predictions p = model.predict(calls.get(c));
                            if (!p.outputs().equals(sequential.get(c).outputs())) {
                                mismatches.add("call " + c);
                            }
                        }
                        return mismatches;
                    }));
                }
                List<String> mismatches = new ArrayList<>();
                for (Future<List<String>> f : results) {
                    mismatches.addAll(f.get());
                }
                assertThat(mismatches).isEmpty();
            } finally {
                pool.shutdown();
                assertThat(pool.awaitTermination(5, TimeUnit.MINUTES)).isTrue();
            }
            assertThat(model.allocatedBytes()).isZero();
        }
    }

    @Test
    void onTheRealMiniLmALoraChangesTheHeadExactlyAsAdaptersEncodeAndAFreshOneChangesNothing() throws Exception {
        List<String> texts = List.of("I lost my card yesterday and need a new one.", "Why was I charged twice?");
        try (BertBackbone minilm = MiniLm.open()) {
            BackboneInfo mi = BackboneInfo.of(minilm);
            Head head = new SequenceClassification().create(ClassificationConfig.of(List.of("a", "b", "c", "d")), mi, 4);
            Adapter fresh = Lora.create(LoraConfig.of(8, 16, SiteKind.QUERY, SiteKind.VALUE), minilm.encoder().sites(), 1);
            Adapter trained = randomized(Lora.create(LoraConfig.of(8, 16, SiteKind.QUERY, SiteKind.VALUE),
                    minilm.encoder().sites(), 2), 3);
            try (ComposedModel model = ComposedModel.builder().backbone(minilm)
                    .head("plain", head).head("fresh", head, fresh).head("lora", head, trained).build();
                 TensorArena arena = TensorArena.root("expected");
                 Adapters attached = Adapters.attach(minilm.encoder(), List.of(trained), arena)) {
                Predictions p = model.predict(texts);
                assertThat(p.outputs().get("fresh")).isEqualTo(p.outputs().get("plain"));
                HeadOutput expected;
                try (TensorArena work = arena.child("work")) {
                    TokenBatch batch = minilm.tokenize(texts, work);
                    EncoderOutput out = attached.encode(minilm, batch, work, false);
                    float[] pooled = Pooling.MEAN.apply(minilm.kernels(), out.lastHidden(), batch.attentionMask(), work)
                            .toFloatArray();
                    FeatureRows rows = new FeatureRows(pooled, texts.size(), mi.hiddenSize(), new int[] {0, 1, 2});
                    expected = head.apply(new Features(mi, texts, null, k -> rows));
                }
                assertThat(p.outputs().get("lora")).isEqualTo(expected).isNotEqualTo(p.outputs().get("plain"));
                attached.close();
                assertThat(arena.allocatedBytes()).isZero();
                assertThat(model.allocatedBytes()).isZero();
            }
        }
    }
}
