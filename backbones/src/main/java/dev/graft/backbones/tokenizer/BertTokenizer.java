package dev.graft.backbones.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
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
import java.util.concurrent.atomic.LongAdder;
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
 * <h2>Long texts: work bounded by the token limit</h2>
 * With truncation on, only the first {@code maxLength} tokens are kept, so a multi-megabyte text is not handed to
 * the native tokenizer whole: a prefix of it is, cut where {@link PrefixCuts} proves the prefix tokenises to the
 * first tokens of the whole text, and grown (doubled) until it yields the limit or reaches the end. The result is
 * exactly what tokenising everything and truncating gives; the work is proportional to the text the kept tokens
 * come from. The same holds for pre-split words, and for the error when truncation is off (the count is then "more
 * than the limit"). Sentence pairs are tokenised whole.
 *
 * <h2>Native failures</h2>
 * {@link #open} rejects, naming the file and field, the settings that make the native tokenizer fail on some input
 * (see {@code TokenizerJson}: a WordPiece model without its unknown token, another model type). Inputs are then
 * encoded one at a time, not with DJL's native batch call: a failure inside that call panics across the JNI boundary
 * and aborts the JVM, while a single encode comes back as a Java exception, which is rethrown here naming the input.
 *
 * <h2>Threads and lifecycle</h2>
 * One instance may be shared by any number of threads: the native tokenizer is only read after construction (the
 * Rust {@code Tokenizer} is {@code Sync}), and a read-write lock keeps {@link #close()} from freeing it under a
 * running {@code encode} — after close, {@code encode} throws {@link IllegalStateException} rather than touching
 * freed memory.
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
    private final PrefixCuts cuts;
    private final LongAdder nativeChars = new LongAdder();
    private final Lock readLock;
    private final Lock writeLock;
    private boolean closed; // guarded by writeLock / readLock

    private BertTokenizer(String source, TokenizerSettings settings, int padId, HuggingFaceTokenizer tokenizer,
                          PrefixCuts cuts) {
        this.source = source;
        this.cuts = cuts;
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
     * @throws IllegalArgumentException the file is not a tokenizer.json, not a WordPiece tokenizer Graft can run
     *                                  (no unknown token in the vocabulary, say), or its vocabulary does not match
     *                                  {@link TokenizerSettings#vocabSize()}; the message names the file and field
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
            tokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(parsed.nativeJson()), options);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(source + " could not be loaded by the Hugging Face tokenizer: " + e.getMessage(), e);
        }
        return new BertTokenizer(source, settings, parsed.padId(), tokenizer, new PrefixCuts(parsed));
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
                encodings[i] = encodeSentence(i, array);
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
            Encoding[] encodings = new Encoding[first.length];
            for (int i = 0; i < first.length; i++) {
                encodings[i] = second == null ? encodeText(i, first[i]) : encodePair(i, first[i], second[i]);
            }
            return encodings;
        } finally {
            readLock.unlock();
        }
    }

    /** The first characters tried for a long text, per token of the limit; grown (doubled) as needed. */
    private static final int PREFIX_CHARS_PER_TOKEN = 8;

    /** One text, bounded by the token limit (see the class comment). */
    private Encoding encodeText(int index, String text) {
        long minChars = (long) settings.maxLength() * PREFIX_CHARS_PER_TOKEN;
        while (true) {
            PrefixCuts.Prefix part = cuts.take(text, minChars);
            nativeChars.add(part.text().length());
            Encoding e;
            try {
                e = tokenizer.encode(part.text(), true, false);
            } catch (RuntimeException failure) {
                throw nativeFailure("input " + index, text, failure);
            }
            if (part.whole() || enough(index, e, part.text().length() + " characters")) {
                return e;
            }
            minChars = 2L * part.text().length();
        }
    }

    /** One pre-split sentence, bounded by the token limit: a prefix of the words, the last one possibly cut. */
    private Encoding encodeSentence(int index, String[] words) {
        long minChars = (long) settings.maxLength() * PREFIX_CHARS_PER_TOKEN;
        while (true) {
            List<String> part = new java.util.ArrayList<>();
            long chars = 0;
            boolean whole = true;
            for (int w = 0; w < words.length; w++) {
                if (chars >= minChars) {
                    whole = false;
                    break;
                }
                PrefixCuts.Prefix word = cuts.take(words[w], Math.max(1, minChars - chars));
                part.add(word.text());
                chars += word.text().length();
                if (!word.whole()) {
                    whole = false;
                    break;
                }
            }
            nativeChars.add(chars);
            Encoding e;
            try {
                e = tokenizer.encode(part.toArray(String[]::new), true, false);
            } catch (RuntimeException failure) {
                throw nativeFailure("sentence " + index, String.join(" ", words.length > 64
                        ? Arrays.asList(words).subList(0, 64) : Arrays.asList(words)), failure);
            }
            if (whole || enough(index, e, chars + " characters of its words")) {
                return e;
            }
            minChars = 2 * chars;
        }
    }

    private Encoding encodePair(int index, String first, String second) {
        nativeChars.add(first.length() + (long) second.length());
        try {
            return tokenizer.encode(first, second, true, false);
        } catch (RuntimeException failure) {
            throw nativeFailure("pair " + index, first + " [SEP] " + second, failure);
        }
    }

    /**
     * Whether the encoding of a prefix already holds every token the whole input keeps: the limit is reached
     * (truncation on), or passed (truncation off: then the input is too long, and this throws).
     */
    private boolean enough(int index, Encoding prefixEncoding, String prefixSize) {
        int length = prefixEncoding.getIds().length;
        if (settings.truncate()) {
            return length >= settings.maxLength();
        }
        if (length > settings.maxLength()) {
            throw tooLong(index, "more than " + settings.maxLength() + " tokens (its first " + prefixSize + " alone give "
                    + length + ")");
        }
        return false;
    }

    private IllegalArgumentException tooLong(int index, String count) {
        return new IllegalArgumentException("input " + index + " has " + count + "; the limit is "
                + settings.maxLength() + (settings.maxLength() == settings.maxPositions()
                ? " (the model's position table)" : " (maxLength; the position table has " + settings.maxPositions() + ")")
                + "; shorten it or switch truncation on");
    }

    private IllegalArgumentException nativeFailure(String what, String text, RuntimeException failure) {
        String shown = text.length() <= 80 ? text : text.substring(0, 80) + "… (" + text.length() + " characters)";
        return new IllegalArgumentException(source + ": the tokenizer failed on " + what + " \"" + shown + "\": "
                + failure.getMessage(), failure);
    }

    /**
     * Characters handed to the native tokenizer since this instance was made: how much text the token limit let
     * through (a diagnostic; a multi-megabyte text costs about {@code maxLength × 16} of them, not its length).
     */
    public long nativeCharacters() {
        return nativeChars.sum();
    }

    private EncodedBatch pack(Encoding[] encodings, TensorArena arena) {
        int batch = encodings.length;
        int[] lengths = new int[batch];
        int width = 0;
        for (int i = 0; i < batch; i++) {
            lengths[i] = encodings[i].getIds().length;
            if (lengths[i] > settings.maxLength()) {
                throw tooLong(i, lengths[i] + " tokens");
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
