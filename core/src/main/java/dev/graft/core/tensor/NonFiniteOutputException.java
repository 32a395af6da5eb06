package dev.graft.core.tensor;

import java.util.Objects;

/**
 * A model produced NaN or an infinity for one input: its weights or settings overflow on it (finite weights can
 * still be large enough, or an input long and odd enough). Nothing computed from such a value means anything, so
 * the call fails instead of returning it — an embedding of NaNs, a label chosen from NaN scores, an accuracy over
 * them. The message names the output, the input (its index in the call and the start of its text) and the value;
 * a caller that knows where the input came from re-targets it with {@link #at(String, int)} ({@code file:line}).
 */
public final class NonFiniteOutputException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private static final int EXCERPT = 60;

    private final String output;
    private final int input;
    private final String text;
    private final long element;
    private final float value;
    private final String where;

    /**
     * @param output  what was computed, for the message ("the embedding", "the classification head's output")
     * @param input   index of the input in the call
     * @param text    the input's text
     * @param element index of the first non-finite value within that input's output
     * @param value   that value (NaN, +Inf or -Inf)
     */
    public NonFiniteOutputException(String output, int input, String text, long element, float value) {
        this(output, input, text, element, value, null);
    }

    private NonFiniteOutputException(String output, int input, String text, long element, float value, String where) {
        super(message(output, input, text, element, value, where));
        this.output = Objects.requireNonNull(output, "output");
        this.input = input;
        this.text = text == null ? "" : text;
        this.element = element;
        this.value = value;
        this.where = where;
    }

    private static String message(String output, int input, String text, long element, float value, String where) {
        String quoted = "\"" + excerpt(text == null ? "" : text) + "\"";
        return (where != null ? where + ": " + output + " of " + quoted : output + " of input " + input + " (" + quoted + ")")
                + " is " + value + " (element " + element + "): the model overflows on this input; its weights or"
                + " settings (or an adapter's) are out of range";
    }

    /** The input as the caller knows it: {@code where} ({@code texts.txt:37}) and its index among the caller's inputs. */
    public NonFiniteOutputException at(String where, int input) {
        NonFiniteOutputException e = new NonFiniteOutputException(output, input, text, element, value, where);
        e.setStackTrace(getStackTrace());
        return e;
    }

    /** The same input, re-indexed: {@code input} is its index among the caller's inputs (a batch's caller). */
    public NonFiniteOutputException atInput(int input) {
        NonFiniteOutputException e = new NonFiniteOutputException(output, input, text, element, value, where);
        e.setStackTrace(getStackTrace());
        return e;
    }

    /** The same failure with the output named as the caller knows it ("head 'intent'"). */
    public NonFiniteOutputException withOutput(String output) {
        NonFiniteOutputException e = new NonFiniteOutputException(output, input, text, element, value, where);
        e.setStackTrace(getStackTrace());
        return e;
    }

    public String output() {
        return output;
    }

    /** Index of the input among the inputs of the call (or of the caller, after {@link #atInput}). */
    public int input() {
        return input;
    }

    /** The input's whole text. */
    public String text() {
        return text;
    }

    /** Index of the first non-finite value within the input's output. */
    public long element() {
        return element;
    }

    public float value() {
        return value;
    }

    /** The first characters of {@code text}, on one line. */
    static String excerpt(String text) {
        String oneLine = text.replaceAll("\\s+", " ").strip();
        return oneLine.length() <= EXCERPT ? oneLine : oneLine.substring(0, EXCERPT) + "…";
    }
}
