package dev.graft.backbones.huggingface;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.backbones.bert.BertConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads and writes the {@code config.json} of a Hugging Face {@code BertModel}.
 *
 * <p>Reading requires the seven size fields and applies the defaults of transformers' {@code BertConfig} to the
 * three it may omit ({@code type_vocab_size} 2, {@code layer_norm_eps} 1e-12, {@code hidden_act} "gelu"), so a
 * file loads here exactly as it would there. Settings the encoder does not implement are rejected, not ignored:
 * a {@code model_type} other than "bert" (RoBERTa-style models offset position ids, DistilBERT names its
 * tensors differently), a {@code hidden_act} other than exact "gelu", a {@code position_embedding_type} other
 * than "absolute", a decoder. A config without {@code model_type} (written by very old transformers versions) is
 * accepted: the tensor names and shapes are checked anyway. Numbers must be in a sane range: {@code layer_norm_eps}
 * finite and at most {@link BertConfig#MAX_LAYER_NORM_EPS} (a {@code 1e300} would be +∞ as a float32 and every
 * output NaN), the dropout probabilities in [0, 1).
 */
final class HfBertConfigJson {
    static final String FILE = "config.json";

    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    /** Dropout probabilities a BERT config may hold; unused at inference, but a value outside [0, 1) is a broken file. */
    private static final java.util.List<String> DROPOUTS = java.util.List.of("hidden_dropout_prob",
            "attention_probs_dropout_prob", "classifier_dropout");

    private HfBertConfigJson() {
    }

    static BertConfig read(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (JacksonException e) {
            throw new HfFormatException(file, "not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new HfFormatException(file, "must hold a JSON object");
        }
        String modelType = text(file, root, "model_type", null);
        if (modelType != null && !modelType.equals("bert")) {
            throw new HfFormatException(file, "model_type is '" + modelType + "' but only 'bert' checkpoints load as a"
                    + " BERT encoder (other families differ in position ids, tensor names or layer layout)");
        }
        String act = text(file, root, "hidden_act", "gelu");
        if (!act.equals("gelu")) {
            throw new HfFormatException(file, "hidden_act is '" + act + "' but Graft's BERT encoder implements only"
                    + " 'gelu' (the exact erf form)");
        }
        String positions = text(file, root, "position_embedding_type", "absolute");
        if (!positions.equals("absolute")) {
            throw new HfFormatException(file, "position_embedding_type is '" + positions
                    + "' but Graft's BERT encoder implements only 'absolute'");
        }
        JsonNode decoder = root.get("is_decoder");
        if (decoder != null && decoder.asBoolean(false)) {
            throw new HfFormatException(file, "is_decoder is true but Graft's BERT encoder is an encoder only");
        }
        double eps = number(file, root, "layer_norm_eps", 1e-12);
        if (!(eps >= Float.MIN_NORMAL && eps <= BertConfig.MAX_LAYER_NORM_EPS)) { // also NaN, ±Inf, 1e300, 1e-50
            throw new HfFormatException(file, "layer_norm_eps is " + root.get("layer_norm_eps") + "; it must be a finite"
                    + " number in [" + Float.MIN_NORMAL + ", " + BertConfig.MAX_LAYER_NORM_EPS + "] (BERT models use 1e-12"
                    + " to 1e-5)");
        }
        for (String dropout : DROPOUTS) {
            double p = number(file, root, dropout, 0);
            if (!(p >= 0 && p < 1)) {
                throw new HfFormatException(file, dropout + " is " + root.get(dropout) + "; a dropout probability must be in [0, 1)");
            }
        }
        try {
            return new BertConfig(
                    integer(file, root, "vocab_size", null),
                    integer(file, root, "hidden_size", null),
                    integer(file, root, "num_hidden_layers", null),
                    integer(file, root, "num_attention_heads", null),
                    integer(file, root, "intermediate_size", null),
                    integer(file, root, "max_position_embeddings", null),
                    integer(file, root, "type_vocab_size", 2),
                    (float) eps);
        } catch (IllegalArgumentException e) {
            throw new HfFormatException(file, e.getMessage(), e);
        }
    }

    /** Writes the config of a transformers {@code BertModel} with {@code c}'s hyper-parameters. */
    static void write(BertConfig c, Path file) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.putArray("architectures").add("BertModel");
        root.put("model_type", "bert");
        root.put("vocab_size", c.vocabSize());
        root.put("hidden_size", c.hiddenSize());
        root.put("num_hidden_layers", c.numLayers());
        root.put("num_attention_heads", c.numHeads());
        root.put("intermediate_size", c.intermediateSize());
        root.put("max_position_embeddings", c.maxPositions());
        root.put("type_vocab_size", c.typeVocabSize());
        // the float's shortest decimal form (1e-12, not 9.999999960041972E-13), so Python reads back the same float32
        root.put("layer_norm_eps", Double.parseDouble(Float.toString(c.layerNormEps())));
        root.put("hidden_act", "gelu");
        root.put("position_embedding_type", "absolute");
        root.put("torch_dtype", "float32");
        Files.write(file, JSON.writeValueAsBytes(root));
    }

    private static String text(Path file, JsonNode root, String field, String fallback) throws HfFormatException {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isTextual()) {
            throw new HfFormatException(file, field + " must be a string, is " + n);
        }
        return n.textValue();
    }

    private static int integer(Path file, JsonNode root, String field, Integer fallback) throws HfFormatException {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            if (fallback == null) {
                throw new HfFormatException(file, "missing field '" + field + "'");
            }
            return fallback;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new HfFormatException(file, field + " must be a 32-bit integer, is " + n);
        }
        return n.intValue();
    }

    private static double number(Path file, JsonNode root, String field, double fallback) throws HfFormatException {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isNumber()) {
            throw new HfFormatException(file, field + " must be a number, is " + n);
        }
        return n.doubleValue();
    }
}
