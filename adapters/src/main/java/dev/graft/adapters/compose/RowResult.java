package dev.graft.adapters.compose;

import dev.graft.adapters.head.HeadOutput;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The answer to one row of a {@link ComposedModel#predictRows} call: each requested head's output for that row
 * alone (every {@link HeadOutput} has size 1), in the order the row named the heads, or the reason the row failed.
 *
 * @param index   the row's position in the call's input
 * @param outputs head name → that head's output for this row (empty when the row failed)
 * @param error   why the row failed (an unknown head names it and the model's heads), or null
 */
public record RowResult(int index, Map<String, HeadOutput> outputs, String error) {

    public RowResult {
        outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
    }

    public boolean ok() {
        return error == null;
    }
}
