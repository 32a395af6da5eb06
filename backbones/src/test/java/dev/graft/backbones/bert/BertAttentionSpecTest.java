package dev.graft.backbones.bert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.attention.dense.DenseAttention;
import dev.graft.attention.spec.AttentionSpec;
import dev.graft.attention.spec.AttentionSpecException;
import dev.graft.attention.topk.TopKAttention;
import dev.graft.attention.window.WindowAttention;
import dev.graft.backbones.Backbones;
import dev.graft.core.backbone.Pooling;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A backbone built with an attention spec: the layers get the spec's kernels, and the spec is exposed. */
class BertAttentionSpecTest {
    static final String MINILM = "all-minilm-l6-v2";
    static final List<String> TEXTS = List.of("A man is playing a guitar on the stage.", "Two dogs run.",
            "The stock market fell sharply today after the announcement of new tariffs on imported goods.");

    @Test
    void theSpecChoosesEachLayersKernelAndIsExposed() throws IOException {
        AttentionSpec spec = AttentionSpec.parse("0-2:window(8,global=cls),3-4:topk(8)");
        try (BertBackbone bert = Backbones.builder(MINILM).optThreads(1).optAttention(spec).build()) {
            assertThat(bert.attentionSpec()).contains(spec);
            assertThat(bert.attentionSpec().orElseThrow().toString()).isEqualTo("0-2:window(8,global=cls),3-4:topk(8)");
            var kernels = bert.encoder().attention();
            assertThat(kernels).hasSize(6);
            assertThat(kernels.subList(0, 3)).allMatch(k -> k instanceof WindowAttention);
            assertThat(kernels.subList(3, 5)).allMatch(k -> k instanceof TopKAttention);
            assertThat(kernels.get(5)).isInstanceOf(DenseAttention.class);
            assertThat(bert.toString()).contains("attention 0-2:window(8,global=cls),3-4:topk(8)");
        }
        try (BertBackbone bert = Backbones.builder(MINILM).optThreads(1).build()) {
            assertThat(bert.attentionSpec()).contains(AttentionSpec.dense());
            assertThat(bert.encoder().attention()).allMatch(k -> k instanceof DenseAttention);
        }
    }

    @Test
    void aWindowCoveringEverySentenceGivesDenseEmbeddingsAndANarrowOneDiffers() throws IOException {
        float[][] dense;
        try (BertBackbone bert = Backbones.builder(MINILM).optThreads(1).build()) {
            dense = bert.embed(TEXTS, Pooling.MEAN, true);
        }
        try (BertBackbone bert = Backbones.builder(MINILM).optThreads(1).optAttention(AttentionSpec.parse("all:window(1024)")).build()) {
            float[][] wide = bert.embed(TEXTS, Pooling.MEAN, true);
            for (int i = 0; i < TEXTS.size(); i++) {
                for (int j = 0; j < dense[i].length; j++) {
                    assertThat(wide[i][j]).isCloseTo(dense[i][j], org.assertj.core.data.Offset.offset(1e-5f));
                }
            }
        }
        try (BertBackbone bert = Backbones.builder(MINILM).optThreads(1).optAttention(AttentionSpec.parse("all:window(2)")).build()) {
            float[][] narrow = bert.embed(TEXTS, Pooling.MEAN, true);
            double cos = 0;
            for (int j = 0; j < dense[2].length; j++) {
                cos += narrow[2][j] * dense[2][j];
            }
            assertThat(cos).as("a 3-token window changes the long sentence's embedding").isLessThan(0.999);
        }
    }

    @Test
    void aLayerRangeOutsideTheModelFailsTheBuild() {
        assertThatThrownBy(() -> Backbones.builder(MINILM).optAttention(AttentionSpec.parse("0-2:window(8),4-7:dense")).build())
                .isInstanceOf(AttentionSpecException.class)
                .hasMessageContaining("layer range 4-7 is outside the model's 6 layers (0-5)");
    }
}
