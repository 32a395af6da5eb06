package dev.graft.backbones.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertCheckpoint;
import dev.graft.backbones.huggingface.HfBertDirectory;
import dev.graft.core.testing.CorruptWeights;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Real models damaged the way the hostile cases were: all-MiniLM-L6-v2 written as a Hugging Face directory, then
 * one float changed in its {@code model.safetensors}.
 */
public final class HostileModels {
    /** Finite, but the sum of two of them is +∞ in float32. */
    public static final float HUGE = 3e38f;
    private static final String WORDS = "embeddings.word_embeddings.weight";

    private HostileModels() {
    }

    /** all-MiniLM-L6-v2 (the embedded model) as a Hugging Face directory at {@code dir}. */
    public static Path miniLmDirectory(Path dir) throws IOException {
        try (BertCheckpoint minilm = Backbones.load("all-minilm-l6-v2")) {
            HfBertDirectory.write(minilm, dir);
        }
        return dir;
    }

    /**
     * Makes the embedding of {@code word} (a whole word in the vocabulary) two finite floats that sum to +∞: the
     * weights still load (every value is finite), but the embedding LayerNorm of any text holding the word is NaN,
     * and only of those texts.
     */
    public static void overflowOn(Path hfDir, String word) throws IOException {
        long row = tokenId(hfDir, word);
        int hidden = JsonMapper.builder().build().readTree(hfDir.resolve(HfBertDirectory.CONFIG_FILE).toFile())
                .get("hidden_size").asInt();
        Path weights = hfDir.resolve(HfBertDirectory.WEIGHTS_FILE);
        CorruptWeights.setFloat(weights, WORDS, row * hidden, HUGE);
        CorruptWeights.setFloat(weights, WORDS, row * hidden + 1, HUGE);
    }

    /** The id of {@code word} in the directory's WordPiece vocabulary. */
    public static long tokenId(Path hfDir, String word) throws IOException {
        JsonNode id = JsonMapper.builder().build().readTree(hfDir.resolve(HfBertDirectory.TOKENIZER_FILE).toFile())
                .path("model").path("vocab").get(word);
        if (id == null) {
            throw new IllegalArgumentException("'" + word + "' is not a whole word of " + hfDir + "'s vocabulary");
        }
        return id.asLong();
    }
}
