package dev.graft.adapters.head;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * What one backbone pass produced for one call, as the heads see it: the inputs and, on demand, feature rows of
 * any {@link FeatureKind}. Each kind is computed once per call however many heads read it. Confined to the
 * calling thread.
 */
public final class Features {
    private final BackboneInfo backbone;
    private final List<String> texts;
    private final List<List<String>> words;
    private final Function<FeatureKind, FeatureRows> compute;
    private final Map<FeatureKind, FeatureRows> computed = new HashMap<>();

    /**
     * @param texts   the input texts (for word-level input, the words joined by spaces)
     * @param words   the words of each input (how texts were split for word-level heads), or null when no head
     *                of this call reads words
     * @param compute computes the rows of a kind from the backbone's output
     */
    public Features(BackboneInfo backbone, List<String> texts, List<List<String>> words,
                    Function<FeatureKind, FeatureRows> compute) {
        this.backbone = Objects.requireNonNull(backbone, "backbone");
        this.texts = List.copyOf(texts);
        this.words = words == null ? null : words.stream().map(List::copyOf).toList();
        this.compute = Objects.requireNonNull(compute, "compute");
    }

    public BackboneInfo backbone() {
        return backbone;
    }

    public int size() {
        return texts.size();
    }

    public List<String> texts() {
        return texts;
    }

    /** The words of each input; throws when this call was not tokenised by words. */
    public List<List<String>> words() {
        if (words == null) {
            throw new IllegalStateException("this call was not split into words (no word-level head was requested)");
        }
        return words;
    }

    /** The rows of {@code kind}, computed on first use. */
    public FeatureRows rows(FeatureKind kind) {
        FeatureRows rows = computed.get(kind);
        if (rows == null) {
            rows = compute.apply(kind);
            computed.put(kind, rows);
        }
        return rows;
    }
}
