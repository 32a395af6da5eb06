package dev.graft.adapters.compose;

import dev.graft.adapters.head.FeatureKind;

/**
 * One step of a composed model's {@link Plan}. A call is always the same sequence: tokenise once, run the
 * backbone once, derive each kind of features the requested heads read (once per kind), run each head.
 */
public sealed interface Step {

    /**
     * Tokenise the inputs.
     *
     * @param byWords keep word boundaries (a word-level head is requested)
     */
    record Tokenize(boolean byWords) implements Step {
    }

    /**
     * One backbone forward pass.
     *
     * @param allLayers keep every layer's hidden states (a head reads a layer other than the last, or a mix)
     */
    record Encode(boolean allLayers) implements Step {
    }

    /** Derive the feature rows of one kind from the hidden states. */
    record Derive(FeatureKind kind) implements Step {
    }

    /** Run the head called {@code name} on its features. */
    record RunHead(String name, String type) implements Step {
    }
}
