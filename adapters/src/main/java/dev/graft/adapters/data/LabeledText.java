package dev.graft.adapters.data;

import java.util.Objects;

/**
 * One text example with its class label, or with {@code label == null} when the input is unlabelled (text to
 * predict on). {@code source} says where it was read from and is {@code null} for examples built in code; it takes
 * part in {@code equals} like any record component.
 */
public record LabeledText(String text, String label, SourceLine source) {

    public LabeledText {
        Objects.requireNonNull(text, "text");
    }

    /** An example with no recorded source. */
    public LabeledText(String text, String label) {
        this(text, label, null);
    }

    /** Whether this example carries a label. */
    public boolean labelled() {
        return label != null;
    }
}
