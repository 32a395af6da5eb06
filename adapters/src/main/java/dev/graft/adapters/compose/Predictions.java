package dev.graft.adapters.compose;

import dev.graft.adapters.head.HeadOutput;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The outputs of one call, by head name, typed per head kind. Immutable. */
public record Predictions(Map<String, HeadOutput> outputs) {

    /** Copies {@code outputs} (unmodifiable, in its iteration order). */
    public Predictions {
        outputs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
    }

    /** The names of the heads that ran, in the order they were added. */
    public Set<String> heads() {
        return outputs.keySet();
    }

    /** The output of head {@code name}, of the expected kind. */
    public <T extends HeadOutput> T get(String name, Class<T> kind) {
        HeadOutput out = outputs.get(name);
        if (out == null) {
            throw new IllegalArgumentException("no output for head '" + name + "' in this call (heads run: "
                    + outputs.keySet() + ")");
        }
        if (!kind.isInstance(out)) {
            throw new IllegalArgumentException("head '" + name + "' returned " + out.getClass().getSimpleName()
                    + ", not " + kind.getSimpleName());
        }
        return kind.cast(out);
    }

    /** The output of classification head {@code name}; fails if it is not a classification head. */
    public HeadOutput.Classification classification(String name) {
        return get(name, HeadOutput.Classification.class);
    }

    /** The output of token-classification head {@code name}; fails if it is not a tagging head. */
    public HeadOutput.Tagging tagging(String name) {
        return get(name, HeadOutput.Tagging.class);
    }

    /** The output of embedding head {@code name}; fails if it is not an embedding head. */
    public HeadOutput.Embedding embedding(String name) {
        return get(name, HeadOutput.Embedding.class);
    }

    /** The output of regression head {@code name}; fails if it is not a regression head. */
    public HeadOutput.Regression regression(String name) {
        return get(name, HeadOutput.Regression.class);
    }
}
