package dev.graft.attention.spec;

import dev.graft.attention.AttentionKernel;
import dev.graft.core.kernels.Kernels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An attention pattern per layer: ranges of layers, each with a pattern; layers no range covers are dense.
 * Immutable; {@link #toString()} is the canonical text, which {@link #parse} reads back to an equal spec and which
 * a composed model's provenance records.
 *
 * <p>Text syntax (whitespace allowed between tokens; names are case-insensitive):
 * <pre>
 * spec     := entry ( ',' entry )*
 * entry    := layers ':' pattern
 * layers   := 'all' | N | N '-' M                  layers are numbered from 0, bottom first; M inclusive
 * pattern  := 'dense'
 *           | 'window(' W [ ',dilation=' D ] [ ',global=' G ] ')'
 *           | 'blocksparse(' [ B ] [ ',window=' w ] [ ',global=' g ] [ ',random=' r ] [ ',seed=' s ] ')'
 *           | 'topk(' K ')'
 * G        := item ( '|' item )*                    item := 'cls' (position 0) | N | N '..' M
 * </pre>
 * The first argument of a pattern may be given without its name ({@code width}, {@code block}, {@code k});
 * the others are named. Examples: {@code 0-2:window(8,global=cls),3-5:dense}; {@code all:topk(8)};
 * {@code all:blocksparse(64,window=3,global=2,random=3,seed=7)}; {@code all:window(256,global=0..15)}.
 *
 * <p>Errors ({@link AttentionSpecException}) name the position in the text: malformed syntax, unknown pattern or
 * argument names, values out of range (window ≤ 0, k ≤ 0, …), reversed or overlapping layer ranges; and, when the
 * spec meets a model ({@link #perLayer}), a range outside its layers. k larger than a call's T is reported by
 * the top-k kernel when it runs.
 */
public final class AttentionSpec {

    /** Layers {@code first..last} (inclusive), or all of a model's layers ({@link #ALL}). */
    public record Layers(int first, int last) {
        public static final Layers ALL = new Layers(0, Integer.MAX_VALUE);

        public Layers {
            if (first < 0 || last < first) {
                throw new IllegalArgumentException("layer range " + first + "-" + last + " must have 0 <= first <= last");
            }
        }

        public static Layers of(int layer) {
            return new Layers(layer, layer);
        }

        public boolean isAll() {
            return equals(ALL);
        }

        public boolean contains(int layer) {
            return layer >= first && layer <= last;
        }

        public boolean overlaps(Layers other) {
            return first <= other.last && other.first <= last;
        }

        @Override
        public String toString() {
            return isAll() ? "all" : first == last ? Integer.toString(first) : first + "-" + last;
        }
    }

    /** One range and its pattern. */
    public record Entry(Layers layers, AttentionPattern pattern) {
        public Entry {
            Objects.requireNonNull(layers, "layers");
            Objects.requireNonNull(pattern, "pattern");
        }

        @Override
        public String toString() {
            return layers + ":" + pattern;
        }
    }

    private final List<Entry> entries;
    /** Where each entry starts in the parsed text, or -1 for a spec built in code. */
    private final int[] positions;
    private final String source;

    private AttentionSpec(List<Entry> entries, int[] positions, String source) {
        this.entries = List.copyOf(entries);
        this.positions = positions;
        this.source = source;
    }

    /** A spec from entries (no two ranges may overlap). */
    public static AttentionSpec of(List<Entry> entries) {
        int[] positions = new int[entries.size()];
        java.util.Arrays.fill(positions, -1);
        AttentionSpec spec = new AttentionSpec(entries, positions, null);
        for (int i = 0; i < entries.size(); i++) {
            for (int j = 0; j < i; j++) {
                if (entries.get(i).layers().overlaps(entries.get(j).layers())) {
                    throw new AttentionSpecException(spec.toString(), -1, overlap(entries.get(i).layers(), entries.get(j).layers()));
                }
            }
        }
        return spec;
    }

    /** Dense attention in every layer: the default. */
    public static AttentionSpec dense() {
        return all(new AttentionPattern.Dense());
    }

    /** One pattern in every layer. */
    public static AttentionSpec all(AttentionPattern pattern) {
        return of(List.of(new Entry(Layers.ALL, pattern)));
    }

    /** Reads the text syntax described above. */
    public static AttentionSpec parse(String text) {
        Objects.requireNonNull(text, "spec");
        SpecParser p = new SpecParser(text);
        List<Entry> entries = p.parse();
        return new AttentionSpec(entries, p.entryPositions(), text);
    }

    public List<Entry> entries() {
        return entries;
    }

    /** The pattern of one layer (dense where no range covers it). */
    public AttentionPattern patternFor(int layer) {
        for (Entry e : entries) {
            if (e.layers().contains(layer)) {
                return e.pattern();
            }
        }
        return new AttentionPattern.Dense();
    }

    /**
     * The pattern of each of a model's layers, bottom first.
     *
     * @throws AttentionSpecException when a range (other than {@code all}) reaches past the model's last layer
     */
    public List<AttentionPattern> perLayer(int numLayers) {
        if (numLayers < 1) {
            throw new IllegalArgumentException("a model has at least one layer, was " + numLayers);
        }
        for (int i = 0; i < entries.size(); i++) {
            Layers l = entries.get(i).layers();
            if (!l.isAll() && l.last() >= numLayers) {
                throw new AttentionSpecException(source != null ? source : toString(), positions[i],
                        "layer range " + l + " is outside the model's " + numLayers + " layers (0-" + (numLayers - 1) + ")");
            }
        }
        List<AttentionPattern> out = new ArrayList<>(numLayers);
        for (int layer = 0; layer < numLayers; layer++) {
            out.add(patternFor(layer));
        }
        return out;
    }

    /** One kernel per layer (layers with equal patterns share one kernel instance; kernels are thread-safe). */
    public List<AttentionKernel> kernels(Kernels kernels, int numLayers) {
        Map<AttentionPattern, AttentionKernel> made = new HashMap<>();
        List<AttentionKernel> out = new ArrayList<>(numLayers);
        for (AttentionPattern p : perLayer(numLayers)) {
            out.add(made.computeIfAbsent(p, q -> AttentionKernels.create(q, kernels)));
        }
        return List.copyOf(out);
    }

    static String overlap(Layers later, Layers earlier) {
        return "layers " + later + " overlap layers " + earlier + " given before (each layer takes one pattern)";
    }

    /** The canonical text: entries in the given order, each {@code layers:pattern}, joined by commas. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Entry e : entries) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(e);
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AttentionSpec s && s.entries.equals(entries);
    }

    @Override
    public int hashCode() {
        return entries.hashCode();
    }
}
