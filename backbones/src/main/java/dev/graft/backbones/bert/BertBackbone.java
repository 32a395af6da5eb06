package dev.graft.backbones.bert;

import dev.graft.attention.AttentionKernel;
import dev.graft.attention.spec.AttentionSpec;
import dev.graft.backbones.sites.SiteHooks;
import dev.graft.backbones.tokenizer.BertTokenizer;
import dev.graft.backbones.tokenizer.TokenizerSettings;
import dev.graft.core.backbone.Pooling;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.tensor.Finite;
import dev.graft.core.tensor.NonFiniteOutputException;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * A frozen BERT backbone ready to serve: checkpoint (memory-mapped weights), tokenizer, kernels and encoder.
 * Thread-safe; one instance is meant to be shared by every task of a service.
 *
 * <pre>{@code
 * try (BertBackbone bert = Backbones.open("all-minilm-l6-v2")) {
 *     float[][] e = bert.embed(List.of("a cat", "a dog"), Pooling.MEAN, true);
 * }
 * }</pre>
 *
 * <p>Lifecycle: {@link #builder()} → {@code setCheckpoint} (required) and {@code optX} settings → {@link Builder#build()}
 * validates and loads the tokenizer → use → {@link #close()} releases the tokenizer, the kernels' threads (if the
 * backbone made them) and the checkpoint's mapped weights.
 */
public final class BertBackbone implements AutoCloseable {
    private final BertCheckpoint checkpoint;
    private final BertTokenizer tokenizer;
    private final Kernels kernels;
    private final boolean ownsKernels;
    private final BertEncoder encoder;
    /** The pre-packed projection weights (a child of the checkpoint's arena), or null. */
    private final TensorArena packed;
    private final int maxLength;
    private final AttentionSpec attentionSpec;

    private BertBackbone(Builder b, Kernels kernels, boolean ownsKernels, BertTokenizer tokenizer) {
        this.checkpoint = b.checkpoint;
        this.kernels = kernels;
        this.ownsKernels = ownsKernels;
        this.tokenizer = tokenizer;
        this.maxLength = tokenizer.settings().maxLength();
        this.attentionSpec = b.attention != null ? null : b.attentionSpec;
        List<AttentionKernel> attention = b.attention != null ? b.attention.apply(kernels)
                : b.attentionSpec.kernels(kernels, checkpoint.config().numLayers());
        this.packed = b.prepack ? checkpoint.arena().child("packed-weights") : null;
        try {
            this.encoder = new BertEncoder(checkpoint.weights(), kernels, attention, packed);
        } catch (RuntimeException e) {
            if (packed != null) {
                packed.close();
            }
            throw e;
        }
    }

    /** A builder; {@code Backbones.builder(name)} is the usual way in, with the checkpoint already set. */
    public static Builder builder() {
        return new Builder();
    }

    /** The architecture (layers, hidden size, heads, vocabulary) read from the checkpoint. */
    public BertConfig config() {
        return checkpoint.config();
    }

    /** The loaded weights and the files they came from; owned by this backbone. */
    public BertCheckpoint checkpoint() {
        return checkpoint;
    }

    /** The tokenizer, configured with this backbone's maximum length and truncation. */
    public BertTokenizer tokenizer() {
        return tokenizer;
    }

    /** The encoder (embeddings and transformer layers) over the frozen weights. */
    public BertEncoder encoder() {
        return encoder;
    }

    /** The kernels the encoder runs on (its own, or the ones given to the builder). */
    public Kernels kernels() {
        return kernels;
    }

    /**
     * The attention pattern of each layer, as given to {@link Builder#optAttention(AttentionSpec)} (dense everywhere
     * by default); its {@code toString()} is the text provenance records. Empty when the layers' kernels were
     * supplied directly ({@link Builder#optAttention(Function)}).
     */
    public Optional<AttentionSpec> attentionSpec() {
        return Optional.ofNullable(attentionSpec);
    }

    /** Longest token sequence the tokenizer produces (longer inputs are truncated). */
    public int maxLength() {
        return maxLength;
    }

    /** Tokenises texts into a padded batch owned by {@code arena}. */
    public TokenBatch tokenize(List<String> texts, TensorArena arena) {
        return tokenizer.encode(texts, arena);
    }

    /** Runs the encoder on a tokenised batch; outputs are owned by {@code arena}. */
    public EncoderOutput encode(TokenBatch batch, TensorArena arena, boolean keepAllLayers) {
        return encoder.encode(batch, arena, keepAllLayers);
    }

    /**
     * Runs the encoder with adapter hooks at their sites (see {@link BertEncoder#encode(TokenBatch, TensorArena,
     * boolean, SiteHooks)}); the hooks stay the caller's, so one backbone serves differently adapted models at once.
     */
    public EncoderOutput encode(TokenBatch batch, TensorArena arena, boolean keepAllLayers, SiteHooks hooks) {
        return encoder.encode(batch, arena, keepAllLayers, hooks);
    }

    /**
     * Sentence embeddings [texts, hidden] owned by {@code arena}: tokenise, encode, pool, optionally L2-normalise.
     * Scratch (tokens, hidden states) is released before returning.
     *
     * @throws NonFiniteOutputException naming the text when its embedding holds NaN or an infinity (the model
     *                                  overflows on it); no embedding of the call is returned then
     */
    public Tensor embed(List<String> texts, Pooling pooling, boolean normalize, TensorArena arena) {
        try (TensorArena work = arena.child("embed")) {
            TokenBatch batch = tokenize(texts, work);
            EncoderOutput out = encoder.encode(batch, work, false);
            Tensor pooled = pooling.apply(kernels, out.lastHidden(), batch.attentionMask(), work);
            if (normalize) {
                kernels.l2Normalize(pooled.dim(0), pooled.dim(1), pooled.segment(), 0, pooled.segment(), 0);
            }
            long bad = Finite.firstNonFinite(pooled); // texts × hidden floats: nothing next to the encoder's work
            if (bad >= 0) {
                int h = pooled.dim(1);
                int row = (int) (bad / h);
                throw new NonFiniteOutputException("the embedding", row, texts.get(row), bad % h, pooled.getFloat(bad));
            }
            return arena.transfer(pooled);
        }
    }

    /** {@link #embed(List, Pooling, boolean, TensorArena)} into heap arrays, one row per text. */
    public float[][] embed(List<String> texts, Pooling pooling, boolean normalize) {
        try (TensorArena arena = TensorArena.over(checkpoint.arena().allocator().getRoot(), "embed")) {
            Tensor t = embed(texts, pooling, normalize, arena);
            int h = t.dim(1);
            float[] flat = t.toFloatArray();
            float[][] rows = new float[t.dim(0)][];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = java.util.Arrays.copyOfRange(flat, i * h, (i + 1) * h);
            }
            return rows;
        }
    }

    @Override
    public void close() {
        try {
            tokenizer.close();
        } finally {
            try {
                if (ownsKernels) {
                    kernels.close();
                }
            } finally {
                try {
                    if (packed != null) {
                        packed.close();
                    }
                } finally {
                    checkpoint.close();
                }
            }
        }
    }

    @Override
    public String toString() {
        return "BertBackbone(" + checkpoint.name() + ", kernels " + kernels.name() + " × " + kernels.threads()
                + " threads, max " + maxLength + " tokens, attention " + attentionSpec().map(Object::toString)
                .orElse(encoder.attention().stream().map(AttentionKernel::name).toList().toString()) + ")";
    }

    /** Builder: {@code setCheckpoint} is required; everything else has a default. */
    public static final class Builder {
        private BertCheckpoint checkpoint;
        private Kernels kernels;
        private int threads = Runtime.getRuntime().availableProcessors();
        private int maxLength = -1;
        private boolean truncate = true;
        private Function<Kernels, List<AttentionKernel>> attention;
        private AttentionSpec attentionSpec = AttentionSpec.dense();
        private boolean prepack = true;

        private Builder() {
        }

        /** The loaded weights (see {@code Backbones.load}); the backbone takes ownership and closes it. */
        public Builder setCheckpoint(BertCheckpoint checkpoint) {
            this.checkpoint = Objects.requireNonNull(checkpoint, "checkpoint");
            return this;
        }

        /** Kernels to share with other components (not closed by the backbone). Default: its own. */
        public Builder optKernels(Kernels kernels) {
            this.kernels = Objects.requireNonNull(kernels, "kernels");
            return this;
        }

        /** Threads of the backbone's own kernels (ignored with {@link #optKernels}). Default: all processors. */
        public Builder optThreads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be >= 1, was " + threads);
            }
            this.threads = threads;
            return this;
        }

        /** Longest token sequence (special tokens included). Default: the model's position table (512). */
        public Builder optMaxLength(int maxLength) {
            if (maxLength < 2) {
                throw new IllegalArgumentException("max length must be >= 2 ([CLS] and [SEP]), was " + maxLength);
            }
            this.maxLength = maxLength;
            return this;
        }

        /** Whether longer inputs are truncated (default) or rejected with an error naming the limit. */
        public Builder optTruncation(boolean truncate) {
            this.truncate = truncate;
            return this;
        }

        /** Attention kernels per layer (bottom first), made from the backbone's kernels. Default: dense everywhere. */
        public Builder optAttention(Function<Kernels, List<AttentionKernel>> perLayer) {
            this.attention = Objects.requireNonNull(perLayer, "attention");
            return this;
        }

        /**
         * An attention pattern per layer range, e.g. {@code AttentionSpec.parse("0-2:window(8,global=cls),3-5:dense")}
         * (see docs/ATTENTION.md). Default: dense everywhere. Replaces an earlier {@link #optAttention(Function)};
         * {@link #build()} fails if a range lies outside the model's layers.
         */
        public Builder optAttention(AttentionSpec spec) {
            this.attentionSpec = Objects.requireNonNull(spec, "attention spec");
            this.attention = null;
            return this;
        }

        /**
         * Whether the projection weights are copied once, at build time, into the layout the GEMM streams (default
         * true): batch-1 forwards run ~2× faster, at the cost of one extra copy of the matrices (4 bytes per
         * parameter: ~42.5 MB for MiniLM-L6), released on {@link BertBackbone#close()}. With false the GEMM reads the
         * memory-mapped weights in place and packs them on every call.
         */
        public Builder optPrepackWeights(boolean prepack) {
            this.prepack = prepack;
            return this;
        }

        /** Validates the settings, opens the tokenizer, and returns the backbone. */
        public BertBackbone build() throws IOException {
            if (checkpoint == null) {
                throw new IllegalStateException("setCheckpoint(...) is required");
            }
            BertConfig c = checkpoint.config();
            if (maxLength > c.maxPositions()) {
                throw new IllegalArgumentException("max length " + maxLength + " exceeds the model's " + c.maxPositions()
                        + " positions (max_position_embeddings)");
            }
            TokenizerSettings settings = TokenizerSettings.forModel(c).withTruncation(truncate);
            if (maxLength > 0) {
                settings = settings.withMaxLength(maxLength);
            }
            BertTokenizer tok = BertTokenizer.open(checkpoint.tokenizerFile(), settings);
            boolean own = kernels == null;
            Kernels k = own ? Kernels.create(threads) : kernels;
            try {
                return new BertBackbone(this, k, own, tok);
            } catch (RuntimeException e) {
                tok.close();
                if (own) {
                    k.close();
                }
                throw e;
            }
        }
    }
}
