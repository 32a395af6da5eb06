package dev.graft.adapters.compose;

import java.util.List;
import java.util.Objects;

/**
 * One row of a routed call ({@link ComposedModel#predictRows}): a text and the heads to run on it.
 *
 * @param text  the input text
 * @param heads the names of the heads to run on this row, in the order their outputs are wanted; empty means every
 *              head of the model
 */
public record Request(String text, List<String> heads) {

    /** Copies {@code heads} (null is the same as empty: every head). */
    public Request {
        Objects.requireNonNull(text, "text");
        heads = heads == null ? List.of() : List.copyOf(heads);
    }

    /** A row that runs every head of the model. */
    public static Request of(String text) {
        return new Request(text, List.of());
    }
}
