package dev.graft.backbones.tokenizer;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * What Graft reads and checks itself in a Hugging Face {@code tokenizer.json} before handing it to the native
 * tokenizer: the vocabulary size (to check against the embedding table), the padding id, and every setting that
 * would make the native (Rust) tokenizer fail at encode time instead of at load time. Reading it in Java first means
 * a file that is not JSON, not a tokenizer, or a tokenizer Graft cannot run fails here with a message naming the
 * file and the field, instead of on the first unusual input — where a failure inside DJL's native batch encoder
 * panics and aborts the whole JVM.
 *
 * <p>Checked: {@code model.type} is {@code WordPiece} (the only model BERT checkpoints use, and the only one Graft
 * supports); {@code model.unk_token} is a string present in {@code model.vocab} (without it, the first character
 * outside the vocabulary makes WordPiece fail); {@code model.continuing_subword_prefix} is a non-empty string;
 * {@code model.max_input_chars_per_word} is a positive integer; every id is a non-negative integer.
 *
 * @param source          the file (or resource) name, for messages
 * @param vocabSize       highest token id + 1, over the model vocabulary and the added tokens (what Hugging Face
 *                        calls {@code get_vocab_size(with_added_tokens=True)} for a contiguous vocabulary)
 * @param padId           the id padding positions hold: {@code padding.pad_id} if the file sets it, else the id of
 *                        {@code [PAD]}, else 0
 * @param maxCharsPerWord WordPiece's {@code max_input_chars_per_word}: a longer word becomes the unknown token
 * @param bertPreTokenizer the pre-tokenizer is {@code BertPreTokenizer} (splits at whitespace and punctuation)
 * @param bertNormalizer  the normalizer is absent or {@code BertNormalizer} (changes characters one at a time)
 * @param splitsCjk       the normalizer is {@code BertNormalizer} with {@code handle_chinese_chars}: every CJK
 *                        ideograph is a word of its own
 * @param nativeJson      the file as handed to the native tokenizer: its own {@code truncation} and
 *                        {@code padding} removed, since Graft's {@link TokenizerSettings} decide both (a file's
 *                        {@code "direction": "Left"} truncation would otherwise survive and drop the start of
 *                        every long text)
 */
