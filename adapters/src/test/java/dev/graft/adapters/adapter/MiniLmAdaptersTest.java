package dev.graft.adapters.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.adapters.bottleneck.Bottleneck;
import dev.graft.adapters.bottleneck.BottleneckConfig;
import dev.graft.adapters.ia3.Ia3;
import dev.graft.adapters.ia3.Ia3Config;
import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.lora.LoraConfig;
import dev.graft.adapters.testing.MiniLm;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.bert.EncoderOutput;
import dev.graft.backbones.sites.SiteHooks;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * On the real all-MiniLM-L6-v2 (pre-packed weights, fused Q/K/V GEMM): a fresh adapter of every type leaves every
 * layer's hidden states bit-identical; a LoRA or (IA)³ merged into weight copies agrees with the unmerged one within
 * 1e-4 (measured for LoRA: 3.3e-6 max over the last layer, for r=8 on query and value that moves outputs by 0.79).
 */
class MiniLmAdaptersTest {
    private static BertBackbone backbone;
    private static TensorArena arena;
    private static TokenBatch batch;

    @BeforeAll
    static void open() throws Exception {
        backbone = MiniLm.open();
        arena = TensorArena.root("minilm-adapters");
        batch = backbone.tokenize(List.of("A frozen backbone serves many adapted tasks.",
                "Where is my card?", "LoRA adds a low-rank update beside each projection."), arena);
    }

    @AfterAll
    static void close() {
        arena.close();
        backbone.close();
    }

    private static float[][] allLayers(SiteHooks hooks) {
        try (TensorArena out = arena.child("out")) {
            EncoderOutput o = backbone.encode(batch, out, true, hooks);
            return o.layers().stream().map(Tensor::toFloatArray).toArray(float[][]::new);
        }
    }

    private static void assertIdentity(Function<BertBackbone, Adapter> fresh) {
        float[][] plain = allLayers(SiteHooks.NONE);
        Adapter a = fresh.apply(backbone);
        try (Adapters attached = Adapters.attach(backbone.encoder(), List.of(a), arena)) {
            float[][] adapted = allLayers(attached.hooks());
            assertThat(adapted).hasSameDimensionsAs(plain);
            for (int l = 0; l < plain.length; l++) {
                assertThat(adapted[l]).as("stage %d with %s", l, a.describe()).containsExactly(plain[l]);
            }
        }
    }

    @Test
    void freshLoraOnEveryProjectionIsBitIdentical() {
        assertIdentity(b -> Lora.create(new LoraConfig(8, 16, 0.1f, Set.of(SiteKind.QUERY, SiteKind.KEY, SiteKind.VALUE,
                SiteKind.ATTENTION_OUTPUT, SiteKind.INTERMEDIATE, SiteKind.OUTPUT), null, false), b.encoder().sites(), 1));
    }

    @Test
    void freshHoulsbyAndPfeifferAreBitIdentical() {
        assertIdentity(b -> Bottleneck.create(BottleneckConfig.houlsby(16), b.encoder().sites(), 2));
        assertIdentity(b -> Bottleneck.create(BottleneckConfig.pfeiffer(16), b.encoder().sites(), 3));
    }

    @Test
    void freshIa3IsBitIdentical() {
        assertIdentity(b -> Ia3.create(Ia3Config.standard(), b.encoder().sites()));
        assertIdentity(b -> Ia3.create(Ia3Config.peftDefault(), b.encoder().sites()));
    }

    @Test
    void mergedLoraAgreesWithUnmergedWithin1e4AndLeavesTheBackboneServing() {
        Lora lora = Lora.create(LoraConfig.of(8, 16, SiteKind.QUERY, SiteKind.VALUE), backbone.encoder().sites(), 4);
        AdapterCases.randomize(lora, 5, 0.02);
        assertMergeAgrees(lora);
    }

    @Test
    void mergedIa3AgreesWithUnmergedWithin1e4() {
        Ia3 ia3 = Ia3.create(Ia3Config.peftDefault(), backbone.encoder().sites());
        AdapterCases.randomize(ia3, 6, 0.1);
        assertMergeAgrees(ia3);
    }

    private static void assertMergeAgrees(Adapter lora) {
        float[][] plain = allLayers(SiteHooks.NONE);
        try (Adapters unmerged = Adapters.attach(backbone.encoder(), List.of(lora), arena);
             Adapters merged = Adapters.attachMerged(backbone.encoder(), List.of(lora), arena)) {
            float[][] u = allLayers(unmerged.hooks());
            float[][] g = allLayers(merged.hooks());
            double maxDiff = 0;
            double maxEffect = 0;
            int last = plain.length - 1;
            for (int i = 0; i < u[last].length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(u[last][i] - g[last][i]));
                maxEffect = Math.max(maxEffect, Math.abs(u[last][i] - plain[last][i]));
            }
            assertThat(maxDiff).as("merged vs unmerged").isLessThanOrEqualTo(1e-4);
            assertThat(maxEffect).as("the LoRA changes the output").isGreaterThan(1e-2);
            float[][] again = allLayers(SiteHooks.NONE);
            for (int l = 0; l < plain.length; l++) {
                assertThat(again[l]).containsExactly(plain[l]);
            }
        }
    }
}
