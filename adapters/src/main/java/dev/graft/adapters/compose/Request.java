package dev.graft.adapters.compose;

import java.util.List;
import java.util.Objects;

/**
 * One row of a {@link ComposedModel#predictRows} call: a text and the heads to run on it.
 *
 * @param text  the input text
 * @param heads the heads to run on it, by name; empty = every head of the model
 */
public record Request(String text, List<String> heads) {

    public Request {
        Objects.requireNonNull(text, "text");
        heads = heads == null ? List.of() : List.copyOf(heads);
    }

    /** A row for every head of the model. */
    public Request(String text) {
        this(text, List.of());
    }

    /** A row for the named heads. */
    public static Request of(String text, String... heads) {
        return new Request(text, List.of(heads));
    }
}
