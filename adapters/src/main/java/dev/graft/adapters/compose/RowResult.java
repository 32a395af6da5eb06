package dev.graft.adapters.compose;

import dev.graft.adapters.head.HeadOutput;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The answer to one row of a routed call ({@link ComposedModel#predictRows}): either the outputs of the heads the
 * row asked for, or the reason the row failed.
 *
 * @param index   the row's index among the call's requests
 * @param outputs head name → that head's output for this row alone (each of {@link HeadOutput#size()} 1), in the
 *                order the row named the heads (the model's order when it named none); empty when the row failed
 * @param error   why the row failed (an unknown head: naming it and the model's heads), or null
 */
public record RowResult(int index, Map<String, HeadOutput> outputs, String error) {

    /** Copies {@code outputs} (unmodifiable, in its iteration order). */
    public RowResult {
        outputs = outputs == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
    }

    /** Whether the row was answered. */
    public boolean ok() {
        return error == null;
    }
}
