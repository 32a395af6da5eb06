package dev.graft.adapters.data;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The labels (or tags) a head is trained on and their class indices. The order is the labels' sorted order
 * ({@link String#compareTo}, locale-independent), not the order of first appearance, so the same data — shuffled
 * or not, train split or its union with dev — always yields the same index for the same label, and a saved head's
 * output {@code i} means {@code label(i)} for anyone who rebuilds the set.
 */
public final class LabelSet {
    private final List<String> labels;
    private final Map<String, Integer> indices;

    private LabelSet(List<String> sortedDistinct) {
        this.labels = List.copyOf(sortedDistinct);
        this.indices = new HashMap<>(labels.size() * 2);
        for (int i = 0; i < labels.size(); i++) {
            indices.put(labels.get(i), i);
        }
    }

    /** The distinct labels of {@code labels}, sorted; none may be null or blank and there must be at least one. */
    public static LabelSet of(Collection<String> labels) {
        TreeSet<String> sorted = new TreeSet<>();
        for (String label : labels) {
            if (label == null || label.isBlank()) {
                throw new IllegalArgumentException("labels must be non-blank, got " + (label == null ? "null" : "'" + label + "'"));
            }
            sorted.add(label);
        }
        if (sorted.isEmpty()) {
            throw new IllegalArgumentException("a label set needs at least one label");
        }
        return new LabelSet(List.copyOf(sorted));
    }

    /** The labels of labelled text examples; an unlabelled example is an error naming where it came from. */
    public static LabelSet ofTexts(Collection<LabeledText> examples) {
        TreeSet<String> sorted = new TreeSet<>();
        for (LabeledText example : examples) {
            if (example.label() == null) {
                throw new IllegalArgumentException("example " + where(example.source()) + " has no label");
            }
            sorted.add(example.label());
        }
        return of(sorted);
    }

    /** The tags of tagged sentences; an untagged sentence is an error naming where it came from. */
    public static LabelSet ofTags(Collection<TaggedSentence> sentences) {
        TreeSet<String> sorted = new TreeSet<>();
        for (TaggedSentence sentence : sentences) {
            if (sentence.tags() == null) {
                throw new IllegalArgumentException("sentence " + where(sentence.source()) + " has no tags");
            }
            sorted.addAll(sentence.tags());
        }
        return of(sorted);
    }

    /** Number of labels (the head's output size). */
    public int size() {
        return labels.size();
    }

    /** The labels in index order. */
    public List<String> labels() {
        return labels;
    }

    /** The label with class index {@code index}. */
    public String label(int index) {
        if (index < 0 || index >= labels.size()) {
            throw new IndexOutOfBoundsException("label index " + index + " is outside [0, " + labels.size() + ")");
        }
        return labels.get(index);
    }

    /** Whether {@code label} is one of the labels. */
    public boolean contains(String label) {
        return indices.containsKey(label);
    }

    /** The class index of {@code label}; throws {@link UnknownLabelException} if it is not in the set. */
    public int index(String label) {
        return index(label, null);
    }

    /**
     * The class index of {@code label}; throws {@link UnknownLabelException} naming {@code where} (e.g.
     * {@code test.csv:17}, may be null) if it is not in the set.
     */
    public int index(String label, String where) {
        Integer index = indices.get(label);
        if (index == null) {
            throw new UnknownLabelException(label, where, labels);
        }
        return index;
    }

    /** The class index of every example's label, in order; unknown labels name the example's source line. */
    public int[] indices(List<LabeledText> examples) {
        int[] out = new int[examples.size()];
        for (int i = 0; i < out.length; i++) {
            LabeledText example = examples.get(i);
            if (example.label() == null) {
                throw new IllegalArgumentException("example " + where(example.source()) + " has no label");
            }
            out[i] = index(example.label(), example.source() == null ? null : example.source().toString());
        }
        return out;
    }

    /**
     * The class index of every tag of every sentence; unknown tags name the sentence's first line and the word's
     * 1-based position.
     */
    public int[][] tagIndices(List<TaggedSentence> sentences) {
        int[][] out = new int[sentences.size()][];
        for (int s = 0; s < out.length; s++) {
            TaggedSentence sentence = sentences.get(s);
            if (sentence.tags() == null) {
                throw new IllegalArgumentException("sentence " + where(sentence.source()) + " has no tags");
            }
            int[] row = new int[sentence.size()];
            for (int w = 0; w < row.length; w++) {
                String tag = sentence.tags().get(w);
                Integer index = indices.get(tag);
                if (index == null) {
                    throw new UnknownLabelException(tag, "sentence " + where(sentence.source()) + ", word " + (w + 1)
                            + " ('" + sentence.words().get(w) + "')", labels);
                }
                row[w] = index;
            }
            out[s] = row;
        }
        return out;
    }

    private static String where(SourceLine source) {
        return source == null ? "(built in code)" : source.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LabelSet other && labels.equals(other.labels);
    }

    @Override
    public int hashCode() {
        return labels.hashCode();
    }

    @Override
    public String toString() {
        return "LabelSet" + labels;
    }
}
