package dev.graft.adapters.head;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.backbones.bert.BertBackbone;
import java.util.Objects;

/**
 * The identity of a backbone as far as a head is concerned: what it was trained on, recorded with it, and what
 * it is checked against when attached. The hash is of the weights file, so a renamed copy still matches and a
 * fine-tuned variant of the same architecture does not.
 *
 * @param name       registry name or directory the backbone was loaded from (informative)
 * @param sha256     SHA-256 of the weights file (hex)
 * @param hiddenSize width of every hidden state
 * @param numLayers  transformer layers (the backbone has numLayers + 1 stages)
 */
public record BackboneInfo(
        @JsonProperty("name") String name,
        @JsonProperty("sha256") String sha256,
        @JsonProperty("hidden_size") int hiddenSize,
        @JsonProperty("num_layers") int numLayers) {

    /** Bounds that no real encoder comes near; a config beyond them is broken and would be built before it fails. */
    public static final int MAX_HIDDEN_SIZE = 1 << 16;
    public static final int MAX_LAYERS = 1024;

    public BackboneInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(sha256, "sha256");
        if (hiddenSize <= 0 || numLayers <= 0) {
            throw new IllegalArgumentException("backbone " + name + ": hidden_size and num_layers must be positive, got "
                    + hiddenSize + " and " + numLayers);
        }
        if (hiddenSize > MAX_HIDDEN_SIZE || numLayers > MAX_LAYERS) {
            throw new IllegalArgumentException("backbone " + name + ": hidden_size " + hiddenSize + " and num_layers "
                    + numLayers + " must be at most " + MAX_HIDDEN_SIZE + " and " + MAX_LAYERS + " (BERT-family encoders"
                    + " have 128 to 1024 and 2 to 24)");
        }
    }

    public static BackboneInfo of(BertBackbone backbone) {
        return new BackboneInfo(backbone.checkpoint().name(), backbone.checkpoint().sha256(),
                backbone.config().hiddenSize(), backbone.config().numLayers());
    }

    /** Whether a head recorded against {@code this} may run on {@code other}: same weights, same shapes. */
    public boolean sameWeightsAs(BackboneInfo other) {
        return sha256.equals(other.sha256) && hiddenSize == other.hiddenSize && numLayers == other.numLayers;
    }

    /** Short form for messages: name and the hash's first 12 hex digits. */
    public String describe() {
        return name + " (sha256 " + sha256.substring(0, Math.min(12, sha256.length())) + "…, hidden " + hiddenSize
                + ", " + numLayers + " layers)";
    }
}
