package dev.graft.adapters.compose;

import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.FeatureKind;
import dev.graft.adapters.head.FeatureRows;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.bert.EncoderOutput;
import dev.graft.backbones.sites.SiteHooks;
import dev.graft.backbones.tokenizer.EncodedBatch;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * One tokenise-and-encode of a batch, and the feature rows heads read, derived from it. The hidden states live
 * in a child arena released by {@link #close()}; the rows it hands out are heap copies. Used by every call of a
 * {@link ComposedModel} and by the feature cache that training reads, so heads see identical features in both.
 *
 * <p>A batch may go through the backbone more than once with different adapter hooks: {@link #tokenize} makes a
 * pass that holds only the tokens, and each {@link #encode(SiteHooks, boolean)} of it is a pass of its own over
 * the same tokens (closed before the tokens are).
 */
public final class BackbonePass implements AutoCloseable {
    private final BertBackbone backbone;
    private final BackboneInfo info;
    private final TensorArena arena;
    private final List<String> texts;
    private final List<List<String>> words;
    private final EncodedBatch encoded;
    private final EncoderOutput output;

    private BackbonePass(BertBackbone backbone, BackboneInfo info, TensorArena arena, List<String> texts,
                         List<List<String>> words, EncodedBatch encoded, EncoderOutput output) {
        this.backbone = backbone;
        this.info = info;
        this.arena = arena;
        this.texts = texts;
        this.words = words;
        this.encoded = encoded;
        this.output = output;
    }

    /**
     * Tokenises and encodes {@code inputs}.
     *
     * @param byWords   keep word boundaries (texts are split by {@link WordSplitter}); not for pairs
     * @param allLayers keep every layer's hidden states
     * @param parent    the arena whose child holds the hidden states until {@link #close()}
     */
    public static BackbonePass run(BertBackbone backbone, BackboneInfo info, Inputs inputs, boolean byWords,
                                   boolean allLayers, TensorArena parent) {
        return run(backbone, info, inputs, byWords, allLayers, SiteHooks.NONE, parent);
    }

    /**
     * Tokenises and encodes {@code inputs} with adapter {@code hooks} at their sites (the backbone is only read).
     *
     * @param hooks the attached adapters' hooks ({@code Adapters.hooks()}), or {@link SiteHooks#NONE}
     */
    public static BackbonePass run(BertBackbone backbone, BackboneInfo info, Inputs inputs, boolean byWords,
                                   boolean allLayers, SiteHooks hooks, TensorArena parent) {
        BackbonePass tokens = tokenize(backbone, info, inputs, byWords, parent);
        try {
            EncoderOutput output = backbone.encode(tokens.encoded.tokens(), tokens.arena, allLayers, hooks);
            return new BackbonePass(backbone, info, tokens.arena, tokens.texts, tokens.words, tokens.encoded, output);
        } catch (RuntimeException | Error e) {
            tokens.close();
            throw e;
        }
    }

    /**
     * Tokenises {@code inputs} without running the backbone; {@link #encode(SiteHooks, boolean)} then runs it, as
     * often as there are adapter sets.
     */
    public static BackbonePass tokenize(BertBackbone backbone, BackboneInfo info, Inputs inputs, boolean byWords,
                                        TensorArena parent) {
        TensorArena arena = parent.child("backbone-pass");
        try {
            List<String> texts;
            List<List<String>> words = null;
            EncodedBatch encoded;
            switch (inputs) {
                case Inputs.Texts t -> {
                    texts = t.texts();
                    if (byWords) {
                        words = new ArrayList<>(texts.size());
                        for (int i = 0; i < texts.size(); i++) {
                            List<String> w = WordSplitter.split(texts.get(i));
                            if (w.isEmpty()) {
                                throw new IllegalArgumentException("text " + i + " has no words");
                            }
                            words.add(w);
                        }
                        encoded = backbone.tokenizer().encodeWords(words, arena);
                    } else {
                        encoded = backbone.tokenizer().encodeWithWordIds(texts, arena);
                    }
                }
                case Inputs.Words w -> {
                    words = w.sentences();
                    texts = words.stream().map(s -> String.join(" ", s)).toList();
                    encoded = backbone.tokenizer().encodeWords(words, arena);
                }
                case Inputs.Pairs p -> {
                    if (byWords) {
                        throw new IllegalArgumentException("word-level heads (tagging) read single texts, not text pairs");
                    }
                    texts = new ArrayList<>(p.size());
                    for (int i = 0; i < p.size(); i++) {
                        texts.add(p.first().get(i) + " [SEP] " + p.second().get(i));
                    }
                    TokenBatch batch = backbone.tokenizer().encodePairs(p.first(), p.second(), arena);
                    int[][] noWords = new int[batch.batchSize()][batch.tokens()];
                    for (int[] row : noWords) {
                        java.util.Arrays.fill(row, -1); // pairs are not split into words
                    }
                    encoded = new EncodedBatch(batch, noWords);
                }
            }
            return new BackbonePass(backbone, info, arena, texts, words, encoded, null);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Runs the backbone over this pass's tokens with {@code hooks}: a new pass sharing the tokens, its hidden
     * states in a child of this pass's arena. Close it before this pass.
     */
    public BackbonePass encode(SiteHooks hooks, boolean allLayers) {
        TensorArena child = arena.child("encode");
        try {
            EncoderOutput out = backbone.encode(encoded.tokens(), child, allLayers, hooks);
            return new BackbonePass(backbone, info, child, texts, words, encoded, out);
        } catch (RuntimeException | Error e) {
            child.close();
            throw e;
        }
    }

    public List<String> texts() {
        return texts;
    }

    /** The words of each input, or null when the pass did not keep word boundaries. */
    public List<List<String>> words() {
        return words;
    }

    public EncodedBatch encoded() {
        return encoded;
    }

    /** The hidden states of {@code stage} (0 = embeddings, numLayers = last). */
    public Tensor stage(int stage) {
        if (output == null) {
            throw new IllegalStateException("this pass only tokenised its inputs: encode(...) runs the backbone");
        }
        if (stage == info.numLayers()) {
            return output.lastHidden();
        }
        if (output.layers().isEmpty()) {
            throw new IllegalStateException("stage " + stage + " was not kept: this pass kept only the last layer");
        }
        return output.layers().get(stage);
    }

    /** The rows of {@code kind}, freshly computed. */
    public FeatureRows rows(FeatureKind kind) {
        int[] stages = kind.layers().stages(info.numLayers());
        int hidden = info.hiddenSize();
        int rowSize = stages.length * hidden;
        return switch (kind) {
            case FeatureKind.Pooled p -> {
                int n = texts.size();
                float[] data = new float[n * rowSize];
                try (TensorArena scratch = arena.child("pool")) {
                    for (int s = 0; s < stages.length; s++) {
                        Tensor pooled = p.pooling().apply(backbone.kernels(), stage(stages[s]), encoded.tokens().attentionMask(), scratch);
                        MemorySegment seg = pooled.segment();
                        for (int i = 0; i < n; i++) {
                            MemorySegment.copy(seg, ValueLayout.JAVA_FLOAT, (long) i * hidden * Float.BYTES,
                                    data, i * rowSize + s * hidden, hidden);
                        }
                    }
                }
                int[] starts = new int[n + 1];
                for (int i = 0; i <= n; i++) {
                    starts[i] = i;
                }
                yield new FeatureRows(data, n, rowSize, starts);
            }
            case FeatureKind.WordTokens w -> wordRows(stages, rowSize);
        };
    }

    /**
     * One row per word up to the last word the backbone saw: words after it (past the token limit) get no row at
     * all — a multi-megabyte line split into a million words costs rows for the few hundred that fit, not a
     * gigabyte of stand-in features. A word before it without a token of its own (only dropped characters) gets a
     * stand-in row marked in {@link FeatureRows#withoutToken()}.
     */
    private FeatureRows wordRows(int[] stages, int rowSize) {
        if (words == null) {
            throw new IllegalStateException("word features need a pass that kept word boundaries");
        }
        int hidden = info.hiddenSize();
        int n = words.size();
        int[][] own = new int[n][];
        int[] starts = new int[n + 1];
        for (int i = 0; i < n; i++) {
            own[i] = encoded.ownFirstTokens(i, words.get(i).size());
            int covered = own[i].length;
            while (covered > 0 && own[i][covered - 1] < 0) {
                covered--;
            }
            starts[i + 1] = starts[i] + covered;
        }
        float[] data = new float[starts[n] * rowSize];
        int tokens = encoded.tokens().tokens();
        java.util.BitSet withoutToken = new java.util.BitSet();
        for (int i = 0; i < n; i++) {
            int covered = starts[i + 1] - starts[i];
            int[] first = encoded.firstTokens(i, covered);
            for (int w = 0; w < covered; w++) {
                if (own[i][w] < 0) {
                    withoutToken.set(starts[i] + w);
                }
            }
            for (int s = 0; s < stages.length; s++) {
                MemorySegment seg = stage(stages[s]).segment();
                for (int w = 0; w < covered; w++) {
                    long src = ((long) i * tokens + first[w]) * hidden * Float.BYTES;
                    MemorySegment.copy(seg, ValueLayout.JAVA_FLOAT, src, data, (starts[i] + w) * rowSize + s * hidden, hidden);
                }
            }
        }
        return new FeatureRows(data, starts[n], rowSize, starts, withoutToken);
    }

    @Override
    public void close() {
        arena.close();
    }
}
