package dev.graft.adapters.composition;

import dev.graft.adapters.adapter.Adapter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How several adapters combine in one backbone pass, as data: AdapterHub's composition blocks
 * ({@code adapters.composition}). Executing a composition is {@link CompositeAdapter}'s job; this is only the tree.
 *
 * <ul>
 *   <li>{@link Use} — one adapter, by name (AdapterHub's plain string).</li>
 *   <li>{@link Stack} — the children applied in sequence at each site, each reading what the previous one gave.</li>
 *   <li>{@link Average} — the weighted average of the children's outputs at each site.</li>
 *   <li>{@link Fuse} — AdapterFusion: a trained attention ({@link Fusion}) over the children's outputs.</li>
 *   <li>{@link Parallel} — one input, one adapted pass per child, each read by its own head.</li>
 *   <li>{@link BatchSplit} — consecutive rows of the batch per child (per-row routing).</li>
 * </ul>
 *
 * <p>{@link #validate} applies AdapterHub's rules ({@code ALLOWED_NESTINGS} and its depth limits) and the adapter
 * types each block supports; {@code toString()} prints the block as {@code Stack(a, Average(b, c))}.
 */
public sealed interface Composition permits Composition.Use, Composition.Stack, Composition.Average, Composition.Fuse,
        Composition.Parallel, Composition.BatchSplit {

    /** The block's name as AdapterHub spells it ("Stack"), or the adapter's name for a {@link Use}. */
    String label();

    /** The direct children (empty for a {@link Use}). */
    List<Composition> children();

    /** Every adapter name the tree uses, in first-use order (fusions not included). */
    default Set<String> adapterNames() {
        Set<String> names = new LinkedHashSet<>();
        collect(this, names);
        return Collections.unmodifiableSet(names);
    }

    private static void collect(Composition c, Set<String> names) {
        if (c instanceof Use u) {
            names.add(u.adapter());
        }
        c.children().forEach(child -> collect(child, names));
    }

    /**
     * Checks this composition against the adapters it names: AdapterHub's nesting rules, the adapter types each
     * block supports, and that the adapters agree on the shapes of the sites they share.
     *
     * @param adapters the adapters (and, for {@link Fuse}, the trained {@link Fusion}s) by name
     * @throws IllegalArgumentException naming the block and the reason
     */
    default void validate(Map<String, ? extends Adapter> adapters) {
        CompositionRules.validate(this, adapters);
    }

    /** A leaf: the adapter called {@code adapter}. */
    record Use(String adapter) implements Composition {
        public Use {
            Objects.requireNonNull(adapter, "adapter");
            if (adapter.isBlank()) {
                throw new IllegalArgumentException("an adapter name must not be blank");
            }
        }

        @Override
        public String label() {
            return adapter;
        }

        @Override
        public List<Composition> children() {
            return List.of();
        }

        @Override
        public String toString() {
            return adapter;
        }
    }

    /** The children applied one after another at each site (AdapterHub's {@code Stack}). */
    record Stack(List<Composition> children) implements Composition {
        public Stack {
            children = nonEmpty("Stack", children);
        }

        @Override
        public String label() {
            return "Stack";
        }

        @Override
        public String toString() {
            return show(this);
        }
    }

    /**
     * The weighted average of the children's outputs at each site (AdapterHub's {@code Average}). As AdapterHub
     * does by default ({@code normalize_weights=True}) the weights are divided by their sum; none given means equal
     * weights.
     *
     * @param weights one per child, normalised to sum 1
     */
    record Average(List<Composition> children, List<Double> weights) implements Composition {
        public Average {
            children = nonEmpty("Average", children);
            weights = weights == null || weights.isEmpty()
                    ? Collections.nCopies(children.size(), 1.0 / children.size())
                    : normalised(children, weights);
        }

        private static List<Double> normalised(List<Composition> children, List<Double> weights) {
            String block = show("Average", children);
            if (weights.size() != children.size()) {
                throw new IllegalArgumentException(block + ": " + weights.size() + " weights for " + children.size()
                        + " children");
            }
            double sum = 0;
            for (Double w : weights) {
                if (w == null || !Double.isFinite(w)) {
                    throw new IllegalArgumentException(block + ": weight " + w + " is not a finite number");
                }
                sum += w;
            }
            if (sum == 0) {
                throw new IllegalArgumentException(block + ": the weights " + weights + " sum to 0 and cannot be normalised");
            }
            List<Double> out = new ArrayList<>();
            for (Double w : weights) {
                out.add(w / sum);
            }
            return List.copyOf(out);
        }

        @Override
        public String label() {
            return "Average";
        }

        @Override
        public String toString() {
            return show(this).replaceFirst("\\)$", ", weights " + weights + ")");
        }
    }

    /**
     * AdapterFusion over the children (AdapterHub's {@code Fuse}): the trained {@link Fusion} called {@code fusion}
     * attends, at each site, over the children's outputs.
     */
    record Fuse(String fusion, List<Composition> children) implements Composition {
        public Fuse {
            Objects.requireNonNull(fusion, "fusion");
            children = nonEmpty("Fuse", children);
        }

        @Override
        public String label() {
            return "Fuse";
        }

        @Override
        public String toString() {
            return "Fuse[" + fusion + "](" + children.stream().map(Object::toString).collect(Collectors.joining(", ")) + ")";
        }
    }

    /** One input, one adapted pass per child, each read by its own head (AdapterHub's {@code Parallel}). */
    record Parallel(List<Composition> children) implements Composition {
        public Parallel {
            children = nonEmpty("Parallel", children);
        }

        @Override
        public String label() {
            return "Parallel";
        }

        @Override
        public String toString() {
            return show(this);
        }
    }

    /**
     * Consecutive rows of the batch per child: the first {@code batchSizes[0]} rows through the first child, and so
     * on (AdapterHub's {@code BatchSplit}; the sizes must add up to the batch). Executed as per-row routing.
     */
    record BatchSplit(List<Composition> children, List<Integer> batchSizes) implements Composition {
        public BatchSplit {
            children = nonEmpty("BatchSplit", children);
            batchSizes = List.copyOf(batchSizes);
            if (batchSizes.size() != children.size()) {
                throw new IllegalArgumentException(show("BatchSplit", children) + ": " + batchSizes.size()
                        + " batch sizes for " + children.size() + " children");
            }
            for (int s : batchSizes) {
                if (s < 0) {
                    throw new IllegalArgumentException(show("BatchSplit", children) + ": batch size " + s + " is negative");
                }
            }
        }

        /** The rows the sizes add up to. */
        public int rows() {
            return batchSizes.stream().mapToInt(Integer::intValue).sum();
        }

        @Override
        public String label() {
            return "BatchSplit";
        }

        @Override
        public String toString() {
            return show(this).replaceFirst("\\)$", ", batch sizes " + batchSizes + ")");
        }
    }

    /** Whether {@code text} is a block as {@code toString()} prints one ("Stack(a, b)"), not an adapter's description. */
    static boolean isBlock(String text) {
        return text.matches("(Stack|Average|Parallel|BatchSplit)\\(.*|Fuse\\[.*");
    }

    /** {@code Stack(a, b, …)} of adapter names. */
    static Stack stack(String... adapters) {
        return new Stack(uses(adapters));
    }

    /** {@code Stack(children)}. */
    static Stack stack(Composition... children) {
        return new Stack(List.of(children));
    }

    /** {@code Average} of adapter names with equal weights. */
    static Average average(String... adapters) {
        return new Average(uses(adapters), List.of());
    }

    /** {@code Fuse} of adapter names with the trained fusion called {@code fusion}. */
    static Fuse fuse(String fusion, String... adapters) {
        return new Fuse(fusion, uses(adapters));
    }

    /** {@code Parallel} of adapter names. */
    static Parallel parallel(String... adapters) {
        return new Parallel(uses(adapters));
    }

    private static List<Composition> uses(String... names) {
        return java.util.Arrays.stream(names).<Composition>map(Use::new).toList();
    }

    private static List<Composition> nonEmpty(String block, List<Composition> children) {
        List<Composition> c = List.copyOf(children);
        if (c.isEmpty()) {
            throw new IllegalArgumentException(block + "(): a block needs at least one child");
        }
        return c;
    }

    private static String show(Composition c) {
        return show(c.label(), c.children());
    }

    private static String show(String label, List<Composition> children) {
        return label + "(" + children.stream().map(Object::toString).collect(Collectors.joining(", ")) + ")";
    }
}
