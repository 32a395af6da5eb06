package dev.graft.adapters.compose;

import dev.graft.adapters.composition.Composition;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What one call does, as data: the steps {@link ComposedModel} executes, in order. Printing a plan shows that
 * eight heads still cost one backbone pass — one per distinct adapter when heads read the backbone through
 * adapters.
 */
public record Plan(List<Step> steps) {

    public Plan {
        steps = List.copyOf(steps);
    }

    /** How many backbone passes the plan makes: one for the plain heads, one per distinct adapter. */
    public long backbonePasses() {
        return steps.stream().mapToLong(s -> switch (s) {
            case Step.Encode e -> 1;
            case Step.Route r -> r.onePass() ? 1 : r.segments().size();
            default -> 0;
        }).sum();
    }

    @Override
    public String toString() {
        return steps.stream().map(Plan::describe).collect(Collectors.joining("\n  ", "Plan:\n  ", ""));
    }

    private static String layers(dev.graft.adapters.head.LayerSelection l) {
        return switch (l) {
            case dev.graft.adapters.head.LayerSelection.Last x -> "last layer";
            case dev.graft.adapters.head.LayerSelection.Mix x -> "every layer (for a learned mix)";
            case dev.graft.adapters.head.LayerSelection.Layer x -> x.index() == 0 ? "embeddings" : "layer " + x.index();
        };
    }

    private static String describe(Step s) {
        return switch (s) {
            case Step.Tokenize t -> "tokenize" + (t.byWords() ? " (keeping word boundaries)" : "");
            case Step.Encode e -> (e.adapter() == null ? "encode once"
                    : "encode once with " + (Composition.isBlock(e.adapter()) ? "" : "adapter ") + e.adapter())
                    + (e.allLayers() ? " (keeping every layer's hidden states)" : "");
            case Step.Route r -> (r.onePass() ? "encode once (rows of up to " + r.tokens() + " tokens), routed: "
                    + r.segments().size() + " segment"
                    + (r.segments().size() == 1 ? "" : "s") : "encode each segment on its own (an adapter merged into"
                    + " weight copies cannot be routed per row): " + r.segments().size() + " passes")
                    + (r.allLayers() ? " (keeping every layer's hidden states)" : "")
                    + r.segments().stream().map(Plan::describe).collect(Collectors.joining("", "", ""));
            case Step.Derive d -> switch (d.kind()) {
                case dev.graft.adapters.head.FeatureKind.Pooled p -> "pool (" + p.pooling().name().toLowerCase(java.util.Locale.ROOT)
                        + ") hidden states: " + layers(p.layers());
                case dev.graft.adapters.head.FeatureKind.WordTokens w -> "gather each word's first sub-token: " + layers(w.layers());
            };
            case Step.RunHead h -> "run head '" + h.name() + "' (" + h.type() + ")";
        };
    }

    private static String describe(Step.Segment g) {
        int last = g.firstRow() + g.inputs().size() - 1;
        return "\n    " + (g.adapter() == null ? "no adapter" : g.adapter()) + ": rows " + g.firstRow()
                + (last > g.firstRow() ? "–" + last : "") + " (input" + (g.inputs().size() == 1 ? " " : "s ")
                + g.inputs().stream().map(String::valueOf).collect(Collectors.joining(", ")) + ")";
    }
}
