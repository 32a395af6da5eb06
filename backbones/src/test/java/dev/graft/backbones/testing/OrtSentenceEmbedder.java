package dev.graft.backbones.testing;

import dev.graft.backbones.eval.SentenceEmbedder;
import dev.graft.backbones.tokenizer.BertTokenizer;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.tensor.TensorArena;
import java.util.List;

/**
 * Sentence embeddings from the ONNX Runtime reference: tokenise with {@link BertTokenizer}, run
 * {@link OrtReference}, mean-pool {@code last_hidden_state} over the real (mask 1) tokens — the sentence-transformers
 * recipe for all-MiniLM-L6-v2 and e5, and one of the two for bge. No normalisation (cosine does not need it).
 */
public final class OrtSentenceEmbedder implements SentenceEmbedder {
    private final BertTokenizer tokenizer;
    private final OrtReference model;
    private final String prefix;

    /** @param prefix prepended to every sentence (e5 expects {@code "query: "}), or {@code ""} */
    public OrtSentenceEmbedder(BertTokenizer tokenizer, OrtReference model, String prefix) {
        this.tokenizer = tokenizer;
        this.model = model;
        this.prefix = prefix;
    }

    @Override
    public float[][] embed(List<String> sentences) {
        List<String> inputs = prefix.isEmpty() ? sentences : sentences.stream().map(s -> prefix + s).toList();
        try (TensorArena arena = TensorArena.root("ort-embed")) {
            TokenBatch batch = tokenizer.encode(inputs, arena);
            return meanPool(model.lastHiddenState(batch), batch.lengths());
        }
    }

    /** Mean over the first {@code lengths[i]} tokens of each sequence (padding is on the right). */
    public static float[][] meanPool(float[][][] hidden, int[] lengths) {
        float[][] out = new float[hidden.length][];
        for (int i = 0; i < hidden.length; i++) {
            int width = hidden[i][0].length;
            double[] sum = new double[width];
            for (int t = 0; t < lengths[i]; t++) {
                for (int h = 0; h < width; h++) {
                    sum[h] += hidden[i][t][h];
                }
            }
            out[i] = new float[width];
            for (int h = 0; h < width; h++) {
                out[i][h] = (float) (sum[h] / lengths[i]);
            }
        }
        return out;
    }
}
