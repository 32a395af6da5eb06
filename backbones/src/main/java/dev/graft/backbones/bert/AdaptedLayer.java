package dev.graft.backbones.bert;

import dev.graft.backbones.sites.Site;
import dev.graft.backbones.sites.SiteHook;
import dev.graft.backbones.sites.SiteHooks;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.backbones.sites.SiteShape;
import dev.graft.core.kernels.Activation;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * One encoder layer with adapter hooks: the same steps, kernels and buffers as the plain layer in
 * {@link BertEncoder#encode}, plus one hook point per {@link SiteKind}. Kept apart from the plain loop so that the
 * backbone's hot path stays as it is, and written so that a hook whose contribution is zero (LoRA B = 0, bottleneck
 * up-projection = 0, (IA)³ = 1) gives bit-identical outputs: every adapter term is added to a value the plain path
 * computes in exactly the same way, never folded into the fused GEMMs.
 *
 * <p>Bottleneck placement (Houlsby et al. 2019, and Pfeiffer's single adapter after the feed-forward): the adapter
 * reads the block's output {@code h} (the attention output projection, resp. the feed-forward down projection)
 * and the layer computes {@code LayerNorm(x + h + f(h))}: the adapter's residual is h, and its output enters before
 * the block's own residual and LayerNorm. Because the plain path fuses {@code x + h} into one GEMM, h is computed
 * once more into a scratch buffer at a residual site (one extra projection GEMM per bottleneck site).
 */
final class AdaptedLayer {
    private AdaptedLayer() {
    }

    static List<SiteShape> sites(BertConfig c) {
        int h = c.hiddenSize();
        int i = c.intermediateSize();
        List<SiteShape> all = new ArrayList<>();
        for (int layer = 0; layer < c.numLayers(); layer++) {
            for (SiteKind k : SiteKind.values()) {
                int in = switch (k) {
                    case OUTPUT, INTERMEDIATE_SCALE -> i;
                    default -> h;
                };
                int out = switch (k) {
                    case INTERMEDIATE, INTERMEDIATE_SCALE -> i;
                    default -> h;
                };
                all.add(new SiteShape(new Site(layer, k), in, out));
            }
        }
        return List.copyOf(all);
    }

    /** Layer {@code layer} over the running state x [n, H], with the encoder's buffers qkv [n, 3H], ctx, ffn. */
    static void run(BertEncoder enc, int layer, BertLayerWeights l, SiteHooks hooks, int n, MemorySegment x,
                    MemorySegment qkv, MemorySegment ctx, MemorySegment ffn, TensorArena work,
                    int bSize, int tokens, MemorySegment mask) {
        BertConfig c = enc.config();
        Kernels k = enc.kernels();
        int hidden = c.hiddenSize();
        int ldQkv = 3 * hidden;
        SiteHook.Projection q = hooks.projection(layer, SiteKind.QUERY);
        SiteHook.Projection kh = hooks.projection(layer, SiteKind.KEY);
        SiteHook.Projection v = hooks.projection(layer, SiteKind.VALUE);
        try (TensorArena scratch = work.child("adapters")) {
            // q, k, v = x·W + b (+ LoRA deltas)                                       [n, 3H]
            if (enc.packedQkv(layer) != null && merged(q) == null && merged(kh) == null && merged(v) == null) {
                k.gemm(n, x, 0, hidden, enc.packedQkv(layer), enc.qkvBias(layer).segment(), 0, Activation.NONE, false,
                        qkv, 0, ldQkv);
            } else {
                project(enc, l.query(), q, x, n, qkv, 0, ldQkv, Activation.NONE, false);
                project(enc, l.key(), kh, x, n, qkv, hidden, ldQkv, Activation.NONE, false);
                project(enc, l.value(), v, x, n, qkv, 2L * hidden, ldQkv, Activation.NONE, false);
            }
            delta(k, q, x, hidden, n, qkv, 0, ldQkv, scratch);
            delta(k, kh, x, hidden, n, qkv, hidden, ldQkv, scratch);
            delta(k, v, x, hidden, n, qkv, 2L * hidden, ldQkv, scratch);
            // (IA)³: k ⊙ l_k, v ⊙ l_v
            scale(hooks.scale(layer, SiteKind.KEY_SCALE), n, qkv, hidden, ldQkv);
            scale(hooks.scale(layer, SiteKind.VALUE_SCALE), n, qkv, 2L * hidden, ldQkv);
            // ctx = softmax(q·kᵀ / √d, padding mask) · v                               [n, H]
            int d = c.headSize();
            enc.attention().get(layer).attend(bSize, tokens, c.numHeads(), d, (float) (1.0 / Math.sqrt(d)), qkv, 0, qkv,
                    hidden, qkv, 2L * hidden, ldQkv, mask, 0, ctx, 0, hidden);
            scale(hooks.scale(layer, SiteKind.CONTEXT_SCALE), n, ctx, 0, hidden);
            // x = LayerNorm(x + h + f(h)), h = ctx·Wo + bo (+ LoRA)                     [n, H]
            block(enc, l.attentionOutput(), hooks.projection(layer, SiteKind.ATTENTION_OUTPUT),
                    hooks.residual(layer, SiteKind.AFTER_ATTENTION), ctx, n, x, scratch);
            enc.layerNorm(l.attentionNorm(), x, n);
            // ffn = GELU(x·Wi + bi (+ LoRA)) ⊙ l_ff                                      [n, I]
            SiteHook.Projection in = hooks.projection(layer, SiteKind.INTERMEDIATE);
            int inter = c.intermediateSize();
            if (in == null) {
                enc.linear(l.intermediate(), x, n, ffn, 0, inter, Activation.GELU, false);
            } else {
                project(enc, l.intermediate(), in, x, n, ffn, 0, inter, Activation.NONE, false);
                delta(k, in, x, hidden, n, ffn, 0, inter, scratch);
                k.gelu((long) n * inter, ffn, 0, ffn, 0);
            }
            scale(hooks.scale(layer, SiteKind.INTERMEDIATE_SCALE), n, ffn, 0, inter);
            // x = LayerNorm(x + h + f(h)), h = ffn·Wout + bout (+ LoRA)                 [n, H]
            block(enc, l.output(), hooks.projection(layer, SiteKind.OUTPUT), hooks.residual(layer, SiteKind.AFTER_FFN),
                    ffn, n, x, scratch);
            enc.layerNorm(l.outputNorm(), x, n);
        }
    }

    /**
     * x += h + f(h) with h = in·W + b + delta(in): the adapter term first (into x), then the plain fused
     * {@code x += in·W + b}, then the projection's delta — so zero terms leave x's bits as the plain path has them.
     */
    private static void block(BertEncoder enc, Linear lin, SiteHook.Projection p, SiteHook.Residual r,
                              MemorySegment in, int n, MemorySegment x, TensorArena scratch) {
        Kernels k = enc.kernels();
        int hidden = lin.out();
        if (r != null) {
            MemorySegment h = scratch.allocateUninitialized(DType.F32, n, hidden).segment();
            project(enc, lin, p, in, n, h, 0, hidden, Activation.NONE, false);
            delta(k, p, in, lin.in(), n, h, 0, hidden, scratch);
            r.addAdapted(k, n, h, 0, hidden, x, 0, hidden, scratch);
        }
        project(enc, lin, p, in, n, x, 0, hidden, Activation.NONE, true);
        delta(k, p, in, lin.in(), n, x, 0, hidden, scratch);
    }

    /** out = act(in·W + b) (+ out), with W the hook's merged copy when it has one. */
    private static void project(BertEncoder enc, Linear lin, SiteHook.Projection p, MemorySegment in, int n,
                                MemorySegment out, long outOff, int ldOut, Activation act, boolean accumulate) {
        Tensor m = merged(p);
        if (m == null) {
            enc.linear(lin, in, n, out, outOff, ldOut, act, accumulate);
        } else {
            Tensor bias = p.mergedBias() != null ? p.mergedBias() : lin.bias();
            enc.kernels().gemm(n, lin.out(), lin.in(), in, 0, lin.in(), m.segment(), 0, lin.in(), true,
                    bias.segment(), 0, act, accumulate, out, outOff, ldOut);
        }
    }

    private static Tensor merged(SiteHook.Projection p) {
        return p == null ? null : p.mergedWeight();
    }

    private static void delta(Kernels k, SiteHook.Projection p, MemorySegment in, int ldIn, int n, MemorySegment out,
                              long outOff, int ldOut, TensorArena scratch) {
        if (p != null) {
            p.addDelta(k, n, in, 0, ldIn, out, outOff, ldOut, scratch);
        }
    }

    private static void scale(SiteHook.Scale s, int n, MemorySegment y, long off, int ld) {
        if (s != null) {
            s.scale(n, y, off, ld);
        }
    }
}
