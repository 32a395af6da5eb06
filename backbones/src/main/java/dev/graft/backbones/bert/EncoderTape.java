package dev.graft.backbones.bert;

import dev.graft.backbones.sites.SiteHook;
import dev.graft.backbones.sites.SiteHooks;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.kernels.Activation;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.kernels.ScalarBackward;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A training forward pass through the frozen encoder that keeps what its backward pass needs, and that backward
 * pass. Gradients flow to activations and, through the {@link SiteHook}s' {@code backward}, to adapter
 * parameters; the backbone's weights are only read and get none.
 *
 * <p>Only the layers at and above the lowest layer with a hook are recorded (layers below run as plain
 * inference, as no gradient is wanted there), and the backward stops at that layer's input. Per recorded layer
 * the tape holds, for n = B·T rows: the layer input, q|k|v, the attention probabilities [B, heads, T, T], the
 * context, both blocks' outputs and LayerNorm inputs, the feed-forward pre-activation and activation — about
 * {@code n·(12H + 2I) + B·heads·T²} floats (≈ 39 MB per MiniLM layer for 32 × 40 tokens).
 *
 * <p>The layer is the one of {@link AdaptedLayer}, written for training rather than speed: every block output is
 * its own buffer, attention is dense (softmax · V with the padding mask, computed here; an encoder whose recorded
 * layers use another attention kernel than dense is refused, since inference would not compute what was trained),
 * and Hugging Face's BERT dropouts apply when {@link Options} asks for them — hidden dropout on each block's output
 * before the residual (the bottleneck adapter reads the dropped-out output, as AdapterHub's does) and
 * attention-probability dropout. Dropout masks are a function of (seed, site, element) ({@link Kernels#dropout}),
 * so the backward regenerates them. Outputs agree with {@link BertEncoder#encode} to float rounding when dropout
 * is off.
 *
 * <p>Not thread-safe: one tape per training step, on one thread (the kernels parallelise inside).
 */
public final class EncoderTape implements AutoCloseable {

    /**
     * Dropout of a training pass: BERT's {@code hidden_dropout_prob} and {@code attention_probs_dropout_prob}
     * (both 0.1 in BERT's and MiniLM's configs; 0 turns them off), and the step's seed.
     */
    public record Options(float hiddenDropout, float attentionDropout, long seed) {
        public static final Options NO_DROPOUT = new Options(0f, 0f, 0L);

        public Options {
            ScalarBackward.threshold(hiddenDropout);
            ScalarBackward.threshold(attentionDropout);
        }

        public Options withSeed(long s) {
            return new Options(hiddenDropout, attentionDropout, s);
        }
    }

    private final BertEncoder enc;
    private final BertConfig c;
    private final Kernels k;
    private final TokenBatch batch;
    private final SiteHooks hooks;
    private final Options options;
    private final TensorArena arena;
    private final int first;
    private final Layer[] layers;
    private final Tensor[] stages;
    private final MemorySegment[] stageGrads;
    private final boolean keepAllStages;
    private boolean backwardDone;

    /** What one recorded layer keeps (segments of [n, width] unless noted). */
    private static final class Layer {
        Tensor x0;            // input
        MemorySegment qkv;    // [n, 3H] q | k | v after LoRA deltas and (IA)³ scales
        MemorySegment qkvPre; // [n, 3H] before the (IA)³ scales, or null
        MemorySegment probs;  // [B, heads, T, T] attention probabilities (before attention dropout)
        MemorySegment ctx;    // context after its (IA)³ scale: the input of the attention output projection
        MemorySegment ctxPre; // before that scale, or null
        MemorySegment h1;     // attention block output after hidden dropout: what the AFTER_ATTENTION adapter reads
        MemorySegment u1;     // x0 + h1 + f(h1): the first LayerNorm's input
        Tensor x1;            // first LayerNorm's output
        MemorySegment g;      // [n, I] intermediate pre-activation
        MemorySegment ffnPre; // [n, I] GELU(g) before its (IA)³ scale, or null
        MemorySegment ffn;    // [n, I] input of the output projection
        MemorySegment h2;     // feed-forward block output after hidden dropout
        MemorySegment u2;     // second LayerNorm's input
        Tensor x2;            // output
    }

    private EncoderTape(BertEncoder enc, TokenBatch batch, SiteHooks hooks, Options options, TensorArena arena,
                        int first, boolean keepAllStages) {
        this.enc = enc;
        this.c = enc.config();
        this.k = enc.kernels();
        this.batch = batch;
        this.hooks = hooks;
        this.options = options;
        this.arena = arena;
        this.first = first;
        this.layers = new Layer[c.numLayers() - first];
        this.stages = new Tensor[c.numLayers() + 1];
        this.stageGrads = new MemorySegment[c.numLayers() + 1];
        this.keepAllStages = keepAllStages;
    }

    /**
     * Runs the training forward pass of {@code batch} with {@code hooks} (training hooks: their
     * {@code backward} must be implemented), recording in a child of {@code parent} that {@link #close()}
     * releases.
     *
     * @param keepAllStages keep every stage's hidden states (0 = embeddings … numLayers = last), not only the last
     * @throws IllegalArgumentException when a hook sits at a layer the encoder does not have
     */
    public static EncoderTape forward(BertEncoder encoder, TokenBatch batch, SiteHooks hooks, Options options,
                                      boolean keepAllStages, TensorArena parent) {
        Objects.requireNonNull(options, "options");
        BertConfig c = encoder.config();
        if (hooks.layerBound() > c.numLayers()) {
            throw new IllegalArgumentException("adapter hooks reach layer " + (hooks.layerBound() - 1)
                    + " but the encoder has " + c.numLayers() + " layers");
        }
        int first = lowestHookedLayer(hooks, c.numLayers());
        for (int layer = first; layer < c.numLayers(); layer++) {
            if (!(encoder.attention().get(layer) instanceof dev.graft.attention.dense.DenseAttention)) {
                throw new IllegalArgumentException("training runs dense attention, but layer " + layer + " of this"
                        + " encoder uses " + encoder.attention().get(layer).name() + ": its outputs would not be the"
                        + " ones trained for; train on a backbone with dense attention in the adapted layers");
            }
        }
        TensorArena arena = parent.child("encoder-tape");
        try {
            EncoderTape tape = new EncoderTape(encoder, batch, hooks, options, arena, first, keepAllStages);
            tape.runForward();
            return tape;
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** The lowest layer with a hook ({@code layers} when there is none). */
    public static int lowestHookedLayer(SiteHooks hooks, int layers) {
        for (int l = 0; l < Math.min(layers, hooks.layerBound()); l++) {
            for (SiteKind kind : SiteKind.values()) {
                if (hooks.at(l, kind) != null) {
                    return l;
                }
            }
        }
        return layers;
    }

    /** The first recorded layer: the backward stops at its input. */
    public int firstRecordedLayer() {
        return first;
    }

    /** The forward's output: the last hidden state, and every stage when the tape keeps them. */
    public EncoderOutput output() {
        Tensor last = stages[c.numLayers()];
        if (!keepAllStages) {
            return new EncoderOutput(last, List.of());
        }
        List<Tensor> all = new ArrayList<>();
        for (Tensor t : stages) {
            all.add(t);
        }
        return new EncoderOutput(last, all);
    }

    /**
     * The gradient buffer [B·T, H] of stage {@code stage}'s hidden states (zeroed on first request): add the
     * loss's gradient with respect to that stage into it before {@link #backward()}. Stages below
     * {@link #firstRecordedLayer()} have no effect (nothing trainable lies under them).
     */
    public MemorySegment stageGradient(int stage) {
        Objects.checkIndex(stage, stageGrads.length);
        if (stageGrads[stage] == null) {
            stageGrads[stage] = arena.allocate(DType.F32, rows(), c.hiddenSize()).segment();
        }
        return stageGrads[stage];
    }

    private int rows() {
        return batch.batchSize() * batch.tokens();
    }

    // ------------------------------------------------------------------------------------------------- forward

    private void runForward() {
        int numLayers = c.numLayers();
        Tensor x = arena.allocateUninitialized(DType.F32, batch.batchSize(), batch.tokens(), c.hiddenSize());
        List<Tensor> below = keepAllStages ? new ArrayList<>() : null;
        enc.run(batch, first, SiteHooks.NONE, x, below, arena);
        if (below != null) {
            for (int s = 0; s < below.size(); s++) {
                stages[s] = below.get(s);
            }
        }
        stages[first] = x;
        try (TensorArena scratch = arena.child("forward-scratch")) {
            for (int layer = first; layer < numLayers; layer++) {
                Layer t = new Layer();
                t.x0 = x;
                layers[layer - first] = t;
                forwardLayer(layer, t, scratch);
                x = t.x2;
                stages[layer + 1] = x;
            }
        }
    }

    private void forwardLayer(int layer, Layer t, TensorArena scratchParent) {
        BertLayerWeights l = enc.weights().layers().get(layer);
        int n = rows();
        int hidden = c.hiddenSize();
        int inter = c.intermediateSize();
        int ldQkv = 3 * hidden;
        MemorySegment x0 = t.x0.segment();
        try (TensorArena scratch = scratchParent.child("layer")) {
            // q, k, v = x·W + b (+ LoRA deltas), then (IA)³ scales of k and v
            t.qkv = f32(n, ldQkv);
            if (enc.packedQkv(layer) != null) {
                k.gemm(n, x0, 0, hidden, enc.packedQkv(layer), enc.qkvBias(layer).segment(), 0, Activation.NONE, false,
                        t.qkv, 0, ldQkv);
            } else {
                enc.linear(l.query(), x0, n, t.qkv, 0, ldQkv, Activation.NONE, false);
                enc.linear(l.key(), x0, n, t.qkv, hidden, ldQkv, Activation.NONE, false);
                enc.linear(l.value(), x0, n, t.qkv, 2L * hidden, ldQkv, Activation.NONE, false);
            }
            SiteKind[] projections = {SiteKind.QUERY, SiteKind.KEY, SiteKind.VALUE};
            for (int j = 0; j < 3; j++) {
                SiteHook.Projection p = hooks.projection(layer, projections[j]);
                if (p != null) {
                    p.addDelta(k, n, x0, 0, hidden, t.qkv, (long) j * hidden, ldQkv, scratch);
                }
            }
            SiteHook.Scale ks = hooks.scale(layer, SiteKind.KEY_SCALE);
            SiteHook.Scale vs = hooks.scale(layer, SiteKind.VALUE_SCALE);
            if (ks != null || vs != null) {
                t.qkvPre = f32(n, ldQkv);
                MemorySegment.copy(t.qkv, 0, t.qkvPre, 0, t.qkv.byteSize());
                if (ks != null) {
                    ks.scale(n, t.qkv, hidden, ldQkv);
                }
                if (vs != null) {
                    vs.scale(n, t.qkv, 2L * hidden, ldQkv);
                }
            }
            // ctx = dropout(softmax(q·kᵀ/√d, mask)) · v, then its (IA)³ scale
            t.ctx = f32(n, hidden);
            t.probs = f32((long) batch.batchSize() * c.numHeads() * batch.tokens(), batch.tokens());
            attentionForward(layer, t, scratch);
            t.ctxPre = scaleKeepingInput(hooks.scale(layer, SiteKind.CONTEXT_SCALE), t.ctx, hidden);
            // h1 = dropout(ctx·Wo + bo (+ LoRA)); u1 = x0 + h1 + f(h1); x1 = LayerNorm(u1)
            t.h1 = f32(n, hidden);
            t.u1 = f32(n, hidden);
            t.x1 = block(layer, l.attentionOutput(), SiteKind.ATTENTION_OUTPUT, SiteKind.AFTER_ATTENTION, 1,
                    l.attentionNorm(), t.ctx, x0, t.h1, t.u1, scratch);
            // ffn = GELU(x1·Wi + bi (+ LoRA)) ⊙ l_ff
            t.g = f32(n, inter);
            project(layer, l.intermediate(), SiteKind.INTERMEDIATE, t.x1.segment(), t.g, Activation.NONE, scratch);
            t.ffn = f32(n, inter);
            k.gelu((long) n * inter, t.g, 0, t.ffn, 0);
            t.ffnPre = scaleKeepingInput(hooks.scale(layer, SiteKind.INTERMEDIATE_SCALE), t.ffn, inter);
            // h2 = dropout(ffn·Wout + bout (+ LoRA)); u2 = x1 + h2 + f(h2); x2 = LayerNorm(u2)
            t.h2 = f32(n, hidden);
            t.u2 = f32(n, hidden);
            t.x2 = block(layer, l.output(), SiteKind.OUTPUT, SiteKind.AFTER_FFN, 2, l.outputNorm(), t.ffn,
                    t.x1.segment(), t.h2, t.u2, scratch);
        }
    }

    /**
     * A block's output: h = dropout(in·W + b + delta(in)), u = x + h + f(h), returned as LayerNorm(u) (new, in the
     * tape's arena); h and u are kept for the backward.
     */
    private Tensor block(int layer, Linear lin, SiteKind projection, SiteKind residualSite, int which,
                         LayerNormWeights norm, MemorySegment in, MemorySegment x, MemorySegment h, MemorySegment u,
                         TensorArena scratch) {
        project(layer, lin, projection, in, h, Activation.NONE, scratch);
        dropout(h, (long) rows() * lin.out(), options.hiddenDropout(), siteSeed(layer, which));
        residual(layer, residualSite, x, h, u, scratch);
        Tensor out = arena.allocateUninitialized(DType.F32, batch.batchSize(), batch.tokens(), lin.out());
        layerNorm(norm, u, out.segment());
        return out;
    }

    /** Applies the (IA)³ scale s (if any) to y [n, width] in place, returning a copy of y from before, or null. */
    private MemorySegment scaleKeepingInput(SiteHook.Scale s, MemorySegment y, int width) {
        if (s == null) {
            return null;
        }
        MemorySegment before = f32(rows(), width);
        MemorySegment.copy(y, 0, before, 0, before.byteSize());
        s.scale(rows(), y, 0, width);
        return before;
    }

    /** out = in·W + b (+ the LoRA delta at kind). */
    private void project(int layer, Linear lin, SiteKind kind, MemorySegment in, MemorySegment out, Activation act,
                         TensorArena scratch) {
        enc.linear(lin, in, rows(), out, 0, lin.out(), act, false);
        SiteHook.Projection p = hooks.projection(layer, kind);
        if (p != null) {
            p.addDelta(k, rows(), in, 0, lin.in(), out, 0, lin.out(), scratch);
        }
    }

    /** u = x + h (+ f(h) from the residual hook at kind). */
    private void residual(int layer, SiteKind kind, MemorySegment x, MemorySegment h, MemorySegment u,
                          TensorArena scratch) {
        int hidden = c.hiddenSize();
        k.add((long) rows() * hidden, x, 0, h, 0, u, 0);
        SiteHook.Residual r = hooks.residual(layer, kind);
        if (r != null) {
            r.addAdapted(k, rows(), h, 0, hidden, u, 0, hidden, scratch);
        }
    }

    private void layerNorm(LayerNormWeights norm, MemorySegment in, MemorySegment out) {
        k.layerNorm(rows(), norm.width(), in, 0, norm.gamma().segment(), 0, norm.beta().segment(), 0,
                c.layerNormEps(), out, 0);
    }

    private void dropout(MemorySegment x, long count, float rate, long seed) {
        if (rate > 0f) {
            k.dropout(count, x, 0, rate, seed, 0, x, 0);
        }
    }

    /** The dropout seed of one site of one layer in this step. */
    private long siteSeed(int layer, int which) {
        long z = options.seed() + 0x9E3779B97F4A7C15L * (layer * 4L + which + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Per (sequence, head): probs = softmax(q·kᵀ/√d, key mask); ctx = dropout(probs) · v. */
    private void attentionForward(int layer, Layer t, TensorArena scratch) {
        int tokens = batch.tokens();
        int heads = c.numHeads();
        int d = c.headSize();
        int hidden = c.hiddenSize();
        int ldQkv = 3 * hidden;
        float scale = (float) (1.0 / Math.sqrt(d));
        float rate = options.attentionDropout();
        long seed = siteSeed(layer, 0);
        MemorySegment mask = batch.attentionMask().segment();
        long square = (long) tokens * tokens;
        MemorySegment dropped = rate > 0f ? f32(scratch, (long) k.pool().threads() * tokens, tokens) : null;
        k.pool().parallelFor(batch.batchSize() * heads, (task, worker) -> {
            int b = task / heads;
            int h = task % heads;
            long rowQkv = (long) b * tokens * ldQkv;
            long p = task * square;
            k.gemm(tokens, tokens, d, t.qkv, rowQkv + (long) h * d, ldQkv, t.qkv, rowQkv + hidden + (long) h * d, ldQkv,
                    true, null, 0, Activation.NONE, false, t.probs, p, tokens);
            k.softmax(tokens, tokens, t.probs, p, tokens, scale, mask, (long) b * tokens);
            MemorySegment weights = t.probs;
            long wOff = p;
            if (dropped != null) {
                wOff = (long) worker * square;
                k.dropout(square, t.probs, p, rate, seed, p, dropped, wOff);
                weights = dropped;
            }
            k.gemm(tokens, d, tokens, weights, wOff, tokens, t.qkv, rowQkv + 2L * hidden + (long) h * d, ldQkv, false,
                    null, 0, Activation.NONE, false, t.ctx, (long) b * tokens * hidden + (long) h * d, hidden);
        });
    }

    // ------------------------------------------------------------------------------------------------ backward

    /**
     * Back-propagates the gradients added with {@link #stageGradient} from the top recorded layer down to the
     * first one: each training hook accumulates its parameter gradients. Runs once per tape.
     */
    public void backward() {
        if (backwardDone) {
            throw new IllegalStateException("backward already ran on this tape");
        }
        backwardDone = true;
        int numLayers = c.numLayers();
        if (first == numLayers) {
            return;
        }
        int n = rows();
        int hidden = c.hiddenSize();
        try (TensorArena work = arena.child("backward")) {
            Buffers buf = new Buffers(work, n, hidden, c.intermediateSize());
            MemorySegment dx = f32(work, n, hidden);
            MemorySegment top = stageGrads[numLayers];
            if (top != null) {
                MemorySegment.copy(top, 0, dx, 0, dx.byteSize());
            } else {
                dx.fill((byte) 0);
            }
            MemorySegment dIn = f32(work, n, hidden);
            for (int layer = numLayers - 1; layer >= first; layer--) {
                try (TensorArena scratch = work.child("layer")) {
                    backwardLayer(layer, layers[layer - first], dx, dIn, layer > first, buf, scratch);
                }
                if (layer > first && stageGrads[layer] != null) {
                    k.add((long) n * hidden, dIn, 0, stageGrads[layer], 0, dIn, 0);
                }
                MemorySegment swap = dx;
                dx = dIn;
                dIn = swap;
            }
        }
    }

    /** Work buffers of the backward, shared by the layers. */
    private static final class Buffers {
        final MemorySegment du;
        final MemorySegment dx1;
        final MemorySegment dh;
        final MemorySegment dffn;
        final MemorySegment dctx;
        final MemorySegment dqkv;

        Buffers(TensorArena work, int n, int hidden, int inter) {
            du = f32(work, n, hidden);
            dx1 = f32(work, n, hidden);
            dh = f32(work, n, hidden);
            dffn = f32(work, n, inter);
            dctx = f32(work, n, hidden);
            dqkv = f32(work, n, 3L * hidden);
        }
    }

    /**
     * dx2 (the gradient of layer's output) → dx0 (of its input, written only when {@code inputGradient}); the
     * hooks' parameter gradients are accumulated on the way.
     */
    private void backwardLayer(int layer, Layer t, MemorySegment dx2, MemorySegment dx0, boolean inputGradient,
                               Buffers b, TensorArena scratch) {
        BertLayerWeights l = enc.weights().layers().get(layer);
        int n = rows();
        int hidden = c.hiddenSize();
        int inter = c.intermediateSize();
        long nh = (long) n * hidden;
        float eps = c.layerNormEps();
        // x2 = LayerNorm(u2), u2 = x1 + h2 + f(h2), h2 = dropout(ffn·Wout + bout + delta(ffn))
        k.layerNormBackward(n, hidden, t.u2, 0, l.outputNorm().gamma().segment(), 0, eps, dx2, 0, b.du, 0);
        MemorySegment.copy(b.du, 0, b.dx1, 0, nh * Float.BYTES);
        blockBackward(layer, SiteKind.AFTER_FFN, t.h2, b.du, b.dh, 2, scratch);
        backProject(l.output(), b.dh, hidden, b.dffn, inter, false);
        hookBackward(layer, SiteKind.OUTPUT, t.ffn, inter, b.dh, hidden, b.dffn, scratch);
        // ffn = GELU(g) ⊙ l_ff, g = x1·Wi + bi + delta(x1)
        scaleBackward(layer, SiteKind.INTERMEDIATE_SCALE, t.ffnPre, 0, inter, b.dffn, 0, inter, scratch);
        k.activationBackward(Activation.GELU, (long) n * inter, t.g, 0, b.dffn, 0, b.dffn, 0);
        backProject(l.intermediate(), b.dffn, inter, b.dx1, hidden, true);
        hookBackward(layer, SiteKind.INTERMEDIATE, t.x1.segment(), hidden, b.dffn, inter, b.dx1, scratch);
        // x1 = LayerNorm(u1), u1 = x0 + h1 + f(h1), h1 = dropout(ctx·Wo + bo + delta(ctx))
        k.layerNormBackward(n, hidden, t.u1, 0, l.attentionNorm().gamma().segment(), 0, eps, b.dx1, 0, b.du, 0);
        if (inputGradient) {
            MemorySegment.copy(b.du, 0, dx0, 0, nh * Float.BYTES);
        }
        blockBackward(layer, SiteKind.AFTER_ATTENTION, t.h1, b.du, b.dh, 1, scratch);
        backProject(l.attentionOutput(), b.dh, hidden, b.dctx, hidden, false);
        hookBackward(layer, SiteKind.ATTENTION_OUTPUT, t.ctx, hidden, b.dh, hidden, b.dctx, scratch);
        scaleBackward(layer, SiteKind.CONTEXT_SCALE, t.ctxPre, 0, hidden, b.dctx, 0, hidden, scratch);
        // ctx = dropout(softmax(q·kᵀ/√d)) · v
        attentionBackward(layer, t, b.dctx, b.dqkv, scratch);
        int ldQkv = 3 * hidden;
        scaleBackward(layer, SiteKind.KEY_SCALE, t.qkvPre, hidden, ldQkv, b.dqkv, hidden, ldQkv, scratch);
        scaleBackward(layer, SiteKind.VALUE_SCALE, t.qkvPre, 2L * hidden, ldQkv, b.dqkv, 2L * hidden, ldQkv, scratch);
        // q|k|v = x0·W + b + delta(x0)
        MemorySegment dIn = inputGradient ? dx0 : f32(scratch, n, hidden);
        if (!inputGradient) {
            dIn.fill((byte) 0);
        }
        SiteKind[] projections = {SiteKind.QUERY, SiteKind.KEY, SiteKind.VALUE};
        Linear[] lins = {l.query(), l.key(), l.value()};
        for (int j = 0; j < 3; j++) {
            if (inputGradient) {
                k.gemm(n, hidden, hidden, b.dqkv, (long) j * hidden, ldQkv, lins[j].weight().segment(), 0, lins[j].ld(),
                        !lins[j].outIn(), null, 0, Activation.NONE, true, dx0, 0, hidden);
            }
            SiteHook.Projection p = hooks.projection(layer, projections[j]);
            if (p != null) {
                p.backward(k, n, t.x0.segment(), 0, hidden, b.dqkv, (long) j * hidden, ldQkv, dIn, 0, hidden, scratch);
            }
        }
    }

    /**
     * From du (the gradient of u = x + h + f(h)) to dh, the gradient of the block's projection output before
     * dropout: du + (∂f/∂h)ᵀ·du, through the dropout mask.
     */
    private void blockBackward(int layer, SiteKind kind, MemorySegment h, MemorySegment du, MemorySegment dh,
                               int which, TensorArena scratch) {
        int hidden = c.hiddenSize();
        long nh = (long) rows() * hidden;
        MemorySegment.copy(du, 0, dh, 0, nh * Float.BYTES);
        SiteHook.Residual r = hooks.residual(layer, kind);
        if (r != null) {
            r.backward(k, rows(), h, 0, hidden, du, 0, hidden, dh, 0, hidden, scratch);
        }
        dropout(dh, nh, options.hiddenDropout(), siteSeed(layer, which));
    }

    /** dIn (+)= dOut · Wᵀ for a frozen projection (input gradient only). */
    private void backProject(Linear lin, MemorySegment dOut, int ldOut, MemorySegment dIn, int ldIn, boolean accumulate) {
        k.gemm(rows(), lin.in(), lin.out(), dOut, 0, ldOut, lin.weight().segment(), 0, lin.ld(), !lin.outIn(), null, 0,
                Activation.NONE, accumulate, dIn, 0, ldIn);
    }

    private void hookBackward(int layer, SiteKind kind, MemorySegment in, int ldIn, MemorySegment dOut, int ldOut,
                              MemorySegment dIn, TensorArena scratch) {
        SiteHook.Projection p = hooks.projection(layer, kind);
        if (p != null) {
            p.backward(k, rows(), in, 0, ldIn, dOut, 0, ldOut, dIn, 0, ldIn, scratch);
        }
    }

    private void scaleBackward(int layer, SiteKind kind, MemorySegment pre, long preOff, int ldPre, MemorySegment dy,
                               long dyOff, int ldy, TensorArena scratch) {
        SiteHook.Scale s = hooks.scale(layer, kind);
        if (s != null) {
            s.backward(k, rows(), pre, preOff, ldPre, dy, dyOff, ldy, scratch);
        }
    }

    /**
     * Per (sequence, head), with P the probabilities and Pd = dropout(P): dv = Pdᵀ·dctx; dPd = dctx·vᵀ; dP through
     * the dropout mask; dS = softmax backward (the 1/√d folded in); dq = dS·k; dk = dSᵀ·q — into dqkv [n, 3H].
     */
    private void attentionBackward(int layer, Layer t, MemorySegment dctx, MemorySegment dqkv, TensorArena scratch) {
        int tokens = batch.tokens();
        int heads = c.numHeads();
        int d = c.headSize();
        int hidden = c.hiddenSize();
        int ldQkv = 3 * hidden;
        float scale = (float) (1.0 / Math.sqrt(d));
        float rate = options.attentionDropout();
        long seed = siteSeed(layer, 0);
        long square = (long) tokens * tokens;
        int threads = k.pool().threads();
        MemorySegment work = f32(scratch, 2L * threads * tokens, tokens);
        k.pool().parallelFor(batch.batchSize() * heads, (task, worker) -> {
            int bIdx = task / heads;
            int h = task % heads;
            long rowQkv = (long) bIdx * tokens * ldQkv;
            long rowCtx = (long) bIdx * tokens * hidden + (long) h * d;
            long p = task * square;
            long dp = 2L * worker * square;     // dP, then dS
            long tr = dp + square;              // transposes
            // dv = Pdᵀ · dctx
            if (rate > 0f) { // Pd into dp (overwritten by dPd below), its transpose into tr
                k.dropout(square, t.probs, p, rate, seed, p, work, dp);
                k.transpose(tokens, tokens, work, dp, tokens, work, tr, tokens);
            } else {
                k.transpose(tokens, tokens, t.probs, p, tokens, work, tr, tokens);
            }
            k.gemm(tokens, d, tokens, work, tr, tokens, dctx, rowCtx, hidden, false, null, 0, Activation.NONE, false,
                    dqkv, rowQkv + 2L * hidden + (long) h * d, ldQkv);
            // dPd = dctx · vᵀ; dP = dropout mask ⊙ dPd; dS = scale · P ⊙ (dP − Σ dP⊙P)
            k.gemm(tokens, tokens, d, dctx, rowCtx, hidden, t.qkv, rowQkv + 2L * hidden + (long) h * d, ldQkv, true,
                    null, 0, Activation.NONE, false, work, dp, tokens);
            if (rate > 0f) {
                k.dropout(square, work, dp, rate, seed, p, work, dp);
            }
            k.softmaxBackward(tokens, tokens, t.probs, p, tokens, scale, work, dp, tokens);
            // dq = dS · k; dk = dSᵀ · q
            k.gemm(tokens, d, tokens, work, dp, tokens, t.qkv, rowQkv + hidden + (long) h * d, ldQkv, false, null, 0,
                    Activation.NONE, false, dqkv, rowQkv + (long) h * d, ldQkv);
            k.transpose(tokens, tokens, work, dp, tokens, work, tr, tokens);
            k.gemm(tokens, d, tokens, work, tr, tokens, t.qkv, rowQkv + (long) h * d, ldQkv, false, null, 0,
                    Activation.NONE, false, dqkv, rowQkv + hidden + (long) h * d, ldQkv);
        });
    }

    // ------------------------------------------------------------------------------------------------- helpers

    private MemorySegment f32(long rows, long cols) {
        return f32(arena, rows, cols);
    }

    private static MemorySegment f32(TensorArena arena, long rows, long cols) {
        return arena.allocateUninitialized(DType.F32, rows, cols).segment();
    }

    /** Off-heap bytes the tape holds. */
    public long allocatedBytes() {
        return arena.allocatedBytes();
    }

    @Override
    public void close() {
        arena.close();
    }
}
