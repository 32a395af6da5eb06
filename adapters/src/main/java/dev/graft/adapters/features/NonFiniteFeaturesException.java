package dev.graft.adapters.features;

/**
 * The backbone gave an input NaN or infinite features (broken or overflowing weights, usually): they are not
 * cached, and a head trained on them would learn nothing. The message names the input — its source
 * {@code file:line} when known, its index and the start of its text.
 */
public final class NonFiniteFeaturesException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final int input;
    private final String source;

    /**
     * @param input   the input's index in the extraction's inputs
     * @param source  where the input comes from ({@code file:line}), or null
     * @param preview the start of the input's text
     * @param value   the first non-finite value
     * @param word    the row of the input it is in (the word for word features, 0 for pooled ones)
     * @param feature its index within the row
     */
    public NonFiniteFeaturesException(int input, String source, String preview, float value, int word, int feature) {
        super((source != null ? source + ": " : "") + "the backbone's features for input " + (input + 1)
                + " (\"" + preview + "\") are not finite (" + value + " at " + (word > 0 ? "word " + (word + 1) + ", " : "")
                + "feature " + feature + "); the model's weights overflow or hold NaN/Inf for it. Nothing was cached.");
        this.input = input;
        this.source = source;
    }

    /** The input's index (0-based) in the inputs being extracted. */
    public int input() {
        return input;
    }

    /** Where the input comes from ({@code file:line}), or null when unknown. */
    public String source() {
        return source;
    }
}
