package dev.graft.adapters.compose;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.adapter.Adapters;
import dev.graft.adapters.bottleneck.Bottleneck;
import dev.graft.adapters.bottleneck.BottleneckConfig;
import dev.graft.adapters.classification.ClassificationConfig;
import dev.graft.adapters.classification.SequenceClassification;
import dev.graft.adapters.data.CsvDataset;
import dev.graft.adapters.embedding.EmbeddingConfig;
import dev.graft.adapters.embedding.SentenceEmbedding;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.head.HeadOutput;
import dev.graft.adapters.ia3.Ia3;
import dev.graft.adapters.ia3.Ia3Config;
import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.lora.LoraConfig;
import dev.graft.adapters.nn.Parameter;
import dev.graft.adapters.tagging.TaggingConfig;
import dev.graft.adapters.tagging.TokenClassification;
import dev.graft.adapters.testing.MiniLm;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.bert.EncoderOutput;
import dev.graft.backbones.sites.SiteHooks;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.tensor.TensorArena;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Per-row adapter routing on the real all-MiniLM-L6-v2 and real banking77 test questions: rows over LoRA adapters
 * of different ranks and targets (B random and non-zero, so the delta matters), a Houlsby bottleneck, (IA)³ and no
 * adapter, in one backbone pass, give each row what it gets alone with its adapter (≤ 1e-5 on real tokens and in
 * the heads' outputs).
 */
class RowRoutingTest {
    static BertBackbone minilm;
    static BackboneInfo info;
    static List<String> questions;
    static Adapter loraQv;      // r = 8 on query, value
    static Adapter loraWide;    // r = 4 on key, attention output, intermediate, output of layers 1 and 4
    static Adapter loraRank1;   // r = 1 on query
    static Adapter houlsby;
    static Adapter ia3;
    static Head[] heads = new Head[6];

    @BeforeAll
    static void open() throws Exception {
        minilm = MiniLm.open();
        info = BackboneInfo.of(minilm);
        questions = CsvDataset.read(MiniLm.dataset("banking77/test.csv"), "text", "category").stream()
                .map(dev.graft.adapters.data.LabeledText::text).limit(400).filter(t -> t.length() > 10).limit(14).toList();
        var sites = minilm.encoder().sites();
        loraQv = nonZero(Lora.create(LoraConfig.of(8, 16, SiteKind.QUERY, SiteKind.VALUE), sites, 1), 2);
        loraWide = nonZero(Lora.create(new LoraConfig(4, 4, 0f, EnumSet.of(SiteKind.KEY, SiteKind.ATTENTION_OUTPUT,
                SiteKind.INTERMEDIATE, SiteKind.OUTPUT), List.of(1, 4), false), sites, 3), 4);
        loraRank1 = nonZero(Lora.create(LoraConfig.of(1, 2, SiteKind.QUERY), sites, 5), 6);
        houlsby = nonZero(Bottleneck.create(BottleneckConfig.houlsby(16), sites, 7), 8);
        ia3 = nonZero(Ia3.create(Ia3Config.standard(), sites), 9);
        for (int h = 0; h < heads.length; h++) {
            heads[h] = new SequenceClassification().create(ClassificationConfig.of(List.of("a", "b", "c", "d", "e")),
                    info, 10 + h);
        }
    }

    @AfterAll
    static void close() {
        minilm.close();
    }

    /** LoRA B (and bottleneck up) random around 0, (IA)³ around 1: the adapter changes the outputs. */
    static Adapter nonZero(Adapter a, long seed) {
        Random r = new Random(seed);
        for (Parameter p : a.parameters()) {
            float[] v = p.values();
            if (p.name().endsWith("ia3_l")) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (1 + r.nextGaussian() * 0.2);
                }
            } else if (p.name().contains("lora_B") || p.name().contains(".up.")) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (r.nextGaussian() * 0.05);
                }
            }
        }
        return a;
    }

    static ComposedModel model(boolean merge) {
        return ComposedModel.builder().backbone(minilm)
                .head("qv", heads[0], loraQv)
                .head("qv-topic", heads[1], loraQv)
                .head("wide", heads[2], loraWide)
                .head("rank1", heads[3], loraRank1)
                .head("houlsby", heads[4], houlsby)
                .head("ia3", heads[5], ia3)
                .head("plain", heads[0])
                .head("embed", new SentenceEmbedding().create(EmbeddingConfig.meanPooled(), info, 0))
                .mergeAdapters(merge)
                .build();
    }

    /** Rows over every adapter, some over several, some over none, and one unknown head. */
    static List<Request> requests() {
        List<String> q = questions;
        return List.of(
                Request.of(q.get(0), "qv"),
                Request.of(q.get(1), "wide"),
                Request.of(q.get(2), "plain", "embed"),
                Request.of(q.get(3), "rank1", "qv-topic"),
                Request.of(q.get(4), "houlsby"),
                Request.of(q.get(5), "ia3"),
                Request.of(q.get(6), "qv", "nope"),
                Request.of(q.get(7), "ia3", "wide", "qv"),
                Request.of(q.get(8), "qv"),
                new Request(q.get(9)),
                Request.of(q.get(10), "houlsby", "plain"),
                Request.of(q.get(11), "rank1"));
    }

    @Test
    void eachRowEqualsThatRowAloneWithItsAdapterAndAnUnknownHeadFailsOnlyItsRow() {
        try (ComposedModel model = model(false)) {
            List<Request> requests = requests();
            List<RowResult> results = model.predictRows(requests);
            assertThat(results).hasSize(requests.size());
            for (int i = 0; i < requests.size(); i++) {
                RowResult r = results.get(i);
                assertThat(r.index()).isEqualTo(i);
                if (i == 6) {
                    assertThat(r.ok()).isFalse();
                    assertThat(r.error()).contains("unknown head 'nope'").contains("[qv, qv-topic, wide, rank1, houlsby, ia3, plain, embed]");
                    assertThat(r.outputs()).isEmpty();
                    continue;
                }
                assertThat(r.ok()).as("row %s: %s", i, r.error()).isTrue();
                List<String> asked = requests.get(i).heads().isEmpty() ? List.copyOf(model.headNames()) : requests.get(i).heads();
                assertThat(r.outputs().keySet()).as("row %s heads in the order asked", i).containsExactlyElementsOf(asked);
                for (String head : asked) {
                    HeadOutput alone = model.predict(List.of(requests.get(i).text()), head).outputs().get(head);
                    assertClose(r.outputs().get(head), alone, "row " + i + " head " + head);
                }
            }
            // the adapters matter: each adapted head differs from the same head on the plain backbone
            HeadOutput plain = model.predict(List.of(requests.get(0).text()), "plain").outputs().get("plain");
            assertThat(maxDiff(results.get(0).outputs().get("qv"), plain)).isGreaterThan(1e-3);
            assertThat(model.allocatedBytes()).isZero();
        }
    }

    @Test
    void theRoutedPassEqualsEachRowEncodedAloneOnRealTokens() {
        List<Adapter> adapters = new ArrayList<>(List.of(loraQv, loraWide, loraRank1, houlsby, ia3));
        try (TensorArena arena = TensorArena.root("routed-encode")) {
            List<SiteHooks> kinds = new ArrayList<>();
            List<Adapters> attached = new ArrayList<>();
            for (Adapter a : adapters) {
                Adapters at = Adapters.attach(minilm.encoder(), List.of(a), arena);
                attached.add(at);
                kinds.add(at.hooks());
            }
            kinds.add(SiteHooks.NONE);
            // rows: segments of 2, 1, 0 (empty), 3, 1, 2, 2 rows over qv, wide, rank1, houlsby, ia3, none… and qv again
            int[] rowsPer = {2, 1, 0, 3, 1, 2, 2};
            int[] which = {0, 1, 2, 3, 4, 5, 0};
            List<String> texts = questions.subList(0, 11);
            List<SiteHooks> perSegment = new ArrayList<>();
            int[] segmentOfRow = new int[texts.size()];
            int row = 0;
            for (int s = 0; s < rowsPer.length; s++) {
                perSegment.add(kinds.get(which[s]));
                for (int k = 0; k < rowsPer[s]; k++) {
                    segmentOfRow[row++] = s;
                }
            }
            try (TensorArena work = arena.child("work")) {
                TokenBatch batch = minilm.tokenize(texts, work);
                int t = batch.tokens();
                int[] starts = new int[rowsPer.length + 1];
                for (int s = 0; s < rowsPer.length; s++) {
                    starts[s + 1] = starts[s] + rowsPer[s] * t;
                }
                EncoderOutput routed = minilm.encode(batch, work, false, SiteHooks.routed(starts, perSegment));
                float[] all = routed.lastHidden().toFloatArray();
                int hidden = info.hiddenSize();
                for (int r = 0; r < texts.size(); r++) {
                    TokenBatch one = minilm.tokenize(List.of(texts.get(r)), work);
                    float[] alone = minilm.encode(one, work, false, perSegment.get(segmentOfRow[r])).lastHidden().toFloatArray();
                    float[] plain = minilm.encode(one, work, false, SiteHooks.NONE).lastHidden().toFloatArray();
                    double worst = 0;
                    double changed = 0;
                    for (int tok = 0; tok < one.tokens(); tok++) { // the row's real tokens
                        for (int j = 0; j < hidden; j++) {
                            float got = all[(r * t + tok) * hidden + j];
                            worst = Math.max(worst, Math.abs(got - alone[tok * hidden + j]));
                            changed = Math.max(changed, Math.abs(got - plain[tok * hidden + j]));
                        }
                    }
                    assertThat(worst).as("row %s (segment %s) against alone", r, segmentOfRow[r]).isLessThanOrEqualTo(1e-5);
                    if (which[segmentOfRow[r]] < 5) {
                        assertThat(changed).as("row %s: its adapter changes it", r).isGreaterThan(1e-3);
                    } else {
                        assertThat(changed).as("row %s: no adapter", r).isLessThanOrEqualTo(1e-5);
                    }
                }
            }
            attached.forEach(Adapters::close);
        }
    }

    @Test
    void thePlanShowsTheSegmentsAndProvenanceEveryAdaptersNameTypeAndHash() {
        try (ComposedModel model = model(false)) {
            Plan plan = model.planRows(requests());
            List<Step.Route> routes = plan.steps().stream().filter(s -> s instanceof Step.Route)
                    .map(s -> (Step.Route) s).toList();
            assertThat(plan.backbonePasses()).as("one pass per length bucket").isEqualTo(routes.size());
            // every pass-row once, routed to its adapter: input → adapters, over all buckets
            Map<String, Set<Integer>> inputsOf = new java.util.TreeMap<>();
            for (Step.Route r : routes) {
                assertThat(r.onePass()).isTrue();
                for (Step.Segment g : r.segments()) {
                    inputsOf.computeIfAbsent(String.valueOf(g.adapter()), k -> new java.util.TreeSet<>()).addAll(g.inputs());
                }
            }
            assertThat(inputsOf).containsEntry("null", Set.of(2, 9, 10))
                    .containsEntry(loraQv.describe(), Set.of(0, 3, 7, 8, 9))
                    .containsEntry(loraWide.describe(), Set.of(1, 7, 9))
                    .containsEntry(loraRank1.describe(), Set.of(3, 9, 11))
                    .containsEntry(houlsby.describe(), Set.of(4, 9, 10))
                    .containsEntry(ia3.describe(), Set.of(5, 7, 9)).hasSize(6);
            String text = plan.toString();
            assertThat(text).contains("tokenize").contains("), routed: ").contains(loraQv.describe() + ": rows ")
                    .contains("no adapter: rows ").contains("run head 'qv-topic'");
            // rows of alike length: one pass, its segments in adapter order
            List<Request> alike = List.of(Request.of("I lost my card", "ia3"), Request.of("I lost my phone", "qv"),
                    Request.of("I lost my keys", "plain"), Request.of("I lost my wallet", "qv"));
            Plan one = model.planRows(alike);
            assertThat(one.backbonePasses()).isEqualTo(1);
            assertThat(one.toString()).contains("encode once (rows of up to ")
                    .contains("tokens), routed: 3 segments\n    no adapter: rows 0 (input 2)\n    " + loraQv.describe()
                            + ": rows 1–2 (inputs 1, 3)\n    " + ia3.describe() + ": rows 3 (input 0)");
            assertThat(plan.steps()).filteredOn(s -> s instanceof Step.Tokenize).hasSize(1);
            Map<String, JsonNode> heads = model.provenance().heads();
            Set<String> hashes = heads.values().stream().filter(n -> n.has("adapter"))
                    .map(n -> n.get("adapter").get("sha256").asText()).collect(Collectors.toSet());
            assertThat(hashes).hasSize(5).allMatch(h -> h.matches("[0-9a-f]{64}"));
            assertThat(heads.get("qv-topic").get("adapter").get("name").asText()).isEqualTo("qv");
            assertThat(heads.get("wide").get("adapter").get("type").asText()).isEqualTo("lora");
            assertThat(heads.get("houlsby").get("adapter").get("type").asText()).isEqualTo("bottleneck");
            assertThat(model.provenance().toString()).contains("sha256 " + heads.get("ia3").get("adapter").get("sha256").asText());
            try (ComposedModel again = model(false)) {
                assertThat(again.provenance().heads().get("wide").get("adapter").get("sha256"))
                        .isEqualTo(heads.get("wide").get("adapter").get("sha256"));
            }
        }
    }

    @Test
    void mergedAdaptersCannotBeRoutedSoEachSegmentGetsItsOwnPassWithTheSameResults() {
        try (ComposedModel model = model(true)) {
            List<Request> requests = List.of(Request.of(questions.get(0), "qv"), Request.of(questions.get(1), "houlsby"),
                    Request.of(questions.get(2), "plain"), Request.of(questions.get(3), "ia3", "qv"));
            Plan plan = model.planRows(requests);
            assertThat(plan.toString()).contains("encode each segment on its own (an adapter merged into weight copies"
                    + " cannot be routed per row): 4 passes");
            assertThat(plan.backbonePasses()).isEqualTo(4);
            List<RowResult> results = model.predictRows(requests);
            for (int i = 0; i < requests.size(); i++) {
                for (String head : requests.get(i).heads()) {
                    assertClose(results.get(i).outputs().get(head),
                            model.predict(List.of(requests.get(i).text()), head).outputs().get(head), "row " + i + " " + head);
                }
            }
        }
        try (TensorArena arena = TensorArena.root("merged");
             Adapters merged = Adapters.attachMerged(minilm.encoder(), List.of(loraQv), arena)) {
            assertThatThrownBy(() -> SiteHooks.routed(new int[] {0, 4, 8}, List.of(SiteHooks.NONE, merged.hooks())))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("segment 1 has a merged weight copy at layer 0 query")
                    .hasMessageContaining("attach that adapter unmerged");
        }
    }

    @Test
    void badSegmentBoundariesAndAPassOfAnotherSizeFailNamingThem() {
        assertThatThrownBy(() -> SiteHooks.routed(new int[] {0, 5}, List.of(SiteHooks.NONE, SiteHooks.NONE)))
                .hasMessageContaining("2 segments need 3 segment starts, got 2");
        assertThatThrownBy(() -> SiteHooks.routed(new int[] {1, 5}, List.of(SiteHooks.NONE)))
                .hasMessageContaining("the first segment must start at row 0, not 1");
        assertThatThrownBy(() -> SiteHooks.routed(new int[] {0, 5, 3}, List.of(SiteHooks.NONE, SiteHooks.NONE)))
                .hasMessageContaining("segment 1 ends (row 3) before it starts (row 5)");
        assertThat(SiteHooks.routed(new int[] {0, 3, 6}, List.of(SiteHooks.NONE, SiteHooks.NONE)).isEmpty()).isTrue();
        try (TensorArena arena = TensorArena.root("wrong-rows");
             Adapters a = Adapters.attach(minilm.encoder(), List.of(loraQv), arena);
             TensorArena work = arena.child("work")) {
            TokenBatch batch = minilm.tokenize(questions.subList(0, 2), work);
            int rows = batch.batchSize() * batch.tokens();
            SiteHooks wrong = SiteHooks.routed(new int[] {0, 1, rows + 1}, List.of(SiteHooks.NONE, a.hooks()));
            assertThatThrownBy(() -> minilm.encode(batch, work, false, wrong))
                    .hasMessageContaining("routed hooks cover " + (rows + 1) + " token rows but the forward pass has " + rows);
            // BatchSplit's form: whole sequences per adapter, the same pass as token-row segments
            float[] bySequence = minilm.encode(batch, work, false,
                    SiteHooks.routedBatch(new int[] {1, 1}, batch.tokens(), List.of(SiteHooks.NONE, a.hooks())))
                    .lastHidden().toFloatArray();
            float[] byTokens = minilm.encode(batch, work, false, SiteHooks.routed(new int[] {0, batch.tokens(), rows},
                    List.of(SiteHooks.NONE, a.hooks()))).lastHidden().toFloatArray();
            assertThat(bySequence).containsExactly(byTokens);
            assertThatThrownBy(() -> SiteHooks.routedBatch(new int[] {1, 2}, 5, List.of(a.hooks())))
                    .hasMessageContaining("batch split: 2 batch sizes for 1 adapters");
        }
    }

    @Test
    void taggingRowsAreSplitPerRowToo() {
        Head tagger = new TokenClassification().create(TaggingConfig.of(List.of("B-X", "I-X", "O")), info, 3);
        try (ComposedModel model = ComposedModel.builder().backbone(minilm).head("tags", tagger)
                .head("qv", heads[0], loraQv).build()) {
            List<Request> requests = List.of(Request.of(questions.get(0), "tags"), Request.of(questions.get(1), "qv", "tags"),
                    Request.of(questions.get(2), "qv"));
            List<RowResult> results = model.predictRows(requests);
            for (int i = 0; i < requests.size(); i++) {
                for (String head : requests.get(i).heads()) {
                    HeadOutput alone = model.predict(List.of(requests.get(i).text()), requests.get(i).heads().toArray(String[]::new))
                            .outputs().get(head);
                    assertClose(results.get(i).outputs().get(head), alone, "row " + i + " " + head);
                }
            }
            HeadOutput.Tagging t = (HeadOutput.Tagging) results.get(1).outputs().get("tags");
            assertThat(t.size()).isEqualTo(1);
            assertThat(t.words().getFirst()).isNotEmpty();
        }
    }

    static double maxDiff(HeadOutput a, HeadOutput b) {
        return switch (a) {
            case HeadOutput.Classification c -> max(c.probabilities(), ((HeadOutput.Classification) b).probabilities());
            case HeadOutput.Embedding e -> max(e.vectors(), ((HeadOutput.Embedding) b).vectors());
            case HeadOutput.Tagging t -> {
                HeadOutput.Tagging u = (HeadOutput.Tagging) b;
                assertThat(t.words()).isEqualTo(u.words());
                assertThat(t.tags()).isEqualTo(u.tags());
                yield max(t.scores().toArray(float[][]::new), u.scores().toArray(float[][]::new));
            }
            default -> throw new AssertionError("unexpected output " + a);
        };
    }

    static void assertClose(HeadOutput routed, HeadOutput alone, String what) {
        assertThat(routed).as(what).isNotNull();
        assertThat(routed.size()).as(what).isEqualTo(1);
        assertThat(maxDiff(routed, alone)).as(what).isLessThanOrEqualTo(1e-5);
    }

    private static double max(float[][] a, float[][] b) {
        assertThat(a.length).isEqualTo(b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            assertThat(a[i].length).isEqualTo(b[i].length);
            for (int j = 0; j < a[i].length; j++) {
                m = Math.max(m, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return m;
    }
}
