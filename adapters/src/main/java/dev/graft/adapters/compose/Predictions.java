package dev.graft.adapters.compose;

import dev.graft.adapters.head.HeadOutput;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The outputs of one call, by head name, typed per head kind. Immutable. */
public record Predictions(Map<String, HeadOutput> outputs) {

    public Predictions {
        outputs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
    }

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

    public HeadOutput.Classification classification(String name) {
        return get(name, HeadOutput.Classification.class);
    }

    public HeadOutput.Tagging tagging(String name) {
        return get(name, HeadOutput.Tagging.class);
    }

    public HeadOutput.Embedding embedding(String name) {
        return get(name, HeadOutput.Embedding.class);
    }

    public HeadOutput.Regression regression(String name) {
        return get(name, HeadOutput.Regression.class);
    }
}
