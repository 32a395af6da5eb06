package dev.graft.backbones.tokenizer;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;

/**
 * What Graft reads itself from a Hugging Face {@code tokenizer.json} before handing it to the native tokenizer:
 * the vocabulary size (to check against the embedding table) and the padding id. Reading it in Java first also
 * means a file that is not JSON, or not a tokenizer, fails with a message naming the file instead of reaching the
 * native parser.
 *
 * @param source    the file (or resource) name, for messages
 * @param vocabSize highest token id + 1, over the model vocabulary and the added tokens (what Hugging Face calls
 *                  {@code get_vocab_size(with_added_tokens=True)} for a contiguous vocabulary)
 * @param padId     the id padding positions hold: {@code padding.pad_id} if the file sets it, else the id of
 *                  {@code [PAD]}, else 0
 */
record TokenizerJson(String source, int vocabSize, int padId) {

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
        JsonNode vocab = root.path("model").path("vocab");
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
        int padId = padId(root, vocab);
        if (padId < 0 || padId > maxId) {
            throw new IllegalArgumentException(source + ": padding id " + padId + " is outside the vocabulary of "
                    + (maxId + 1) + " tokens");
        }
        return new TokenizerJson(source, (int) (maxId + 1), padId);
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
