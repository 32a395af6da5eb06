package dev.graft.attention.spec;

/**
 * A malformed or invalid attention spec: the message names the spec, the problem and the 0-based position in the
 * text (with a caret under it); {@link #position()} gives it to programs (-1 when the problem is not at one place,
 * e.g. a layer range outside a model).
 */
public final class AttentionSpecException extends IllegalArgumentException {
    private final int position;

    AttentionSpecException(String spec, int position, String problem) {
        super(position < 0 ? "attention spec '" + spec + "': " + problem
                : "attention spec '" + spec + "', position " + position + ": " + problem + "\n  " + spec + "\n  "
                        + " ".repeat(Math.min(position, spec.length())) + "^");
        this.position = position;
    }

    /** 0-based index into the spec text where the problem is, or -1. */
    public int position() {
        return position;
    }
}
