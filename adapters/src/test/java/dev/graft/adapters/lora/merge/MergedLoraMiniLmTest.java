package dev.graft.adapters.lora.merge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.adapters.AdapterTypes;
import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.adapter.Adapters;
import dev.graft.adapters.adapter.PeftIO;
import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.lora.LoraConfig;
import dev.graft.adapters.testing.AdapterTesting;
import dev.graft.adapters.testing.MiniLm;
import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.sites.SiteHooks;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.tensor.TensorArena;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Merged LoRAs on the real all-MiniLM-L6-v2: saved in the PEFT layout they load back and give the in-memory merged
 * adapter's outputs, and folded into a copy of the weights they give a backbone that computes the same without any
 * adapter.
 */
class MergedLoraMiniLmTest {
    static final List<String> SENTENCES = List.of("I still have not received my new card, what should I do?",
            "How do I reset my PIN?", "Can I exchange euros to dollars in the app?");
    private static BertBackbone backbone;
    private static TensorArena arena;
    private static TokenBatch batch;

    @TempDir
    Path dir;

    @BeforeAll
    static void open() throws Exception {
        backbone = MiniLm.open();
        arena = TensorArena.root("merged-lora");
        batch = backbone.tokenize(SENTENCES, arena);
    }

    @AfterAll
    static void close() {
        arena.close();
        backbone.close();
    }

    static Lora trained(long seed, SiteKind... targets) {
        Lora l = Lora.create(new LoraConfig(8, 16, 0.1f, Set.of(targets), null, false), backbone.encoder().sites(), seed);
        AdapterTesting.randomize(l, seed, 0.02);
        return l;
    }

    static float[] lastHidden(BertBackbone b, SiteHooks hooks) {
        try (TensorArena out = arena.child("out")) {
            return b.encode(batch, out, false, hooks).lastHidden().toFloatArray();
        }
    }

    static float[] attached(Adapter a) {
        try (Adapters attached = Adapters.attach(backbone.encoder(), List.of(a), arena)) {
            return lastHidden(backbone, attached.hooks());
        }
    }

    static double maxDiff(float[] x, float[] y) {
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            m = Math.max(m, Math.abs(x[i] - y[i]));
        }
        return m;
    }

    @Test
    void aMergedLoraSavedInThePeftLayoutLoadsBackAndGivesTheMergedOutputs() throws Exception {
        Lora intent = trained(1, SiteKind.QUERY, SiteKind.VALUE);
        Lora topic = trained(2, SiteKind.QUERY, SiteKind.VALUE, SiteKind.INTERMEDIATE);
        List<LoraMerge.Input> in = List.of(new LoraMerge.Input("intent", intent, 0.6), new LoraMerge.Input("topic", topic, 0.4));
        for (MergeSpec spec : List.of(MergeSpec.of(MergeMethod.TIES, 0.5), MergeSpec.of(MergeMethod.CAT))) {
            Lora merged = LoraMerge.merge(in, spec);
            Path saved = dir.resolve(spec.method().peftName());
            PeftIO.save(merged, "sentence-transformers/all-MiniLM-L6-v2", saved);
            Adapter loaded = PeftIO.load(saved, AdapterTypes.registry(), backbone.encoder().sites(), MiniLm.NAME);
            assertThat(loaded.describe()).isEqualTo(merged.describe());
            float[] plain = lastHidden(backbone, SiteHooks.NONE);
            float[] inMemory = attached(merged);
            float[] fromDisk = attached(loaded);
            assertThat(maxDiff(inMemory, plain)).as("the merged adapter changes the outputs").isGreaterThan(1e-2);
            assertThat(maxDiff(fromDisk, inMemory)).as(spec.method() + ": loaded vs in memory").isLessThanOrEqualTo(1e-5);
        }
    }

    @Test
    void catOnTheRealBackboneEqualsBothAdaptersWeightedWithin1e4() throws Exception {
        // cat is exact: ΔW' = Σ wᵢ·ΔWᵢ; two adapters on disjoint targets attached together compute the same
        Lora q = trained(3, SiteKind.QUERY);
        Lora v = trained(4, SiteKind.VALUE);
        Lora merged = LoraMerge.merge(List.of(new LoraMerge.Input("q", q, 1), new LoraMerge.Input("v", v, 1)),
                MergeSpec.of(MergeMethod.CAT));
        float[] both;
        try (Adapters attached = Adapters.attach(backbone.encoder(), List.of(q, v), arena)) {
            both = lastHidden(backbone, attached.hooks());
        }
        assertThat(maxDiff(attached(merged), both)).isLessThanOrEqualTo(1e-4);
    }

    @Test
    void anSvdMergeFoldedIntoACopyOfTheWeightsIsABackboneThatComputesTheSame() throws Exception {
        Lora a = trained(5, SiteKind.QUERY, SiteKind.VALUE);
        Lora b = trained(6, SiteKind.VALUE, SiteKind.OUTPUT);
        long t0 = System.nanoTime();
        Lora merged = LoraMerge.merge(List.of(new LoraMerge.Input("a", a, 1), new LoraMerge.Input("b", b, 0.5)),
                new MergeSpec(MergeMethod.TIES_SVD, 0.3, null, 16, 0));
        double seconds = (System.nanoTime() - t0) / 1e9;
        Path folded = dir.resolve("folded");
        LoraMerge.fold(merged, backbone.checkpoint(), folded);
        try (BertBackbone f = Backbones.builder(folded.toString()).optThreads(2).optMaxLength(128).build()) {
            float[] adapted = attached(merged);
            float[] foldedOut = lastHidden(f, SiteHooks.NONE);
            double diff = maxDiff(foldedOut, adapted);
            System.err.printf("ties_svd rank 16 over 18 sites of MiniLM: %.1f s; folded vs attached: %.2e%n", seconds, diff);
            assertThat(maxDiff(adapted, lastHidden(backbone, SiteHooks.NONE))).isGreaterThan(1e-2);
            assertThat(diff).isLessThanOrEqualTo(1e-4);
        }
    }
}
