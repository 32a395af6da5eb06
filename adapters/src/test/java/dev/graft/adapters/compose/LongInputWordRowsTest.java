package dev.graft.adapters.compose;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.FeatureKind;
import dev.graft.adapters.head.FeatureRows;
import dev.graft.adapters.head.LayerSelection;
import dev.graft.adapters.testing.MiniLm;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.core.tensor.TensorArena;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A huge single line given to a word-level head: only the words the backbone saw get feature rows (before, every
 * one of a million words got a row of stand-in features — gigabytes for a multi-megabyte line).
 */
class LongInputWordRowsTest {

    @Test
    void wordsPastTheTokenLimitGetNoFeatureRows() throws Exception {
        try (BertBackbone backbone = MiniLm.open(); TensorArena arena = TensorArena.root("long-input")) {
            BackboneInfo info = BackboneInfo.of(backbone);
            String line = "the cat sat on the mat and then it slept . ".repeat(100_000); // 1.1 million words
            try (BackbonePass pass = BackbonePass.run(backbone, info, new Inputs.Texts(List.of(line, "a short one")),
                    true, false, arena)) {
                assertThat(pass.words().getFirst()).hasSize(1_100_000);
                FeatureRows rows = pass.rows(new FeatureKind.WordTokens(LayerSelection.LAST));
                // every word here is one token: [CLS], maxLength - 2 words, [SEP]
                int seen = backbone.maxLength() - 2;
                assertThat(rows.rowsOf(0)).isEqualTo(seen);
                assertThat(rows.rowsOf(1)).isEqualTo(3);
                assertThat(rows.withoutToken().isEmpty()).isTrue();
                assertThat(rows.data()).hasSize((seen + 3) * info.hiddenSize());
            }
        }
    }

    @Test
    void aWordOfOnlyDroppedCharactersInsideTheSentenceIsMarkedWithoutToken() throws Exception {
        try (BertBackbone backbone = MiniLm.open(); TensorArena arena = TensorArena.root("dropped")) {
            BackboneInfo info = BackboneInfo.of(backbone);
            List<List<String>> sentences = new ArrayList<>();
            sentences.add(List.of("hello", "\u200B", "world", "\u200B"));
            try (BackbonePass pass = BackbonePass.run(backbone, info, new Inputs.Words(sentences), true, false, arena)) {
                FeatureRows rows = pass.rows(new FeatureKind.WordTokens(LayerSelection.LAST));
                assertThat(rows.rowsOf(0)).as("the trailing word has no token: no row").isEqualTo(3);
                assertThat(rows.hasToken(0)).isTrue();
                assertThat(rows.hasToken(1)).isFalse();
                assertThat(rows.hasToken(2)).isTrue();
            }
        }
    }
}