record TokenizerJson(String source, int vocabSize, int padId, int maxCharsPerWord, boolean bertPreTokenizer,
                     boolean bertNormalizer, boolean splitsCjk, byte[] nativeJson) {

    private static final ObjectMapper JSON = new ObjectMapper();

    static TokenizerJson parse(String source, byte[] json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JacksonException e) {
            throw new IllegalArgumentException(source + " is not a valid tokenizer.json: " + e.getOriginalMessage(), e);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(source + " could not be read as JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(source + " is not a tokenizer.json: the top level is not a JSON object");
        }
        JsonNode model = root.path("model");
        JsonNode vocab = model.path("vocab");
        long maxId = -1;
        if (vocab.isObject()) { // WordPiece, BPE, WordLevel: token -> id
            for (Map.Entry<String, JsonNode> e : vocab.properties()) {
                maxId = Math.max(maxId, id(source, "model.vocab[\"" + e.getKey() + "\"]", e.getValue()));
            }
        } else if (vocab.isArray()) { // Unigram: [token, score] pairs, the id is the position
            maxId = vocab.size() - 1L;
        } else {
            throw new IllegalArgumentException(source + " is not a tokenizer.json: it has no model.vocab");
        }
        for (JsonNode added : root.path("added_tokens")) {
            maxId = Math.max(maxId, id(source, "added_tokens[].id", added.path("id")));
        }
        if (maxId < 0) {
            throw new IllegalArgumentException(source + " has an empty vocabulary");
        }
        if (maxId >= Integer.MAX_VALUE) {
            throw new IllegalArgumentException(source + ": token id " + maxId + " does not fit an int");
        }
        int maxCharsPerWord = checkWordPiece(source, model, vocab);
        int padId = padId(root, vocab);
        if (padId < 0 || padId > maxId) {
            throw new IllegalArgumentException(source + ": padding id " + padId + " is outside the vocabulary of "
                    + (maxId + 1) + " tokens");
        }
        JsonNode normalizer = root.path("normalizer");
        boolean bertNormalizer = normalizer.isMissingNode() || normalizer.isNull()
                || "BertNormalizer".equals(normalizer.path("type").asText(null));
        boolean splitsCjk = "BertNormalizer".equals(normalizer.path("type").asText(null))
                && normalizer.path("handle_chinese_chars").asBoolean(true);
        boolean bertPreTokenizer = "BertPreTokenizer".equals(root.path("pre_tokenizer").path("type").asText(null));
        ObjectNode forNative = ((ObjectNode) root).deepCopy();
        forNative.putNull("truncation");
        forNative.putNull("padding");
        byte[] nativeJson;
        try {
            nativeJson = JSON.writeValueAsBytes(forNative);
        } catch (JacksonException e) {
            throw new IllegalStateException("cannot re-serialise " + source, e);
        }
        return new TokenizerJson(source, (int) (maxId + 1), padId, maxCharsPerWord, bertPreTokenizer, bertNormalizer,
                splitsCjk, nativeJson);
    }

    /** Checks the settings of a WordPiece model that fail only at encode time; returns max_input_chars_per_word. */
    private static int checkWordPiece(String source, JsonNode model, JsonNode vocab) {
        JsonNode type = model.path("type");
        if (!type.isTextual() || !type.asText().equals("WordPiece")) {
            throw new IllegalArgumentException(source + ": model.type is " + (type.isMissingNode() ? "missing" : type)
                    + "; Graft runs BERT-family WordPiece tokenizers only (model.type \"WordPiece\")");
        }
        JsonNode unk = model.path("unk_token");
        if (!unk.isTextual() || unk.asText().isEmpty()) {
            throw new IllegalArgumentException(source + ": model.unk_token is " + (unk.isMissingNode() ? "missing" : unk)
                    + "; a WordPiece tokenizer needs an unknown token (usually \"[UNK]\") for characters outside its vocabulary");
        }
        if (!vocab.isObject() || !vocab.has(unk.asText())) {
            throw new IllegalArgumentException(source + ": model.unk_token " + unk + " is not in model.vocab;"
                    + " the first character outside the vocabulary would make the tokenizer fail");
        }
        JsonNode prefix = model.path("continuing_subword_prefix");
        if (!prefix.isMissingNode() && (!prefix.isTextual() || prefix.asText().isEmpty())) {
            throw new IllegalArgumentException(source + ": model.continuing_subword_prefix must be a non-empty string"
                    + " (usually \"##\"), is " + prefix);
        }
        JsonNode maxChars = model.path("max_input_chars_per_word");
        if (maxChars.isMissingNode()) {
            return 100; // the tokenizers library's default
        }
        if (!maxChars.isIntegralNumber() || !maxChars.canConvertToInt() || maxChars.asInt() < 1) {
            throw new IllegalArgumentException(source + ": model.max_input_chars_per_word must be a positive integer,"
                    + " is " + maxChars);
        }
        return maxChars.asInt();
    }

    private static long id(String source, String field, JsonNode node) {
        if (!node.canConvertToLong() || !node.isIntegralNumber() || node.asLong() < 0) {
            throw new IllegalArgumentException(source + ": " + field + " is not a non-negative integer id: " + node);
        }
        return node.asLong();
    }

    private static int padId(JsonNode root, JsonNode vocab) {
        JsonNode padding = root.path("padding").path("pad_id");
        if (padding.isIntegralNumber()) {
            return padding.asInt();
        }
        JsonNode pad = vocab.path("[PAD]");
        return pad.isIntegralNumber() ? pad.asInt() : 0;
    }
}
