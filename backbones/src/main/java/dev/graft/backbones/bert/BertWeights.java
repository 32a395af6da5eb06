package dev.graft.backbones.bert;

import dev.graft.core.tensor.Tensor;
import java.util.List;

/**
 * All weights of a BERT encoder, read-only views (V = vocab, P = max positions, T = token types, H = hidden).
 *
 * @param config              the hyper-parameters the shapes are checked against
 * @param wordEmbeddings      [V, H]  {@code embeddings.word_embeddings.weight}
 * @param positionEmbeddings  [P, H]  {@code embeddings.position_embeddings.weight}
 * @param tokenTypeEmbeddings [T, H]  {@code embeddings.token_type_embeddings.weight}
 * @param embeddingNorm       [H]     {@code embeddings.LayerNorm}
 * @param layers              one per transformer layer, bottom first
 */
public record BertWeights(BertConfig config, Tensor wordEmbeddings, Tensor positionEmbeddings,
                          Tensor tokenTypeEmbeddings, LayerNormWeights embeddingNorm, List<BertLayerWeights> layers) {

    public BertWeights {
        layers = List.copyOf(layers);
        int h = config.hiddenSize();
        table("embeddings.word_embeddings.weight", wordEmbeddings, config.vocabSize(), h);
        table("embeddings.position_embeddings.weight", positionEmbeddings, config.maxPositions(), h);
        table("embeddings.token_type_embeddings.weight", tokenTypeEmbeddings, config.typeVocabSize(), h);
        BertLayerWeights.check(embeddingNorm, h);
        if (layers.size() != config.numLayers()) {
            throw new IllegalArgumentException("the config has " + config.numLayers() + " layers but " + layers.size()
                    + " layers of weights were found");
        }
        for (BertLayerWeights l : layers) {
            l.validate(config);
        }
    }

    /** Number of parameters. */
    public long parameterCount() {
        long n = wordEmbeddings.elementCount() + positionEmbeddings.elementCount() + tokenTypeEmbeddings.elementCount()
                + 2L * embeddingNorm.width();
        for (BertLayerWeights l : layers) {
            for (Linear lin : List.of(l.query(), l.key(), l.value(), l.attentionOutput(), l.intermediate(), l.output())) {
                n += lin.weight().elementCount() + lin.bias().elementCount();
            }
            n += 2L * l.attentionNorm().width() + 2L * l.outputNorm().width();
        }
        return n;
    }

    private static void table(String name, Tensor t, int rows, int h) {
        if (t.rank() != 2 || t.size(0) != rows || t.size(1) != h) {
            throw new IllegalArgumentException(name + " is " + t.describe() + " but the config needs [" + rows + ", " + h + "]");
        }
    }
}
