package dev.graft.backbones.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.util.PairList;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.tensor.TensorArena;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Turns text into a {@link TokenBatch} for a BERT-family encoder, with a Hugging Face {@code tokenizer.json}
 * (WordPiece for the BERT models) run by DJL's Rust tokenizers.
 *
 * <h2>What a batch looks like</h2>
 * Every sequence is {@code [CLS] tokens… [SEP]} (pairs: {@code [CLS] a… [SEP] b… [SEP]}, token type 1 from the
 * second sentence on), as the file's post-processor template says; the batch is padded on the right to its longest
 * sequence with the file's pad id and attention mask 0. An empty string becomes {@code [CLS] [SEP]} (two real
 * tokens). Padding and truncation set inside the file (all-MiniLM-L6-v2's pads everything to 128) are overridden:
 * the {@link TokenizerSettings} decide.
 *
 * <h2>Checks against the model</h2>
 * {@link #open} rejects a tokenizer whose vocabulary size differs from the model's embedding table (ids past the
 * table would read garbage or fail deep in a gather kernel; a smaller vocabulary means the wrong tokenizer), and
 * caps sequences at {@link TokenizerSettings#maxLength()} ≤ the position table: truncated, or rejected with the
 * input's index when truncation is off.
 *
 * <h2>Threads and lifecycle</h2>
 * One instance may be shared by any number of threads: the native tokenizer is only read after construction (the
 * Rust {@code Tokenizer} is {@code Sync}), and a read-write lock keeps {@link #close()} from freeing it under a
 * running {@code encode} — after close, {@code encode} throws {@link IllegalStateException} rather than touching
 * freed memory. DJL batch-encodes on its own Rust (rayon) thread pool.
 *
 * <h2>Native library, offline</h2>
 * The native library ships inside the DJL jar; DJL copies it once to {@code <cache>/tokenizers/<version>-<platform>/}
 * where {@code <cache>} is {@code ENGINE_CACHE_DIR}, else {@code DJL_CACHE_DIR} (environment variable or system
 * property), else {@code ~/.djl.ai}. Nothing is downloaded. Because DJL otherwise probes the EC2 metadata endpoint for
 * telemetry when a tokenizer is created, this class sets the system property {@code OPT_OUT_TRACKING=true} unless
 * the property or the environment variable is already set.
 */
public final class BertTokenizer implements AutoCloseable {

    /** tokenizer.json files are a few MB; anything past this is not one, and would not fit the heap comfortably. */
    private static final long MAX_FILE_BYTES = 256L << 20;

    private final String source;
    private final TokenizerSettings settings;
    private final int padId;
    private final HuggingFaceTokenizer tokenizer;
    private final Lock readLock;
    private final Lock writeLock;
    private boolean closed; // guarded by writeLock / readLock

    private BertTokenizer(String source, TokenizerSettings settings, int padId, HuggingFaceTokenizer tokenizer) {
        this.source = source;
        this.settings = settings;
        this.padId = padId;
        this.tokenizer = tokenizer;
        ReadWriteLock lock = new ReentrantReadWriteLock();
        this.readLock = lock.readLock();
        this.writeLock = lock.writeLock();
    }

    /** Opens {@code tokenizerJson} for a model with this embedding table and position table; truncation at {@code maxPositions}. */
    public static BertTokenizer open(Path tokenizerJson, int vocabSize, int maxPositions) throws IOException {
        return open(tokenizerJson, TokenizerSettings.forModel(vocabSize, maxPositions));
    }

    /**
     * Opens a Hugging Face {@code tokenizer.json}.
     *
     * @throws NoSuchFileException      the file does not exist or is not a regular file
     * @throws IllegalArgumentException the file is not a tokenizer.json, or its vocabulary does not match
     *                                  {@link TokenizerSettings#vocabSize()}; the message names the file
     */
    public static BertTokenizer open(Path tokenizerJson, TokenizerSettings settings) throws IOException {
        Objects.requireNonNull(tokenizerJson, "tokenizerJson");
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new NoSuchFileException(tokenizerJson.toString(), null, "tokenizer file not found");
        }
        long size = Files.size(tokenizerJson);
        if (size > MAX_FILE_BYTES) {
            throw new IllegalArgumentException(tokenizerJson + " is " + size + " bytes, more than the " + MAX_FILE_BYTES
                    + " a tokenizer.json can reasonably be");
        }
        return fromJson(tokenizerJson.toString(), Files.readAllBytes(tokenizerJson), settings);
    }

    /**
     * Creates a tokenizer from the bytes of a {@code tokenizer.json} (a classpath resource, say).
     *
     * @param source the name used in error messages (file or resource name)
     */
    public static BertTokenizer fromJson(String source, byte[] json, TokenizerSettings settings) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(json, "json");
        Objects.requireNonNull(settings, "settings");
        TokenizerJson parsed = TokenizerJson.parse(source, json);
        if (parsed.vocabSize() != settings.vocabSize()) {
            throw new IllegalArgumentException(source + " has a vocabulary of " + parsed.vocabSize()
                    + " tokens but the model's embedding table has " + settings.vocabSize()
                    + " rows: this tokenizer does not belong to this model");
        }
        optOutOfTelemetry();
        Map<String, String> options = Map.of(
                "addSpecialTokens", "true",
                "padding", "false", // padding happens here, into Arrow tensors
                "truncation", Boolean.toString(settings.truncate()),
                "maxLength", Integer.toString(settings.maxLength()),
                "modelMaxLength", Integer.toString(settings.maxPositions()));
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), options);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(source + " could not be loaded by the Hugging Face tokenizer: " + e.getMessage(), e);
        }
        return new BertTokenizer(source, settings, parsed.padId(), tokenizer);
    }

    private static void optOutOfTelemetry() {
        if (System.getenv("OPT_OUT_TRACKING") == null && System.getProperty("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
    }

    /** The file or resource this tokenizer was read from. */
    public String source() {
        return source;
    }

    public TokenizerSettings settings() {
        return settings;
    }

    /** The id padding positions hold. */
    public int padId() {
        return padId;
    }

    /**
     * Tokenises a batch of single sentences.
     *
     * @param texts one or more texts; none may be null
     * @param arena owns the three returned tensors
     * @throws IllegalArgumentException an empty batch, a null text, or (truncation off) a text longer than
     *                                  {@link TokenizerSettings#maxLength()} tokens — the message names the input's index
     */
    public TokenBatch encode(List<String> texts, TensorArena arena) {
        return encodeWithWordIds(texts, arena).tokens();
    }

    /**
     * Tokenises a batch of sentence pairs: {@code [CLS] first [SEP] second [SEP]}, token type 0 up to and including
     * the first {@code [SEP]}, 1 after. With truncation on, the longer of the two is shortened first.
     */
    public TokenBatch encodePairs(List<String> first, List<String> second, TensorArena arena) {
        Objects.requireNonNull(arena, "arena");
        String[] a = texts(first, "first");
        String[] b = texts(second, "second");
        if (a.length != b.length) {
            throw new IllegalArgumentException(a.length + " first sentences but " + b.length + " second sentences");
        }
        Encoding[] encodings = run(a, b);
        return pack(encodings, arena).tokens();
    }

    /**
     * Like {@link #encode}, and also which word of its text each token came from — what a token-classification head
     * needs to label words (commonly by their first sub-token).
     */
    public EncodedBatch encodeWithWordIds(List<String> texts, TensorArena arena) {
        Objects.requireNonNull(arena, "arena");
        return pack(run(texts(texts, "texts"), null), arena);
    }

    /**
     * Tokenises sentences that are already split into words (CoNLL-U, or any word-level labelling): word ids in the
     * result index the given words, not the pre-tokenizer's splits — {@code ["do", "n't"]} stays two words even
     * though the tokenizer cuts {@code n't} into three tokens. A word that yields no token (a character the
     * normaliser drops, or a word cut off by truncation) has no token in {@link EncodedBatch#wordIds()}.
     *
     * @throws IllegalArgumentException an empty batch, a sentence without words, or a null/empty word — the message
     *                                  names the sentence and word index
     */
    public EncodedBatch encodeWords(List<List<String>> sentences, TensorArena arena) {
        Objects.requireNonNull(sentences, "sentences");
        Objects.requireNonNull(arena, "arena");
        if (sentences.isEmpty()) {
            throw new IllegalArgumentException("cannot tokenise an empty batch (no sentences)");
        }
        Encoding[] encodings = new Encoding[sentences.size()];
        readLock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("tokenizer " + source + " is closed");
            }
            for (int i = 0; i < encodings.length; i++) {
                List<String> words = Objects.requireNonNull(sentences.get(i), "sentence " + i);
                if (words.isEmpty()) {
                    throw new IllegalArgumentException("sentence " + i + " has no words");
                }
                String[] array = new String[words.size()];
                for (int w = 0; w < array.length; w++) {
                    String word = words.get(w);
                    if (word == null || word.isBlank()) {
                        throw new IllegalArgumentException("sentence " + i + ", word " + w + " is " + (word == null ? "null" : "blank"));
                    }
                    array[w] = word;
                }
                encodings[i] = tokenizer.encode(array, true, false);
            }
        } finally {
            readLock.unlock();
        }
        return pack(encodings, arena);
    }

    private static String[] texts(List<String> texts, String name) {
        Objects.requireNonNull(texts, name);
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("cannot tokenise an empty batch (" + name + " has no texts)");
        }
        String[] array = new String[texts.size()];
        for (int i = 0; i < array.length; i++) {
            String t = texts.get(i);
            if (t == null) {
                throw new IllegalArgumentException(name + "[" + i + "] is null");
            }
            array[i] = t;
        }
        return array;
    }

    private Encoding[] run(String[] first, String[] second) {
        readLock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("tokenizer " + source + " is closed");
            }
            if (second == null) {
                return tokenizer.batchEncode(first, true, false);
            }
            return tokenizer.batchEncode(new PairList<>(Arrays.asList(first), Arrays.asList(second)), true, false);
        } finally {
            readLock.unlock();
        }
    }

    private EncodedBatch pack(Encoding[] encodings, TensorArena arena) {
        int batch = encodings.length;
        int[] lengths = new int[batch];
        int width = 0;
        for (int i = 0; i < batch; i++) {
            lengths[i] = encodings[i].getIds().length;
            if (lengths[i] > settings.maxLength()) {
                throw new IllegalArgumentException("input " + i + " has " + lengths[i] + " tokens, more than the limit of "
                        + settings.maxLength() + (settings.maxLength() == settings.maxPositions()
                        ? " (the model's position table)" : " (maxLength; the position table has " + settings.maxPositions() + ")")
                        + "; shorten it or switch truncation on");
            }
            width = Math.max(width, lengths[i]);
        }
        int[] ids = new int[batch * width];
        int[] mask = new int[batch * width];
        int[] types = new int[batch * width];
        int[][] wordIds = new int[batch][];
        Arrays.fill(ids, padId);
        for (int i = 0; i < batch; i++) {
            long[] tokenIds = encodings[i].getIds();
            long[] typeIds = encodings[i].getTypeIds();
            int row = i * width;
            for (int t = 0; t < tokenIds.length; t++) {
                long id = tokenIds[t];
                if (id < 0 || id >= settings.vocabSize()) { // cannot happen after the vocabulary check; cheap to keep
                    throw new IllegalStateException(source + " produced token id " + id + " for input " + i
                            + ", outside the embedding table of " + settings.vocabSize() + " rows");
                }
                ids[row + t] = (int) id;
                mask[row + t] = 1;
                types[row + t] = (int) typeIds[t];
            }
            long[] words = encodings[i].getWordIds();
            long[] special = encodings[i].getSpecialTokenMask();
            int[] w = new int[width];
            Arrays.fill(w, -1);
            for (int t = 0; t < words.length; t++) {
                w[t] = special[t] != 0 ? -1 : (int) words[t];
            }
            wordIds[i] = w;
        }
        TokenBatch tokens = new TokenBatch(
                arena.copyOf(ids, batch, width), arena.copyOf(mask, batch, width), arena.copyOf(types, batch, width), lengths);
        return new EncodedBatch(tokens, wordIds);
    }

    /** Frees the native tokenizer. Waits for running {@code encode} calls; later ones throw. Idempotent. */
    @Override
    public void close() {
        writeLock.lock();
        try {
            if (!closed) {
                closed = true;
                tokenizer.close();
            }
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public String toString() {
        return "BertTokenizer(" + source + ", " + settings + ")";
    }
}
