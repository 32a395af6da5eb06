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
        if (!(layerNormEps > 0)) {
            throw new IllegalArgumentException("layer_norm_eps must be > 0, was " + layerNormEps);
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
