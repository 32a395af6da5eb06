package dev.graft.adapters.live;

import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.lora.LoraConfig;
import dev.graft.adapters.nn.Parameter;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.bert.EncoderOutput;
import dev.graft.backbones.sites.SiteHooks;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.tensor.TensorArena;
import java.util.Random;

/** LoRA r=8 on query and value with every parameter random (B too), so that versions give different outputs. */
final class RandomLoras {
    private RandomLoras() {
    }

    static Lora lora(BertBackbone backbone, long seed) {
        Lora l = Lora.create(LoraConfig.of(8, 16, SiteKind.QUERY, SiteKind.VALUE), backbone.encoder().sites(), seed);
        Random r = new Random(seed);
        for (Parameter p : l.parameters()) {
            float[] v = new float[p.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (r.nextGaussian() * 0.05);
            }
            p.load(v);
        }
        return l;
    }

    /** The last hidden states of {@code batch} with {@code hooks}, as floats. */
    static float[] lastHidden(BertBackbone backbone, TokenBatch batch, SiteHooks hooks, TensorArena arena) {
        try (TensorArena out = arena.child("out")) {
            EncoderOutput o = backbone.encode(batch, out, false, hooks);
            return o.lastHidden().toFloatArray();
        }
    }

    static float maxAbsDiff(float[] a, float[] b, int from, int to) {
        float m = 0;
        for (int i = from; i < to; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
