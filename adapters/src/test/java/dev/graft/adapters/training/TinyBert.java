package dev.graft.adapters.training;

import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.adapter.Adapters;
import dev.graft.attention.spec.AttentionSpec;
import dev.graft.backbones.bert.BertConfig;
import dev.graft.backbones.bert.BertEncoder;
import dev.graft.backbones.bert.BertWeights;
import dev.graft.backbones.huggingface.HfTestModels;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.util.List;
import java.util.Random;

/**
 * A small random BERT (HfTestModels.randomWeights, projections pre-packed like a real backbone's) run by Graft's
 * encoder, and a padded batch of two sequences of 7 tokens (the second has 3 padding positions). Closes its arena
 * and kernels.
 */
final class TinyBert implements AutoCloseable {
    /** Hidden 24, 2 layers, 3 heads (head size 8), intermediate 48. */
    static final BertConfig CONFIG = new BertConfig(40, 24, 2, 3, 48, 16, 2, 1e-12f);
    static final int BATCH = 2;
    static final int TOKENS = 7;

    final TensorArena arena = TensorArena.root("torch-tiny-bert");
    final Kernels kernels = Kernels.create(1);
    final BertWeights weights;
    final BertEncoder encoder;
    final TokenBatch batch;

    /** Weights stored [out, in] (safetensors) when {@code outIn}, else [in, out] (ONNX). */
    TinyBert(boolean outIn, long seed) {
        weights = HfTestModels.randomWeights(arena, CONFIG, outIn, seed);
        encoder = new BertEncoder(weights, kernels, AttentionSpec.dense().kernels(kernels, CONFIG.numLayers()),
                arena.child("packed"));
        Random r = new Random(seed);
        int[] ids = new int[BATCH * TOKENS];
        int[] mask = new int[BATCH * TOKENS];
        int[] types = new int[BATCH * TOKENS];
        int[] lengths = {7, 4};
        for (int b = 0; b < BATCH; b++) {
            for (int t = 0; t < TOKENS; t++) {
                boolean token = t < lengths[b];
                ids[b * TOKENS + t] = token ? 2 + r.nextInt(CONFIG.vocabSize() - 2) : 0;
                mask[b * TOKENS + t] = token ? 1 : 0;
                types[b * TOKENS + t] = token && t >= 4 ? 1 : 0;
            }
        }
        batch = new TokenBatch(arena.copyOf(ids, BATCH, TOKENS), arena.copyOf(mask, BATCH, TOKENS),
                arena.copyOf(types, BATCH, TOKENS), lengths);
    }

    int[] mask() {
        return batch.attentionMask().toIntArray();
    }

    /** Graft's hidden states with {@code adapters} attached: [embeddings, layer 0 output, layer 1 output]. */
    float[][] hiddenStates(List<? extends Adapter> adapters) {
        try (Adapters attached = Adapters.attach(encoder, adapters, arena);
             TensorArena out = arena.child("out")) {
            List<Tensor> layers = encoder.encode(batch, out, true, attached.hooks()).layers();
            float[][] states = new float[layers.size()][];
            for (int i = 0; i < states.length; i++) {
                states[i] = layers.get(i).toFloatArray();
            }
            return states;
        }
    }

    /** Sets every parameter to random values of about {@code scale} (around 1 for scalings). */
    static void randomize(Adapter a, long seed, double scale) {
        dev.graft.adapters.testing.AdapterTesting.randomize(a, seed, scale);
    }

    @Override
    public void close() {
        kernels.close();
        arena.close();
    }
}
