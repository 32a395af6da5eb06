package dev.graft.adapters.adapter;

import dev.graft.attention.spec.AttentionSpec;
import dev.graft.backbones.bert.BertConfig;
import dev.graft.backbones.bert.BertEncoder;
import dev.graft.backbones.bert.BertWeights;
import dev.graft.backbones.huggingface.HfTestModels;
import dev.graft.backbones.sites.SiteHooks;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.util.List;
import java.util.Random;

/**
 * A tiny random BERT (HfTestModels.TINY: hidden 16, 2 layers, 4 heads, intermediate 32) with its projections
 * pre-packed like a real backbone's, and a padded batch of two sequences. Closes its arena and kernels.
 */
final class TinyModel implements AutoCloseable {
    final TensorArena arena = TensorArena.root("tiny-model");
    final Kernels kernels;
    final BertWeights weights;
    final BertEncoder encoder;
    final TokenBatch batch;

    TinyModel(BertConfig config, long seed) {
        this(config, seed, Kernels.create(1));
    }

    /** On the given kernels (closed with the model). */
    TinyModel(BertConfig config, long seed, Kernels kernels) {
        this.kernels = kernels;
        weights = HfTestModels.randomWeights(arena, config, seed % 2 == 0, seed);
        encoder = new BertEncoder(weights, kernels, AttentionSpec.dense().kernels(kernels, config.numLayers()),
                arena.child("packed"));
        batch = batch(arena, config, seed);
    }

    TinyModel() {
        this(HfTestModels.TINY, 7);
    }

    /** Two sequences of 7 tokens, the second with 3 padding positions; token types 0 and 1. */
    static TokenBatch batch(TensorArena arena, BertConfig c, long seed) {
        Random r = new Random(seed);
        int tokens = 7;
        int[] ids = new int[2 * tokens];
        int[] mask = new int[2 * tokens];
        int[] types = new int[2 * tokens];
        int[] lengths = {7, 4};
        for (int b = 0; b < 2; b++) {
            for (int t = 0; t < tokens; t++) {
                ids[b * tokens + t] = t < lengths[b] ? 2 + r.nextInt(c.vocabSize() - 2) : 0;
                mask[b * tokens + t] = t < lengths[b] ? 1 : 0;
                types[b * tokens + t] = t >= 4 && t < lengths[b] ? 1 : 0;
            }
        }
        return new TokenBatch(arena.copyOf(ids, 2, tokens), arena.copyOf(mask, 2, tokens), arena.copyOf(types, 2, tokens),
                lengths);
    }

    /** Every stage's hidden states (embeddings, layer 0, …), concatenated, as floats. */
    float[] encode(SiteHooks hooks) {
        try (TensorArena out = arena.child("out")) {
            List<Tensor> layers = encoder.encode(batch, out, true, hooks).layers();
            int n = (int) layers.getFirst().elementCount();
            float[] all = new float[n * layers.size()];
            for (int i = 0; i < layers.size(); i++) {
                System.arraycopy(layers.get(i).toFloatArray(), 0, all, i * n, n);
            }
            return all;
        }
    }

    /** The last layer's hidden states with {@code adapters}. */
    float[] lastHidden(Adapters adapters) {
        try (TensorArena out = arena.child("out")) {
            return encoder.encode(batch, out, false, adapters.hooks()).lastHidden().toFloatArray();
        }
    }

    @Override
    public void close() {
        kernels.close();
        arena.close();
    }
}
