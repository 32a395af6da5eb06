package dev.graft.adapters.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.backbones.testing.ModelResources;
import dev.graft.backbones.tokenizer.BertTokenizer;
import dev.graft.backbones.tokenizer.EncodedBatch;
import dev.graft.backbones.tokenizer.TokenizerSettings;
import dev.graft.core.tensor.TensorArena;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Adapter training learns a word's tag only from the word's own token: words past the token limit are left out. */
class WordRowsTest {

    @Test
    void wordsPastTheTokenLimitAreNotTrainingRows() {
        List<String> words = List.of("the", "cat", "sat", "on", "the", "mat", "and", "then", "it", "slept");
        int[][] tags = {{0, 1, 2, 3, 0, 1, 4, 5, 6, 2}, {0, 1}};
        try (BertTokenizer tokenizer = BertTokenizer.fromJson("minilm", ModelResources.bytes(ModelResources.MINILM_TOKENIZER),
                TokenizerSettings.forModel(ModelResources.VOCAB_SIZE, ModelResources.MAX_POSITIONS).withMaxLength(8));
             TensorArena arena = TensorArena.root("word-rows")) {
            EncodedBatch encoded = tokenizer.encodeWords(List.of(words, List.of("a", "dog")), arena);
            int width = encoded.tokens().tokens();
            AdapterTrainer.WordRows rows = AdapterTrainer.wordRows(encoded, List.of(words, List.of("a", "dog")), tags, 0);
            // 8 tokens: [CLS], the first six words (one token each), [SEP]; then the second sentence's two words
            assertThat(rows.tokens()).containsExactly(1, 2, 3, 4, 5, 6, width + 1, width + 2);
            assertThat(rows.labels()).containsExactly(0, 1, 2, 3, 0, 1, 0, 1);
        }
    }
}
