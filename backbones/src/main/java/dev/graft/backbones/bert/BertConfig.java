package dev.graft.backbones.bert;

/**
 * The hyper-parameters of a BERT-family encoder, as in a Hugging Face {@code config.json}.
 *
 * @param vocabSize            rows of the word embedding table (30,522 for the uncased English models)
 * @param hiddenSize           width of every hidden state (384 for MiniLM/bge-small/e5-small)
 * @param numLayers            transformer layers
 * @param numHeads             attention heads per layer; {@code hiddenSize % numHeads == 0}
 * @param intermediateSize     feed-forward inner width (4 × hidden)
 * @param maxPositions         rows of the position table: the longest input the model accepts
 * @param typeVocabSize        token-type (segment) ids
 * @param layerNormEps         epsilon of every LayerNorm
 */
public record BertConfig(int vocabSize, int hiddenSize, int numLayers, int numHeads, int intermediateSize,
                         int maxPositions, int typeVocabSize, float layerNormEps) {

    /**
     * The largest LayerNorm epsilon accepted. BERT-family models use 1e-12 to 1e-5 (ONNX's default); an epsilon
     * near the variance of a hidden state (order 1) would stop LayerNorm from normalising at all, and a huge one (a
     * {@code 1e300} that becomes +∞ as a float) turns every output into NaN.
     */
    public static final float MAX_LAYER_NORM_EPS = 1e-2f;

    public BertConfig {
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("num_hidden_layers", numLayers);
        positive("num_attention_heads", numHeads);
        positive("intermediate_size", intermediateSize);
        positive("max_position_embeddings", maxPositions);
        positive("type_vocab_size", typeVocabSize);
        if (hiddenSize % numHeads != 0) {
            throw new IllegalArgumentException("hidden_size " + hiddenSize + " is not a multiple of num_attention_heads " + numHeads);
        }
        if (!(layerNormEps >= Float.MIN_NORMAL && layerNormEps <= MAX_LAYER_NORM_EPS)) {
            throw new IllegalArgumentException("layer_norm_eps must be a finite number in [" + Float.MIN_NORMAL + ", "
                    + MAX_LAYER_NORM_EPS + "] (BERT models use 1e-12 to 1e-5), was " + layerNormEps);
        }
    }

    /** Width of one attention head. */
    public int headSize() {
        return hiddenSize / numHeads;
    }

    private static void positive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " must be > 0, was " + value);
        }
    }
}
