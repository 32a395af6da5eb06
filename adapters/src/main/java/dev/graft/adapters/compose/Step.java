package dev.graft.adapters.compose;

import dev.graft.adapters.head.FeatureKind;

/**
 * One step of a composed model's {@link Plan}. A call is always the same sequence: tokenise once; then, for the
 * requested heads without an adapter and for each distinct adapter among the requested heads, run the backbone
 * once (with that adapter's hooks), derive each kind of features those heads read (once per kind), run each head.
 */
public sealed interface Step {

    /**
     * Tokenise the inputs.
     *
     * @param byWords keep word boundaries (a word-level head is requested)
     */
    record Tokenize(boolean byWords) implements Step {
    }

    /**
     * One backbone forward pass.
     *
     * @param allLayers keep every layer's hidden states (a head reads a layer other than the last, or a mix)
     * @param pass      which of the model's passes: 0 the plain backbone, 1, 2, … one per distinct adapter
     * @param adapter   the adapter the pass runs with ({@code Adapter.describe()}, "(merged)" when folded into
     *                  weight copies), or null for the plain backbone
     */
    record Encode(boolean allLayers, int pass, String adapter) implements Step {

        /** A pass through the plain backbone. */
        public Encode(boolean allLayers) {
            this(allLayers, 0, null);
        }
    }

    /** Derive the feature rows of one kind from the hidden states. */
    record Derive(FeatureKind kind) implements Step {
    }

    /** Run the head called {@code name} on its features. */
    record RunHead(String name, String type) implements Step {
    }

    /**
     * Backbone work for rows that read it through different adapters ({@link ComposedModel#predictRows}; one Route per
     * length bucket of the call's rows): rows sorted by adapter into contiguous segments and, when {@code onePass},
     * one forward pass over all of them with
     * each segment's hooks applied to its rows only ({@code SiteHooks.routed}); otherwise (an adapter folded into
     * weight copies cannot be routed per row) one pass per segment.
     *
     * @param allLayers keep every layer's hidden states
     * @param onePass   one routed pass (true) or one pass per segment (false)
     * @param tokens    the longest row's tokens (a routed pass's padded length; 0 when not known)
     * @param segments  the segments in pass-row order
     */
    record Route(boolean allLayers, boolean onePass, int tokens, java.util.List<Segment> segments) implements Step {
        public Route {
            segments = java.util.List.copyOf(segments);
        }
    }

    /**
     * Rows {@code [firstRow, firstRow + inputs.size())} of a routed pass, read through one of the model's passes.
     *
     * @param pass     0 the plain backbone, 1, 2, … one per distinct adapter
     * @param adapter  that pass's adapter ({@code describe()}), or null for none
     * @param firstRow the segment's first row in the pass
     * @param inputs   the input row (index into the call) of each of the segment's rows
     */
    record Segment(int pass, String adapter, int firstRow, java.util.List<Integer> inputs) {
        public Segment {
            inputs = java.util.List.copyOf(inputs);
        }
    }
}
