package dev.graft.backbones.bert;

import dev.graft.attention.AttentionKernel;
import dev.graft.backbones.sites.SiteHooks;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.backbones.sites.SiteShape;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.kernels.Activation;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.kernels.PackedB;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The BERT encoder's forward pass over frozen weights: embeddings, then N post-LayerNorm transformer layers.
 * Immutable and thread-safe: every call works in its own child arena.
 *
 * <p>Weights: with a {@code packInto} arena the six projection matrices of every layer are copied once, at
 * construction, into the layout the GEMM streams ({@link Kernels#packB}); every forward then reads them
 * sequentially with no per-call packing — what makes batch-1 inference fast. It costs one extra copy of the matrices
 * (4 bytes per parameter: ~42.5 MB for MiniLM-L6, ~340 MB for BERT-base), owned by that arena; the mapped
 * checkpoint stays untouched. Without it the GEMM reads the weights where they are mapped.
 *
 * <p>Shapes below: B = batch, T = tokens, n = B·T rows, H = hidden, I = intermediate, d = H / heads.
 */
public final class BertEncoder {
    private final BertWeights w;
    private final BertConfig c;
    private final Kernels kernels;
    private final List<AttentionKernel> attention;
    /** Pre-packed projection weights (by identity), empty when not packed. */
    private final Map<Linear, PackedB> packed;
    /** Per layer, the query, key and value weights packed side by side as one [H, 3H] B, or null. */
    private final PackedB[] packedQkv;
    /** Per layer, the query, key and value biases side by side [3H], or null. */
    private final Tensor[] qkvBias;

    /** One attention kernel for every layer. */
    public BertEncoder(BertWeights weights, Kernels kernels, AttentionKernel attention) {
        this(weights, kernels, java.util.Collections.nCopies(weights.config().numLayers(), attention));
    }

    /** An attention kernel per layer (bottom first), e.g. windowed below, dense above. */
    public BertEncoder(BertWeights weights, Kernels kernels, List<AttentionKernel> attentionPerLayer) {
        this(weights, kernels, attentionPerLayer, null);
    }

    /**
     * An attention kernel per layer, and the projection weights pre-packed into {@code packInto} (none when null),
     * which must stay open as long as this encoder is used (a backbone closes it with itself).
     */
    public BertEncoder(BertWeights weights, Kernels kernels, List<AttentionKernel> attentionPerLayer,
                       TensorArena packInto) {
        this.w = Objects.requireNonNull(weights);
        this.c = weights.config();
        this.kernels = Objects.requireNonNull(kernels);
        this.attention = List.copyOf(attentionPerLayer);
        if (attention.size() != c.numLayers()) {
            throw new IllegalArgumentException(attention.size() + " attention kernels for " + c.numLayers() + " layers");
        }
        Map<Linear, PackedB> p = new IdentityHashMap<>();
        this.packedQkv = new PackedB[c.numLayers()];
        this.qkvBias = new Tensor[c.numLayers()];
        if (packInto != null) {
            for (int i = 0; i < c.numLayers(); i++) {
                BertLayerWeights l = weights.layers().get(i);
                packQkv(i, l, kernels, packInto);
                for (Linear lin : List.of(l.attentionOutput(), l.intermediate(), l.output())) {
                    p.put(lin, kernels.packB(lin.in(), lin.out(), lin.weight().segment(), 0, lin.ld(), lin.outIn(),
                            (bytes, align) -> packInto.allocateUninitialized(DType.I8, bytes).segment()));
                }
                if (packedQkv[i] == null) {
                    for (Linear lin : List.of(l.query(), l.key(), l.value())) {
                        p.put(lin, kernels.packB(lin.in(), lin.out(), lin.weight().segment(), 0, lin.ld(),
                                lin.outIn(), (bytes, align) -> packInto.allocateUninitialized(DType.I8, bytes).segment()));
                    }
                }
            }
        }
        this.packed = p;
    }

    /**
     * Packs layer i's query, key and value weights into one allocation, one after the other. When the packed layout
     * is column slabs and H fills whole groups of slabs (H a multiple of 4 vectors: 384 is), three [H, H] packs side
     * by side are exactly the pack of the [H, 3H] matrix [Wq | Wk | Wv], so the three projections run as one GEMM
     * (fewer calls, one pass over A, more columns to split between threads). Otherwise (e.g. the scalar kernels'
     * row-major copies) nothing is kept and the three are packed separately.
     */
    private void packQkv(int i, BertLayerWeights l, Kernels kernels, TensorArena packInto) {
        int hidden = c.hiddenSize();
        List<Linear> qkv = List.of(l.query(), l.key(), l.value());
        for (Linear lin : qkv) {
            if (lin.in() != hidden || lin.out() != hidden) {
                return;
            }
        }
        PackedB first;
        try (TensorArena tmp = packInto.child("qkv-probe")) {
            first = kernels.packB(hidden, hidden, l.query().weight().segment(), 0, l.query().ld(), l.query().outIn(),
                    (bytes, align) -> tmp.allocateUninitialized(DType.I8, bytes).segment());
            int lanes = first.lanes();
            if (lanes == 0 || hidden % (4 * lanes) != 0
                    || PackedB.floats(hidden, hidden, lanes) * 3 != PackedB.floats(hidden, 3 * hidden, lanes)) {
                return;
            }
        }
        long each = first.byteSize();
        MemorySegment all = packInto.allocateUninitialized(DType.I8, 3 * each).segment();
        for (int j = 0; j < 3; j++) {
            Linear lin = qkv.get(j);
            MemorySegment slice = all.asSlice(j * each, each);
            PackedB pb = kernels.packB(hidden, hidden, lin.weight().segment(), 0, lin.ld(), lin.outIn(),
                    (bytes, align) -> {
                        if (bytes > each) {
                            throw new IllegalStateException("packed " + lin.name() + " takes " + bytes + " bytes, not "
                                    + each);
                        }
                        return slice;
                    });
            if (pb.lanes() != first.lanes()) {
                throw new IllegalStateException("kernels packed " + lin.name() + " in another layout");
            }
        }
        Tensor bias = packInto.allocateUninitialized(DType.F32, 3L * hidden);
        for (int j = 0; j < 3; j++) {
            MemorySegment.copy(qkv.get(j).bias().segment(), 0, bias.segment(), (long) j * hidden * Float.BYTES,
                    (long) hidden * Float.BYTES);
        }
        packedQkv[i] = new PackedB(hidden, 3 * hidden, first.lanes(), all);
        qkvBias[i] = bias;
    }

    /** Whether the projection weights were pre-packed (see the class comment). */
    public boolean prepacked() {
        return !packed.isEmpty() || packedQkv.length > 0 && packedQkv[0] != null;
    }

    public BertConfig config() {
        return c;
    }

    /** The frozen weights (read-only views). */
    public BertWeights weights() {
        return w;
    }

    /** Every adapter site of this encoder with its dimensions, bottom layer first (see {@link SiteKind}). */
    public List<SiteShape> sites() {
        return AdaptedLayer.sites(c);
    }

    Kernels kernels() {
        return kernels;
    }

    PackedB packedQkv(int layer) {
        return packedQkv[layer];
    }

    Tensor qkvBias(int layer) {
        return qkvBias[layer];
    }

    public List<AttentionKernel> attention() {
        return attention;
    }

    /** {@link #encode(TokenBatch, TensorArena, boolean)} without the per-layer outputs. */
    public EncoderOutput encode(TokenBatch batch, TensorArena out) {
        return encode(batch, out, false);
    }

    /**
     * Runs the encoder. Outputs are allocated in {@code out}; scratch lives in a child arena closed before
     * returning.
     *
     * @param keepAllLayers also return every layer's output (one copy of [B, T, H] per layer)
     */
    public EncoderOutput encode(TokenBatch batch, TensorArena out, boolean keepAllLayers) {
        return encode(batch, out, keepAllLayers, SiteHooks.NONE);
    }

    /**
     * Runs the encoder with adapter hooks at their sites ({@link SiteHooks#NONE}: the plain backbone). The hooks
     * belong to the caller, not to this shared encoder: concurrent calls may pass different ones.
     *
     * @throws IllegalArgumentException when a hook sits at a layer this encoder does not have
     */
    public EncoderOutput encode(TokenBatch batch, TensorArena out, boolean keepAllLayers, SiteHooks hooks) {
        if (hooks.layerBound() > c.numLayers()) {
            throw new IllegalArgumentException("adapter hooks reach layer " + (hooks.layerBound() - 1) + " but the encoder has "
                    + c.numLayers() + " layers");
        }
        Tensor xT = out.allocateUninitialized(DType.F32, batch.batchSize(), batch.tokens(), c.hiddenSize());
        List<Tensor> kept = new ArrayList<>();
        run(batch, c.numLayers(), hooks, xT, keepAllLayers ? kept : null, out);
        if (keepAllLayers) {
            kept.add(xT);
        }
        return new EncoderOutput(xT, kept);
    }

    /**
     * Embeds {@code batch} into {@code xT} [B, T, H] and runs layers [0, toLayer) over it in place. When
     * {@code kept} is non-null, a copy (in {@code out}) of each stage below {@code toLayer} — the embeddings, then
     * each layer's output except layer {@code toLayer − 1}'s, which is xT itself — is added to it.
     */
    void run(TokenBatch batch, int toLayer, SiteHooks hooks, Tensor xT, List<Tensor> kept, TensorArena out) {
        int bSize = batch.batchSize();
        int tokens = batch.tokens();
        checkInputs(batch);
        int n = bSize * tokens;
        int hidden = c.hiddenSize();
        int inter = c.intermediateSize();
        int heads = c.numHeads();
        int d = c.headSize();
        float scale = (float) (1.0 / Math.sqrt(d));
        MemorySegment mask = batch.attentionMask().segment();
        boolean keepAllLayers = kept != null;
        try (TensorArena work = out.child("bert-forward")) {
            MemorySegment x = xT.segment();                                          // [n, H] running hidden state
            int ldQkv = 3 * hidden;
            MemorySegment qkv = work.allocateUninitialized(DType.F32, n, ldQkv).segment();     // [n, 3H]: q | k | v
            MemorySegment ctx = work.allocateUninitialized(DType.F32, n, hidden).segment();    // [n, H]
            MemorySegment ffn = work.allocateUninitialized(DType.F32, n, inter).segment();     // [n, I]

            // Embeddings: x = LayerNorm(word[id] + position[t] + tokenType[type])
            embed(batch, x);
            if (toLayer > 0) {
                keep(kept, keepAllLayers, xT, out);
            }

            for (int layer = 0; layer < toLayer; layer++) {
                BertLayerWeights l = w.layers().get(layer);
                if (layer < hooks.layerBound()) { // adapter sites: see AdaptedLayer
                    AdaptedLayer.run(this, layer, l, hooks, n, x, qkv, ctx, ffn, work, bSize, tokens, mask);
                    if (layer < toLayer - 1) {
                        keep(kept, keepAllLayers, xT, out);
                    }
                    continue;
                }
                // Self-attention projections: q, k, v = x·W + b                       [n, H] each, side by side
                if (packedQkv[layer] != null) { // one GEMM through [Wq | Wk | Wv]
                    kernels.gemm(n, x, 0, hidden, packedQkv[layer], qkvBias[layer].segment(), 0, Activation.NONE,
                            false, qkv, 0, ldQkv);
                } else {
                    linear(l.query(), x, n, qkv, 0, ldQkv, Activation.NONE, false);
                    linear(l.key(), x, n, qkv, hidden, ldQkv, Activation.NONE, false);
                    linear(l.value(), x, n, qkv, 2L * hidden, ldQkv, Activation.NONE, false);
                }
                // ctx = softmax(q·kᵀ / √d, padding mask) · v, per head                [n, H]
                attention.get(layer).attend(bSize, tokens, heads, d, scale, qkv, 0, qkv, hidden, qkv, 2L * hidden,
                        ldQkv, mask, 0, ctx, 0, hidden);
                // x = LayerNorm(x + ctx·Wo + bo)                                       [n, H]
                linear(l.attentionOutput(), ctx, n, x, Activation.NONE, true);
                layerNorm(l.attentionNorm(), x, n);
                // ffn = GELU(x·Wi + bi)                                                [n, I]
                linear(l.intermediate(), x, n, ffn, Activation.GELU, false);
                // x = LayerNorm(x + ffn·Wout + bout)                                   [n, H]
                linear(l.output(), ffn, n, x, Activation.NONE, true);
                layerNorm(l.outputNorm(), x, n);
                if (layer < toLayer - 1) {
                    keep(kept, keepAllLayers, xT, out);
                }
            }
        }
    }

    private void embed(TokenBatch batch, MemorySegment x) {
        int hidden = c.hiddenSize();
        long rowBytes = (long) hidden * Float.BYTES;
        Tensor ids = batch.inputIds();
        Tensor types = batch.tokenTypeIds();
        MemorySegment word = w.wordEmbeddings().segment();
        MemorySegment pos = w.positionEmbeddings().segment();
        MemorySegment type = w.tokenTypeEmbeddings().segment();
        int tokens = batch.tokens();
        for (int r = 0; r < batch.batchSize() * tokens; r++) {
            long dst = (long) r * hidden;
            MemorySegment.copy(word, (long) ids.getInt(r) * rowBytes, x, dst * Float.BYTES, rowBytes);
            kernels.add(hidden, x, dst, pos, (long) (r % tokens) * hidden, x, dst);
            kernels.add(hidden, x, dst, type, (long) types.getInt(r) * hidden, x, dst);
        }
        layerNorm(w.embeddingNorm(), x, batch.batchSize() * tokens);
    }

    /** out[rows, l.out] = act(in[rows, l.in] · W + b) (+ out when accumulate) */
    private void linear(Linear l, MemorySegment in, int rows, MemorySegment out, Activation act, boolean accumulate) {
        linear(l, in, rows, out, 0, l.out(), act, accumulate);
    }

    /** out[rows, l.out] (at element outOff, row stride ldOut) = act(in · W + b) (+ out when accumulate) */
    void linear(Linear l, MemorySegment in, int rows, MemorySegment out, long outOff, int ldOut,
                        Activation act, boolean accumulate) {
        PackedB pb = packed.get(l);
        if (pb != null) {
            kernels.gemm(rows, in, 0, l.in(), pb, l.bias().segment(), 0, act, accumulate, out, outOff, ldOut);
            return;
        }
        kernels.gemm(rows, l.out(), l.in(), in, 0, l.in(), l.weight().segment(), 0, l.ld(), l.outIn(),
                l.bias().segment(), 0, act, accumulate, out, outOff, ldOut);
    }

    void layerNorm(LayerNormWeights norm, MemorySegment x, int rows) {
        kernels.layerNorm(rows, norm.width(), x, 0, norm.gamma().segment(), 0, norm.beta().segment(), 0,
                c.layerNormEps(), x, 0);
    }

    private static void keep(List<Tensor> kept, boolean keepAllLayers, Tensor x, TensorArena out) {
        if (keepAllLayers) {
            kept.add(out.copyOf(x));
        }
    }

    private void checkInputs(TokenBatch batch) {
        if (batch.batchSize() == 0) {
            throw new IllegalArgumentException("empty batch: nothing to encode");
        }
        if (batch.tokens() > c.maxPositions()) {
            throw new IllegalArgumentException("sequence of " + batch.tokens() + " tokens exceeds the model's "
                    + c.maxPositions() + " positions (max_position_embeddings); truncate the input");
        }
        Tensor ids = batch.inputIds();
        Tensor types = batch.tokenTypeIds();
        for (long r = 0; r < ids.elementCount(); r++) {
            int id = ids.getInt(r);
            if (id < 0 || id >= c.vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " at sequence " + r / batch.tokens() + ", position "
                        + r % batch.tokens() + " is outside the vocabulary [0, " + c.vocabSize() + ")");
            }
            int t = types.getInt(r);
            if (t < 0 || t >= c.typeVocabSize()) {
                throw new IllegalArgumentException("token type " + t + " at sequence " + r / batch.tokens() + ", position "
                        + r % batch.tokens() + " is outside [0, " + c.typeVocabSize() + ")");
            }
        }
    }
}
