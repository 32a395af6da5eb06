package dev.graft.adapters.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.adapters.bottleneck.Bottleneck;
import dev.graft.adapters.bottleneck.BottleneckConfig;
import dev.graft.adapters.ia3.Ia3;
import dev.graft.adapters.ia3.Ia3Config;
import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.lora.LoraConfig;
import dev.graft.backbones.bert.BertConfig;
import dev.graft.backbones.sites.Site;
import dev.graft.backbones.sites.SiteHook;
import dev.graft.backbones.sites.SiteHooks;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.backbones.sites.SiteShape;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Sites as the encoder declares them, and adapters that do not fit rejected when attached, naming what is wrong. */
class AdaptersAttachTest {
    private static final BertConfig NARROW = new BertConfig(50, 8, 2, 2, 24, 20, 2, 1e-12f);
    private static final BertConfig SHALLOW = new BertConfig(50, 16, 1, 4, 32, 20, 2, 1e-12f);

    @Test
    void encoderDeclaresEverySiteWithItsDimensions() {
        try (TinyModel m = new TinyModel()) {
            List<SiteShape> sites = m.encoder.sites();
            assertThat(sites).hasSize(2 * SiteKind.values().length);
            assertThat(sites).contains(new SiteShape(new Site(1, SiteKind.INTERMEDIATE), 16, 32),
                    new SiteShape(new Site(1, SiteKind.OUTPUT), 32, 16),
                    new SiteShape(new Site(0, SiteKind.INTERMEDIATE_SCALE), 32, 32),
                    new SiteShape(new Site(0, SiteKind.AFTER_FFN), 16, 16));
            assertThat(new Site(0, SiteKind.QUERY).module()).isEqualTo("encoder.layer.0.attention.self.query");
        }
    }

    @Test
    void adapterBuiltForAnotherWidthIsRejectedNamingLayerSiteAndShapes() {
        try (TinyModel tiny = new TinyModel(); TinyModel narrow = new TinyModel(NARROW, 9)) {
            Lora lora = Lora.create(LoraConfig.of(2, 4, SiteKind.INTERMEDIATE), tiny.encoder.sites(), 1);
            assertThatThrownBy(() -> Adapters.attach(narrow.encoder, List.of(lora), narrow.arena))
                    .isInstanceOf(AdapterShapeException.class)
                    .hasMessageContaining("layer 0 intermediate")
                    .hasMessageContaining("encoder.layer.0.intermediate.dense")
                    .hasMessageContaining("16 → 32").hasMessageContaining("8 → 24");
            Ia3 ia3 = Ia3.create(Ia3Config.standard(), tiny.encoder.sites());
            assertThatThrownBy(() -> Adapters.attach(narrow.encoder, List.of(ia3), narrow.arena))
                    .isInstanceOf(AdapterShapeException.class).hasMessageContaining("width 16")
                    .hasMessageContaining("width 8");
        }
    }

    @Test
    void adapterForLayersTheEncoderDoesNotHaveIsRejected() {
        try (TinyModel tiny = new TinyModel(); TinyModel shallow = new TinyModel(SHALLOW, 9)) {
            Bottleneck b = Bottleneck.create(BottleneckConfig.houlsby(4), tiny.encoder.sites(), 1);
            assertThatThrownBy(() -> Adapters.attach(shallow.encoder, List.of(b), shallow.arena))
                    .isInstanceOf(AdapterShapeException.class)
                    .hasMessageContaining("layer 1 after_attention does not exist")
                    .hasMessageContaining("1 layers");
            assertThatThrownBy(() -> Lora.create(new LoraConfig(2, 4, 0, Set.of(SiteKind.QUERY), List.of(3), false),
                    tiny.encoder.sites(), 1)).hasMessageContaining("layer 3");
        }
    }

    @Test
    void twoAdaptersAtOneSiteAreRejected() {
        try (TinyModel m = new TinyModel()) {
            Lora a = Lora.create(LoraConfig.of(2, 4, SiteKind.QUERY, SiteKind.VALUE), m.encoder.sites(), 1);
            Lora b = Lora.create(LoraConfig.of(2, 4, SiteKind.VALUE), m.encoder.sites(), 2);
            assertThatThrownBy(() -> Adapters.attach(m.encoder, List.of(a, b), m.arena))
                    .isInstanceOf(AdapterShapeException.class).hasMessageContaining("layer 0 value has two adapters");
            // different sites combine: LoRA on the key projection and (IA)³ on the keys
            Ia3 ia3 = Ia3.create(Ia3Config.standard(), m.encoder.sites());
            try (Adapters both = Adapters.attach(m.encoder, List.of(a, ia3), m.arena)) {
                assertThat(both.adapters()).hasSize(2);
            }
        }
    }

    @Test
    void hooksWithTheWrongRoleOrLayerAreRejected() {
        SiteHook.Scale scale = (rows, y, off, ld) -> { };
        assertThatThrownBy(() -> SiteHooks.of(Map.of(new Site(0, SiteKind.QUERY), scale)))
                .hasMessageContaining("layer 0 query is a PROJECTION site");
        try (TinyModel m = new TinyModel()) {
            SiteHooks far = SiteHooks.of(Map.of(new Site(5, SiteKind.KEY_SCALE), scale));
            assertThatThrownBy(() -> m.encode(far)).hasMessageContaining("layer 5").hasMessageContaining("2 layers");
        }
    }
}
