package dev.graft.adapters.data;

import java.util.List;

/**
 * A label (or tag) that the training data never had, met while mapping evaluation or training examples to class
 * indices. The message names the label, where it was seen ({@code file:line} when known) and the known labels.
 */
public final class UnknownLabelException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private static final int MAX_LISTED = 200;

    private final String label;
    private final String where;
    private final transient List<String> knownLabels;

    public UnknownLabelException(String label, String where, List<String> knownLabels) {
        super(message(label, where, knownLabels));
        this.label = label;
        this.where = where;
        this.knownLabels = List.copyOf(knownLabels);
    }

    /** The label that is not known. */
    public String label() {
        return label;
    }

    /** Where it was seen ({@code file:line}, possibly with a word position), or {@code null} if not known. */
    public String where() {
        return where;
    }

    /** The labels the training data has, in index order. */
    public List<String> knownLabels() {
        return knownLabels;
    }

    private static String message(String label, String where, List<String> known) {
        String listed = known.size() <= MAX_LISTED ? known.toString()
                : known.subList(0, MAX_LISTED) + " … and " + (known.size() - MAX_LISTED) + " more";
        return "unknown label '" + label + "'" + (where == null ? "" : " at " + where)
                + ": it is not one of the " + known.size() + " labels seen in training " + listed;
    }
}
