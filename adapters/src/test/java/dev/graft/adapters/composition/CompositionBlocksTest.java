package dev.graft.adapters.composition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.adapter.Adapters;
import dev.graft.adapters.bottleneck.Bottleneck;
import dev.graft.adapters.bottleneck.BottleneckConfig;
import dev.graft.adapters.classification.ClassificationConfig;
import dev.graft.adapters.classification.SequenceClassification;
import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.compose.Predictions;
import dev.graft.adapters.composition.Composition.Average;
import dev.graft.adapters.composition.Composition.BatchSplit;
import dev.graft.adapters.composition.Composition.Parallel;
import dev.graft.adapters.composition.Composition.Stack;
import dev.graft.adapters.composition.Composition.Use;
import dev.graft.adapters.data.CsvDataset;
import dev.graft.adapters.data.LabeledText;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.FeatureRows;
import dev.graft.adapters.head.Features;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.head.HeadOutput;
import dev.graft.adapters.ia3.Ia3;
import dev.graft.adapters.ia3.Ia3Config;
import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.lora.LoraConfig;
import dev.graft.adapters.testing.AdapterTesting;
import dev.graft.adapters.testing.MiniLm;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.sites.Site;
import dev.graft.backbones.sites.SiteHook;
import dev.graft.backbones.sites.SiteHooks;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.backbones.sites.SiteShape;
import dev.graft.core.backbone.Pooling;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import dev.graft.core.backbone.TokenBatch;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Composition blocks on the real all-MiniLM-L6-v2 over real banking77 questions: Stack of one and Average (1, 0)
 * equal the adapter alone; Stack and Average at each site equal the formula written out over the adapters' own
 * hooks; blocks inside a composed model (plan, provenance, outputs, Parallel); and every rejected setup's message.
 */
class CompositionBlocksTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path tmp;

    private static BertBackbone backbone;
    private static TensorArena arena;
    private static List<String> texts;
    private static TokenBatch batch;
    private static Map<String, Adapter> adapters;

    @BeforeAll
    static void open() throws Exception {
        backbone = MiniLm.open();
        arena = TensorArena.root("composition-blocks");
        texts = CsvDataset.read(MiniLm.dataset("banking77/test.csv"), "text", "category").stream()
                .limit(6).map(LabeledText::text).toList();
        batch = backbone.tokenize(texts, arena);
        List<SiteShape> sites = backbone.encoder().sites();
        adapters = new LinkedHashMap<>();
        adapters.put("loraA", randomized(Lora.create(LoraConfig.of(8, 16, SiteKind.QUERY, SiteKind.VALUE,
                SiteKind.INTERMEDIATE), sites, 1), 2, 0.05));
        adapters.put("loraB", randomized(Lora.create(LoraConfig.of(4, 8, SiteKind.QUERY, SiteKind.KEY), sites, 3), 4,
                0.05));
        adapters.put("bnX", randomized(Bottleneck.create(BottleneckConfig.houlsby(16), sites, 5), 6, 0.05));
        adapters.put("bnY", randomized(Bottleneck.create(BottleneckConfig.houlsby(16), sites, 7), 8, 0.05));
        adapters.put("bnP", randomized(Bottleneck.create(BottleneckConfig.pfeiffer(16), sites, 7), 8, 0.05));
        adapters.put("ia3P", randomized(Ia3.create(Ia3Config.standard(), sites), 9, 0.2));
        adapters.put("ia3Q", randomized(Ia3.create(Ia3Config.standard(), sites), 10, 0.2));
        adapters.put("loraInter", randomized(Lora.create(LoraConfig.of(4, 8, SiteKind.INTERMEDIATE), sites, 11), 12,
                0.05));
    }

    @AfterAll
    static void close() {
        arena.close();
        backbone.close();
    }

    private static Adapter randomized(Adapter a, long seed, double scale) {
        AdapterTesting.randomize(a, seed, scale);
        return a;
    }

    private static float[][] allLayers(Adapter... attached) {
        try (Adapters a = Adapters.attach(backbone.encoder(), List.of(attached), arena);
             TensorArena out = arena.child("out")) {
            return backbone.encode(batch, out, true, a.hooks()).layers().stream().map(Tensor::toFloatArray)
                    .toArray(float[][]::new);
        }
    }

    private static double maxDifference(float[][] a, float[][] b) {
        double max = 0;
        for (int l = 0; l < a.length; l++) {
            for (int i = 0; i < a[l].length; i++) {
                max = Math.max(max, Math.abs(a[l][i] - b[l][i]));
            }
        }
        return max;
    }

    @Test
    void aStackOfOneIsThatAdapterBitForBit() {
        for (String name : List.of("loraA", "bnX", "ia3P")) {
            float[][] alone = allLayers(adapters.get(name));
            float[][] stacked = allLayers(new CompositeAdapter(Composition.stack(name), adapters));
            for (int l = 0; l < alone.length; l++) {
                assertThat(stacked[l]).as("%s, stage %d", name, l).containsExactly(alone[l]);
            }
        }
    }

    @Test
    void averageWithWeightsOneAndZeroIsTheFirstAdapterAlone() {
        for (List<String> pair : List.of(List.of("loraA", "loraB"), List.of("bnX", "bnY"), List.of("ia3P", "ia3Q"))) {
            Composition avg = new Average(List.of(new Use(pair.get(0)), new Use(pair.get(1))), List.of(1.0, 0.0));
            float[][] alone = allLayers(adapters.get(pair.get(0)));
            float[][] averaged = allLayers(new CompositeAdapter(avg, adapters));
            float[][] other = allLayers(adapters.get(pair.get(1)));
            System.out.printf("%s against %s alone: max difference %.3g over every stage%n", avg, pair.get(0),
                    maxDifference(averaged, alone));
            // the adapters move the outputs far more than the rounding of the block's extra addition
            assertThat(maxDifference(averaged, alone)).as("%s", avg).isLessThan(1e-5);
            assertThat(maxDifference(other, alone)).as("%s vs %s", pair.get(1), pair.get(0)).isGreaterThan(1e-2);
        }
    }

    @Test
    void aStackOverDisjointSitesIsBothAdaptersAttachedTogether() {
        float[][] together = allLayers(adapters.get("loraA"), adapters.get("ia3P"));
        float[][] stacked = allLayers(new CompositeAdapter(Composition.stack("loraA", "ia3P"), adapters));
        for (int l = 0; l < together.length; l++) {
            assertThat(stacked[l]).as("stage %d", l).containsExactly(together[l]);
        }
    }

    /** Real hidden states (the embeddings of the batch), rows × 384, as a site's input. */
    private static MemorySegment realInput(TensorArena a) {
        return backbone.encode(batch, a, true, SiteHooks.NONE).layers().get(2).segment();
    }

    private static Map<Site, SiteHook> hooks(String name, TensorArena a) {
        return adapters.get(name).hooks(a);
    }

    private static float[] read(MemorySegment m, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = m.getAtIndex(F32, i);
        }
        return v;
    }

    @Test
    void stackAndAverageAtEachSiteAreTheFormulaOverTheAdaptersOwnHooks() {
        var k = backbone.kernels();
        int hidden = backbone.config().hiddenSize();
        try (TensorArena a = arena.child("sites")) {
            MemorySegment x = realInput(a);
            int rows = (int) (batch.batchSize() * batch.tokens());
            int n = rows * hidden;
            Site query = new Site(3, SiteKind.QUERY);
            Site ffn = new Site(3, SiteKind.AFTER_FFN);
            Site values = new Site(3, SiteKind.VALUE_SCALE);

            // LoRA Stack (AdapterHub's LoRALinear): y += B(A(x)): B reads A's output
            SiteHook.Projection la = (SiteHook.Projection) hooks("loraA", a).get(query);
            SiteHook.Projection lb = (SiteHook.Projection) hooks("loraB", a).get(query);
            MemorySegment da = a.allocate(DType.F32, rows, hidden).segment();
            la.addDelta(k, rows, x, 0, hidden, da, 0, hidden, a);
            MemorySegment dab = a.allocate(DType.F32, rows, hidden).segment();
            lb.addDelta(k, rows, da, 0, hidden, dab, 0, hidden, a);
            MemorySegment db = a.allocate(DType.F32, rows, hidden).segment();
            lb.addDelta(k, rows, x, 0, hidden, db, 0, hidden, a);
            float[] got = projection(new CompositeAdapter(Composition.stack("loraA", "loraB"), adapters), query, x, rows, a);
            assertClose(got, read(dab, n), "Stack(loraA, loraB) at " + query);
            // LoRA Average (1, 3) → weights 0.25, 0.75
            got = projection(new CompositeAdapter(new Average(List.of(new Use("loraA"), new Use("loraB")),
                    List.of(1.0, 3.0)), adapters), query, x, rows, a);
            float[] expected = new float[n];
            float[] fa = read(da, n);
            float[] fb = read(db, n);
            for (int i = 0; i < n; i++) {
                expected[i] = 0.25f * fa[i] + 0.75f * fb[i];
            }
            assertClose(got, expected, "Average(loraA, loraB) at " + query);

            // bottleneck Stack (AdapterHub's bottleneck layer): out += fX(h) + fY(h + fX(h))
            SiteHook.Residual fx = (SiteHook.Residual) hooks("bnX", a).get(ffn);
            SiteHook.Residual fy = (SiteHook.Residual) hooks("bnY", a).get(ffn);
            MemorySegment hx = a.allocate(DType.F32, rows, hidden).segment();
            fx.addAdapted(k, rows, x, 0, hidden, hx, 0, hidden, a);
            float[] fxh = read(hx, n);
            MemorySegment h1 = a.allocate(DType.F32, rows, hidden).segment();
            for (int i = 0; i < n; i++) {
                h1.setAtIndex(F32, i, x.getAtIndex(F32, i) + fxh[i]);
            }
            MemorySegment fyh1 = a.allocate(DType.F32, rows, hidden).segment();
            fy.addAdapted(k, rows, h1, 0, hidden, fyh1, 0, hidden, a);
            MemorySegment fyh = a.allocate(DType.F32, rows, hidden).segment();
            fy.addAdapted(k, rows, x, 0, hidden, fyh, 0, hidden, a);
            float[] stackRef = read(fyh1, n);
            for (int i = 0; i < n; i++) {
                stackRef[i] += fxh[i];
            }
            got = residual(new CompositeAdapter(Composition.stack("bnX", "bnY"), adapters), ffn, x, rows, a);
            assertClose(got, stackRef, "Stack(bnX, bnY) at " + ffn);
            got = residual(new CompositeAdapter(new Average(List.of(new Use("bnX"), new Use("bnY")), List.of(1.0, 3.0)),
                    adapters), ffn, x, rows, a);
            float[] fyx = read(fyh, n);
            for (int i = 0; i < n; i++) {
                expected[i] = 0.25f * fxh[i] + 0.75f * fyx[i];
            }
            assertClose(got, expected, "Average(bnX, bnY) at " + ffn);

            // (IA)³: Stack multiplies the scales, Average scales by their weighted mean
            SiteHook.Scale sp = (SiteHook.Scale) hooks("ia3P", a).get(values);
            SiteHook.Scale sq = (SiteHook.Scale) hooks("ia3Q", a).get(values);
            MemorySegment y = a.allocate(DType.F32, rows, hidden).segment();
            MemorySegment.copy(x, 0, y, 0, (long) n * Float.BYTES);
            sp.scale(rows, y, 0, hidden);
            sq.scale(rows, y, 0, hidden);
            got = scale(new CompositeAdapter(Composition.stack("ia3P", "ia3Q"), adapters), values, x, rows, a);
            assertClose(got, read(y, n), "Stack(ia3P, ia3Q) at " + values);
            MemorySegment yp = a.allocate(DType.F32, rows, hidden).segment();
            MemorySegment yq = a.allocate(DType.F32, rows, hidden).segment();
            MemorySegment.copy(x, 0, yp, 0, (long) n * Float.BYTES);
            MemorySegment.copy(x, 0, yq, 0, (long) n * Float.BYTES);
            sp.scale(rows, yp, 0, hidden);
            sq.scale(rows, yq, 0, hidden);
            for (int i = 0; i < n; i++) {
                expected[i] = 0.25f * yp.getAtIndex(F32, i) + 0.75f * yq.getAtIndex(F32, i);
            }
            got = scale(new CompositeAdapter(new Average(List.of(new Use("ia3P"), new Use("ia3Q")), List.of(1.0, 3.0)),
                    adapters), values, x, rows, a);
            assertClose(got, expected, "Average(ia3P, ia3Q) at " + values);
        }
    }

    private static float[] projection(Adapter c, Site site, MemorySegment x, int rows, TensorArena a) {
        int hidden = backbone.config().hiddenSize();
        MemorySegment y = a.allocate(DType.F32, rows, hidden).segment();
        ((SiteHook.Projection) c.hooks(a).get(site)).addDelta(backbone.kernels(), rows, x, 0, hidden, y, 0, hidden, a);
        return read(y, rows * hidden);
    }

    private static float[] residual(Adapter c, Site site, MemorySegment h, int rows, TensorArena a) {
        int hidden = backbone.config().hiddenSize();
        MemorySegment out = a.allocate(DType.F32, rows, hidden).segment();
        ((SiteHook.Residual) c.hooks(a).get(site)).addAdapted(backbone.kernels(), rows, h, 0, hidden, out, 0, hidden, a);
        return read(out, rows * hidden);
    }

    private static float[] scale(Adapter c, Site site, MemorySegment x, int rows, TensorArena a) {
        int hidden = backbone.config().hiddenSize();
        MemorySegment y = a.allocate(DType.F32, rows, hidden).segment();
        MemorySegment.copy(x, 0, y, 0, (long) rows * hidden * Float.BYTES);
        ((SiteHook.Scale) c.hooks(a).get(site)).scale(rows, y, 0, hidden);
        return read(y, rows * hidden);
    }

    private static void assertClose(float[] got, float[] expected, String what) {
        double max = 0;
        double norm = 0;
        for (int i = 0; i < got.length; i++) {
            max = Math.max(max, Math.abs(got[i] - expected[i]));
            norm = Math.max(norm, Math.abs(expected[i]));
        }
        System.out.printf("%s: max difference %.3g (largest value %.3g)%n", what, max, norm);
        assertThat(norm).as("%s is not zero", what).isGreaterThan(1e-3);
        assertThat(max).as(what).isLessThanOrEqualTo(1e-6 * Math.max(1, norm));
    }

    @Test
    void aComposedModelRunsABlockInOnePassAndRecordsIt() {
        BackboneInfo info = BackboneInfo.of(backbone);
        Head head = new SequenceClassification().create(ClassificationConfig.of(List.of("a", "b", "c")), info, 4);
        Head other = new SequenceClassification().create(ClassificationConfig.of(List.of("x", "y")), info, 5);
        Composition stack = Composition.stack("loraA", "ia3P");
        try (ComposedModel model = ComposedModel.builder().backbone(backbone)
                .head("intent", head, stack, adapters)
                .head("topic", other, Composition.stack("loraA", "ia3P"), adapters)
                .build()) {
            assertThat(model.plan().toString()).contains("encode once with Stack(loraA, ia3P)");
            assertThat(model.plan().backbonePasses()).as("equal blocks share a pass").isEqualTo(1);
            var record = model.provenance().toJson().path("heads").path("intent").path("adapter");
            assertThat(record.path("type").asText()).isEqualTo("composition");
            assertThat(record.path("composition").path("block").asText()).isEqualTo("Stack(loraA, ia3P)");
            assertThat(record.path("composition").path("adapters").findValuesAsText("name"))
                    .containsExactly("loraA", "ia3P");
            Predictions p = model.predict(texts);
            assertThat(p.outputs().get("intent")).isEqualTo(expected(head, adapters.get("loraA"), adapters.get("ia3P")));
            java.nio.file.Path target = tmp.resolve("model");
            assertThatThrownBy(() -> model.save(target))
                    .hasMessageContaining("Stack(loraA, ia3P) is not saved as one adapter: save its adapters (loraA, ia3P)");
            assertThat(target).doesNotExist();
        }
    }

    /** What {@code head} gives over the backbone with {@code attached} attached together. */
    private static HeadOutput expected(Head head, Adapter... attached) {
        BackboneInfo info = BackboneInfo.of(backbone);
        try (Adapters a = Adapters.attach(backbone.encoder(), List.of(attached), arena);
             TensorArena work = arena.child("work")) {
            TokenBatch b = backbone.tokenize(texts, work);
            var out = a.encode(backbone, b, work, false);
            float[] pooled = Pooling.MEAN.apply(backbone.kernels(), out.lastHidden(), b.attentionMask(), work).toFloatArray();
            FeatureRows rows = new FeatureRows(pooled, texts.size(), info.hiddenSize(), java.util.stream.IntStream.rangeClosed(0, texts.size()).toArray());
            return head.apply(new Features(info, texts, null, k -> rows));
        }
    }

    @Test
    void parallelIsOnePassPerChannelEachWithTheHeadNamedAfterItsLastAdapter() {
        BackboneInfo info = BackboneInfo.of(backbone);
        Head h1 = new SequenceClassification().create(ClassificationConfig.of(List.of("a", "b")), info, 6);
        Head h2 = new SequenceClassification().create(ClassificationConfig.of(List.of("c", "d")), info, 7);
        Composition parallel = new Parallel(List.of(new Use("loraA"), Composition.stack("loraB", "ia3Q")));
        try (ComposedModel model = ComposedModel.builder().backbone(backbone)
                .parallel(parallel, adapters, Map.of("loraA", h1, "ia3Q", h2)).build()) {
            assertThat(model.plan().backbonePasses()).isEqualTo(2);
            assertThat(model.plan().toString()).contains("encode once with Stack(loraB, ia3Q)");
            Predictions p = model.predict(texts);
            assertThat(p.outputs().get("loraA")).isEqualTo(expected(h1, adapters.get("loraA")));
            assertThat(p.outputs().get("ia3Q")).isEqualTo(expected(h2, adapters.get("loraB"), adapters.get("ia3Q")));
        }
        assertThat(CompositeAdapter.channels(Composition.stack(new Use("bnX"), new Parallel(List.of(new Use("bnY"),
                new Use("ia3P")))))).as("the input is replicated at the Parallel block")
                .containsExactly(Composition.stack("bnX", "bnY"), Composition.stack("bnX", "ia3P"));
        assertThatThrownBy(() -> ComposedModel.builder().backbone(backbone)
                .parallel(parallel, adapters, Map.of("loraA", h1)).build())
                .hasMessageContaining("no head for channel Stack(loraB, ia3Q)")
                .hasMessageContaining("'ia3Q'");
    }

    @Test
    void batchSplitRoutesWholeSequencesToEachChildInOnePass() {
        Composition split = new BatchSplit(List.of(new Use("bnX"), Composition.stack("loraA", "ia3P")), List.of(2, 4));
        split.validate(adapters);
        float[][] bn = allLayers(adapters.get("bnX"));
        float[][] stacked;
        CompositeAdapter stack = new CompositeAdapter(Composition.stack("loraA", "ia3P"), adapters);
        try (TensorArena out = arena.child("stack")) {
            stacked = backbone.encode(batch, out, true, SiteHooks.of(stack.hooks(out))).layers().stream()
                    .map(Tensor::toFloatArray).toArray(float[][]::new);
        }
        CompositeAdapter c = new CompositeAdapter(split, adapters);
        try (TensorArena out = arena.child("split")) {
            float[][] got = backbone.encode(batch, out, true, SiteHooks.of(c.hooks(out))).layers().stream()
                    .map(Tensor::toFloatArray).toArray(float[][]::new);
            int perRow = got[0].length / texts.size();
            int hidden = backbone.config().hiddenSize();
            for (int l = 0; l < got.length; l++) {
                for (int i = 0; i < got[l].length; i++) {
                    if ((i % perRow) / hidden >= batch.lengths()[i / perRow]) {
                        continue; // padding: not a real token
                    }
                    float want = i / perRow < 2 ? bn[l][i] : stacked[l][i];
                    // float rounding: per-segment calls may block their GEMMs differently from a whole-batch call
                    assertThat(got[l][i]).as("layer %d, sequence %d", l, i / perRow)
                            .isCloseTo(want, within(1e-5f * Math.max(1f, Math.abs(want))));
                }
            }
            assertThatThrownBy(() -> c.checkBatchSize(5))
                    .hasMessage("BatchSplit(bnX, Stack(loraA, ia3P), batch sizes [2, 4]): its batch sizes add up to 6"
                            + " sequences, but the call has 5 texts");
        }
        BackboneInfo info = BackboneInfo.of(backbone);
        Head head = new SequenceClassification().create(ClassificationConfig.of(List.of("a", "b")), info, 8);
        try (ComposedModel model = ComposedModel.builder().backbone(backbone).head("split", head, split, adapters).build()) {
            HeadOutput.Classification p = (HeadOutput.Classification) model.predict(texts).outputs().get("split");
            HeadOutput.Classification first = (HeadOutput.Classification) expected(head, adapters.get("bnX"));
            HeadOutput.Classification rest = (HeadOutput.Classification) expected(head, adapters.get("loraA"),
                    adapters.get("ia3P"));
            for (int r = 0; r < texts.size(); r++) {
                float[] want = (r < 2 ? first : rest).probabilities(r);
                for (int j = 0; j < want.length; j++) {
                    assertThat(p.probabilities(r)[j]).as("row %d", r).isCloseTo(want[j], within(1e-5f));
                }
            }
            assertThatThrownBy(() -> model.predict(texts.subList(0, 5)))
                    .hasMessageContaining("its batch sizes add up to 6 sequences, but the call has 5 texts");
        }
    }

    // ---- rejected setups ------------------------------------------------------------------------------------

    private static void rejected(Composition c, String... parts) {
        var t = assertThatThrownBy(() -> c.validate(adapters)).isInstanceOf(IllegalArgumentException.class);
        for (String part : parts) {
            t.hasMessageContaining(part);
        }
    }

    @Test
    void everyRejectedSetupNamesTheBlockAndTheReason() {
        rejected(Composition.stack("loraA", "nope"),
                "Stack(loraA, nope): unknown adapter 'nope' (known: bnP, bnX, bnY, ia3P, ia3Q, loraA, loraB, loraInter)");
        rejected(Composition.average("loraA", "bnX"),
                "Average(loraA, bnX, weights [0.5, 0.5]): adapter 'bnX' is a bottleneck houlsby",
                "but 'loraA' is a lora r=8", "Average combines the outputs of adapters of one type");
        rejected(Composition.fuse("f", "loraA", "loraB"),
                "Fuse[f](loraA, loraB): adapter 'loraA' is a lora", "AdapterFusion fuses bottleneck adapters only");
        rejected(Composition.fuse("f", "bnX", "bnY"), "Fuse[f](bnX, bnY): unknown fusion 'f' (known fusions: none)");
        rejected(new Average(List.of(new Use("bnX"), Composition.fuse("f", "bnX", "bnY")), List.of()),
                "cannot nest block Fuse[f](bnX, bnY) inside Average",
                "AdapterHub allows inside Average only: an adapter, Stack, BatchSplit");
        rejected(Composition.stack(new Use("bnX"), Composition.stack("bnY")),
                "cannot nest block Stack(bnY) inside Stack");
        rejected(new Average(List.of(new Use("bnX"), new Parallel(List.of(new Use("bnY")))), List.of()),
                "cannot nest block Parallel(bnY) inside Average");
        rejected(new Composition.Fuse("f", List.of(new Use("bnX"), Composition.average("bnX", "bnY"))),
                "cannot nest block Average(bnX, bnY, weights [0.5, 0.5]) inside Fuse");
        rejected(new Average(List.of(Composition.stack(new Use("bnX"), Composition.fuse("f", "bnX", "bnY"))), List.of()),
                "Fuse inside Stack at depth 2 is too deep", "below depth 1 AdapterHub allows only Stack blocks and adapters");
        rejected(new Parallel(List.of(Composition.stack(new Use("bnX"), Composition.average("bnX", "bnY")))),
                "Average inside Stack at depth 2 is too deep");
        rejected(Composition.stack("loraA", "loraInter"),
                "Stack(loraA, loraInter): at layer 0 intermediate (384 → 1536) loraInter would read loraA's output",
                "needs a projection whose input and output widths agree");
        List<SiteShape> wide = backbone.encoder().sites().stream()
                .map(s -> new SiteShape(s.site(), s.in() * 2, s.out() * 2)).toList();
        Map<String, Adapter> mixed = new LinkedHashMap<>(adapters);
        mixed.put("wide", Lora.create(LoraConfig.of(4, 8, SiteKind.QUERY), wide, 1));
        assertThatThrownBy(() -> Composition.average("loraA", "wide").validate(mixed))
                .hasMessageContaining("adapters 'loraA' and 'wide' disagree at layer 0 query (384 → 384 against 768 → 768)")
                .hasMessageContaining("different base models");
        assertThatThrownBy(() -> new Average(List.of(new Use("a"), new Use("b")), List.of(1.0, -1.0)))
                .hasMessage("Average(a, b): the weights [1.0, -1.0] sum to 0 and cannot be normalised");
        assertThatThrownBy(() -> new BatchSplit(List.of(new Use("a"), new Use("b")), List.of(3)))
                .hasMessage("BatchSplit(a, b): 1 batch sizes for 2 children");
        assertThatThrownBy(() -> Fusion.create("f", Map.of("bnX", adapters.get("bnX"), "bnP", adapters.get("bnP")), 1))
                .hasMessageContaining("sits at other sites than")
                .hasMessageContaining("fused adapters must share their sites");
        assertThatThrownBy(() -> new CompositeAdapter(new Parallel(List.of(new Use("bnX"), new Use("bnY"))), adapters))
                .hasMessageContaining("Parallel runs one backbone pass per channel [bnX, bnY]");
        BackboneInfo info = BackboneInfo.of(backbone);
        Head head = new SequenceClassification().create(ClassificationConfig.of(List.of("a", "b")), info, 8);
        assertThatThrownBy(() -> ComposedModel.builder().backbone(backbone)
                .head("bad", head, Composition.stack("loraA", "nope"), adapters).build())
                .hasMessageContaining("head 'bad': Stack(loraA, nope): unknown adapter 'nope'");
    }
}
