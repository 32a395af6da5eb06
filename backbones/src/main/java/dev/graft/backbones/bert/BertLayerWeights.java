package dev.graft.backbones.bert;

/**
 * The weights of one post-LayerNorm transformer layer (H = hidden, I = intermediate).
 *
 * @param query           H → H  ({@code encoder.layer.N.attention.self.query})
 * @param key             H → H  ({@code ….attention.self.key})
 * @param value           H → H  ({@code ….attention.self.value})
 * @param attentionOutput H → H  ({@code ….attention.output.dense})
 * @param attentionNorm   [H]    ({@code ….attention.output.LayerNorm})
 * @param intermediate    H → I  ({@code ….intermediate.dense}), followed by GELU
 * @param output          I → H  ({@code ….output.dense})
 * @param outputNorm      [H]    ({@code ….output.LayerNorm})
 */
public record BertLayerWeights(Linear query, Linear key, Linear value, Linear attentionOutput,
                               LayerNormWeights attentionNorm, Linear intermediate, Linear output,
                               LayerNormWeights outputNorm) {

    /** Checks every shape against the config, naming the first tensor that does not fit. */
    void validate(BertConfig c) {
        int h = c.hiddenSize();
        int i = c.intermediateSize();
        check(query, h, h);
        check(key, h, h);
        check(value, h, h);
        check(attentionOutput, h, h);
        check(intermediate, h, i);
        check(output, i, h);
        check(attentionNorm, h);
        check(outputNorm, h);
    }

    static void check(Linear l, int in, int out) {
        if (l.in() != in || l.out() != out) {
            throw new IllegalArgumentException(l.name() + ".weight is " + l.weight().describe() + (l.outIn() ? " [out, in]" : " [in, out]")
                    + " but the config needs " + in + " → " + out);
        }
    }

    static void check(LayerNormWeights n, int width) {
        if (n.width() != width) {
            throw new IllegalArgumentException(n.name() + ".weight is " + n.gamma().describe() + " but hidden_size is " + width);
        }
    }
}
