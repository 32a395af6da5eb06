package dev.graft.adapters.guice;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.name.Names;
import dev.graft.adapters.adapter.AdaptedHead;
import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.classification.ClassificationConfig;
import dev.graft.adapters.classification.SequenceClassification;
import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.FeatureKind;
import dev.graft.adapters.head.FeatureRows;
import dev.graft.adapters.head.Features;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.head.HeadConfig;
import dev.graft.adapters.head.HeadIO;
import dev.graft.adapters.head.HeadOutput;
import dev.graft.adapters.head.HeadRegistry;
import dev.graft.adapters.head.HeadType;
import dev.graft.adapters.head.Identity;
import dev.graft.adapters.head.LayerSelection;
import dev.graft.adapters.head.NetworkHead;
import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.lora.LoraConfig;
import dev.graft.adapters.testing.MiniLm;
import dev.graft.backbones.BackboneRegistry;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.core.backbone.Pooling;
import dev.graft.core.kernels.Kernels;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GraftModuleTest {

    /** A user's own head type, outside Graft: the length of each text's pooled state. */
    record NormConfig(LayerSelection layers) implements HeadConfig {
    }

    record Norms(float[] norms) implements HeadOutput.Custom {
        @Override
        public int size() {
            return norms.length;
        }
    }

    static final class NormHeadType implements HeadType<NormConfig> {
        @Override
        public String name() {
            return "norm";
        }

        @Override
        public Class<NormConfig> configClass() {
            return NormConfig.class;
        }

        @Override
        public Head create(NormConfig config, BackboneInfo backbone, long seed) {
            return new NetworkHead("norm", config, backbone, new FeatureKind.Pooled(Pooling.MEAN, config.layers()),
                    new Identity(backbone.hiddenSize())) {
                @Override
                protected HeadOutput output(float[] out, FeatureRows rows, Features features) {
                    float[] n = new float[rows.rows()];
                    for (int i = 0; i < n.length; i++) {
                        double s = 0;
                        for (int d = 0; d < rows.rowSize(); d++) {
                            s += (double) out[i * rows.rowSize() + d] * out[i * rows.rowSize() + d];
                        }
                        n[i] = (float) Math.sqrt(s);
                    }
                    return new Norms(n);
                }
            };
        }
    }

    @Test
    void aServiceInjectsNamedModelsSharingOneBackboneAndItsOwnHeadTypesPlugIn(@TempDir Path dir) throws Exception {
        Path saved = dir.resolve("intent");
        try (var backbone = MiniLm.open()) {
            HeadIO.save(new SequenceClassification().create(ClassificationConfig.of(List.of("yes", "no")),
                    BackboneInfo.of(backbone), 3), saved);
        }
        Injector injector = Guice.createInjector(
                GraftModule.builder().threads(2).maxLength(128)
                        .headsModel("support", Map.of("intent", saved))
                        .model("norms", (backbones, types) -> {
                            var backbone = backbones.get(MiniLm.NAME);
                            Head h = types.get("norm").createFrom(new NormConfig(LayerSelection.LAST), BackboneInfo.of(backbone), 0);
                            return ComposedModel.builder().backbone(backbone).head("norm", h).build();
                        })
                        .build(),
                new AbstractModule() {
                    @Override
                    protected void configure() {
                        GraftModule.headTypes(binder()).addBinding().to(NormHeadType.class);
                    }
                });
        BackboneRegistry backbones = injector.getInstance(BackboneRegistry.class);
        try (backbones; Kernels kernels = injector.getInstance(Kernels.class)) {
            assertThat(injector.getInstance(HeadRegistry.class).names())
                    .containsExactly("classification", "embedding", "norm", "regression", "tagging");
            ComposedModel support = injector.getInstance(Key.get(ComposedModel.class, Names.named("support")));
            ComposedModel norms = injector.getInstance(Key.get(ComposedModel.class, Names.named("norms")));
            assertThat(injector.getInstance(Key.get(ComposedModel.class, Names.named("support")))).isSameAs(support);
            assertThat(support.backbone()).as("one backbone in memory").isSameAs(norms.backbone());
            assertThat(support.backbone().kernels()).isSameAs(kernels);
            assertThat(support.predict(List.of("Where is my card?")).classification("intent").size()).isEqualTo(1);
            Norms n = norms.predict(List.of("Where is my card?", "Hi")).get("norm", Norms.class);
            assertThat(n.norms()).hasSize(2);
            assertThat(n.norms()[0]).isPositive();
            assertThat(n.norms()[1]).isPositive();
            assertThat(backbones.opened()).containsExactly(MiniLm.NAME);
            support.close();
            norms.close();
        }
    }
    @Test
    void savedHeadsAndModelsBringTheirAdaptersAlong(@TempDir Path dir) throws Exception {
        Path pairDir = dir.resolve("intent");
        Path modelDir = dir.resolve("model");
        List<String> texts = List.of("Where is my card?", "I was charged twice");
        Head head;
        Adapter lora;
        try (var backbone = MiniLm.open()) {
            head = new SequenceClassification().create(ClassificationConfig.of(List.of("yes", "no")), BackboneInfo.of(backbone), 3);
            lora = Lora.create(LoraConfig.of(4, 8, SiteKind.QUERY, SiteKind.VALUE), backbone.encoder().sites(), 4);
            lora.parameters().forEach(p -> java.util.Arrays.fill(p.values(), 0.02f)); // non-zero B: the adapter matters
            new AdaptedHead(head, lora).save(pairDir);
            try (ComposedModel m = ComposedModel.builder().backbone(backbone).head("intent", head, lora).build()) {
                m.save(modelDir);
            }
        }
        Injector injector = Guice.createInjector(GraftModule.builder().threads(2).maxLength(128)
                .headsModel("heads", Map.of("intent", pairDir))
                .savedModel("saved", modelDir)
                .build());
        BackboneRegistry backbones = injector.getInstance(BackboneRegistry.class);
        try (backbones; Kernels kernels = injector.getInstance(Kernels.class)) {
            ComposedModel heads = injector.getInstance(Key.get(ComposedModel.class, Names.named("heads")));
            ComposedModel saved = injector.getInstance(Key.get(ComposedModel.class, Names.named("saved")));
            try (heads; saved;
                 ComposedModel expected = ComposedModel.builder().backbone(heads.backbone()).head("intent", head, lora).build();
                 ComposedModel plain = ComposedModel.builder().backbone(heads.backbone()).head("intent", head).build()) {
                assertThat(heads.adapter("intent").orElseThrow().describe()).isEqualTo(lora.describe());
                assertThat(saved.adapter("intent").orElseThrow().describe()).isEqualTo(lora.describe());
                var want = expected.predict(texts).outputs();
                assertThat(heads.predict(texts).outputs()).isEqualTo(want);
                assertThat(saved.predict(texts).outputs()).isEqualTo(want).isNotEqualTo(plain.predict(texts).outputs());
            }
        }
    }
}
