package dev.graft.adapters.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.adapters.bottleneck.Bottleneck;
import dev.graft.adapters.bottleneck.BottleneckConfig;
import dev.graft.adapters.ia3.Ia3;
import dev.graft.adapters.ia3.Ia3Config;
import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.lora.LoraConfig;
import dev.graft.backbones.bert.BertConfig;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.core.kernels.Activation;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The adapted encoder against {@link ReferenceEncoder} (double precision, plain loops) on a small random BERT with
 * non-zero adapters of every type (hidden 24, 2 layers, intermediate 48, a padded batch). Tolerance: max |difference|
 * ≤ 2e-5 on LayerNorm'd outputs of magnitude ~1–3 (float against double; measured 1.1e-6 plain, 1.3e-6 to 3.3e-6
 * adapted); the adapters themselves move the outputs by more than 1 (asserted ≥ 100 × the tolerance).
 */
class AdaptedEncoderReferenceTest {
    private static final double TOLERANCE = 2e-5;
    /** Small weights keep the random model's activations in the range real models have. */
    private static final BertConfig SMALL = new BertConfig(40, 24, 2, 3, 48, 16, 2, 1e-12f);

    @Test
    void plainEncoderMatchesTheReference() {
        check(null, null, null);
    }

    @Test
    void loraOnEveryProjection() {
        try (TinyModel m = new TinyModel(SMALL, 3)) {
            Lora lora = Lora.create(new LoraConfig(3, 6, 0.1f, Set.of(SiteKind.QUERY, SiteKind.KEY, SiteKind.VALUE,
                    SiteKind.ATTENTION_OUTPUT, SiteKind.INTERMEDIATE, SiteKind.OUTPUT), null, false), m.encoder.sites(), 1);
            AdapterCases.randomize(lora, 5, 0.2);
            compare(m, lora, null, null);
        }
    }

    @Test
    void houlsbyBottleneck() {
        try (TinyModel m = new TinyModel(SMALL, 3)) {
            Bottleneck b = Bottleneck.create(new BottleneckConfig(BottleneckConfig.Placement.HOULSBY, 4, Activation.GELU,
                    true), m.encoder.sites(), 1);
            AdapterCases.randomize(b, 6, 0.3);
            compare(m, null, b, null);
        }
    }

    @Test
    void pfeifferBottleneckRelu() {
        try (TinyModel m = new TinyModel(SMALL, 3)) {
            Bottleneck b = Bottleneck.create(BottleneckConfig.pfeiffer(3), m.encoder.sites(), 1);
            AdapterCases.randomize(b, 7, 0.3);
            compare(m, null, b, null);
        }
    }

    @Test
    void ia3OnKeysValuesAndIntermediate() {
        try (TinyModel m = new TinyModel(SMALL, 3)) {
            Ia3 ia3 = Ia3.create(Ia3Config.peftDefault(), m.encoder.sites());
            AdapterCases.randomize(ia3, 8, 0.3);
            compare(m, null, null, ia3);
        }
    }

    @Test
    void allThreeTypesTogether() {
        try (TinyModel m = new TinyModel(SMALL, 4)) {
            Lora lora = Lora.create(LoraConfig.of(2, 4, SiteKind.QUERY, SiteKind.KEY, SiteKind.OUTPUT), m.encoder.sites(), 2);
            Bottleneck b = Bottleneck.create(BottleneckConfig.houlsby(6), m.encoder.sites(), 3);
            Ia3 ia3 = Ia3.create(Ia3Config.standard(), m.encoder.sites());
            AdapterCases.randomize(lora, 9, 0.2);
            AdapterCases.randomize(b, 10, 0.3);
            AdapterCases.randomize(ia3, 11, 0.3);
            compare(m, lora, b, ia3);
        }
    }

    private static void check(Lora lora, Bottleneck b, Ia3 ia3) {
        try (TinyModel m = new TinyModel(SMALL, 3)) {
            compare(m, lora, b, ia3);
        }
    }

    private static void compare(TinyModel m, Lora lora, Bottleneck b, Ia3 ia3) {
        List<Adapter> list = new ArrayList<>();
        for (Adapter a : new Adapter[] {lora, b, ia3}) {
            if (a != null) {
                list.add(a);
            }
        }
        float[] expected = new ReferenceEncoder(m.weights, lora, b, ia3).lastHidden(m.batch);
        float[] plain = new ReferenceEncoder(m.weights, null, null, null).lastHidden(m.batch);
        try (Adapters attached = Adapters.attach(m.encoder, list, m.arena)) {
            float[] actual = m.lastHidden(attached);
            double maxDiff = 0;
            double maxEffect = 0;
            for (int i = 0; i < actual.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
                maxEffect = Math.max(maxEffect, Math.abs(expected[i] - plain[i]));
            }
            assertThat(maxDiff).as("max |encoder - reference|").isLessThanOrEqualTo(TOLERANCE);
            if (!list.isEmpty()) {
                assertThat(maxEffect).as("the adapters change the output well beyond the tolerance").isGreaterThan(100 * TOLERANCE);
            }
        }
    }
}
