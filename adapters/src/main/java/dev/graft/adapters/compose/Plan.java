package dev.graft.adapters.compose;

import java.util.List;
import java.util.stream.Collectors;

/**
 * What one call does, as data: the steps {@link ComposedModel} executes, in order. Printing a plan shows that
 * eight heads still cost one backbone pass.
 */
public record Plan(List<Step> steps) {

    public Plan {
        steps = List.copyOf(steps);
    }

    /** How many backbone passes the plan makes (always one). */
    public long backbonePasses() {
        return steps.stream().filter(s -> s instanceof Step.Encode).count();
    }

    @Override
    public String toString() {
        return steps.stream().map(Plan::describe).collect(Collectors.joining("\n  ", "Plan:\n  ", ""));
    }

    private static String describe(Step s) {
        return switch (s) {
            case Step.Tokenize t -> "tokenize" + (t.byWords() ? " (keeping word boundaries)" : "");
            case Step.Encode e -> "encode once" + (e.allLayers() ? " (keeping every layer's hidden states)" : "");
            case Step.Derive d -> "derive " + d.kind();
            case Step.RunHead h -> "run head '" + h.name() + "' (" + h.type() + ")";
        };
    }
}
