package dev.graft.adapters.composition;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.adapter.TrainingHooks;
import dev.graft.adapters.nn.Parameter;
import dev.graft.backbones.sites.Site;
import dev.graft.backbones.sites.SiteHook;
import dev.graft.backbones.sites.SiteShape;
import dev.graft.core.tensor.TensorArena;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * A validated {@link Composition} over named adapters, executed as the site hooks of one backbone pass: an
 * {@link Adapter} whose hooks are the blocks' ({@link BlockHooks}, {@link Fusion}) over the adapters' own. The
 * one place a composition tree becomes hooks is {@link #compile}: an exhaustive {@code switch} over the blocks.
 *
 * <p>Its {@link #parameters()} are only the trainable ones — those of the {@link Fusion}s it uses; the composed
 * adapters stay frozen (training a composition trains its fusions, through the adapters' backward). It is not saved
 * as one adapter: save the adapters and fusions, and compose them again.
 */
public final class CompositeAdapter implements Adapter {
    private final Composition composition;
    private final Map<String, Adapter> adapters;
    private final List<SiteShape> sites;

    /**
     * @param adapters the adapters and fusions the composition names (others are ignored)
     * @throws IllegalArgumentException when the composition is not valid over them ({@link Composition#validate}),
     *                                  or is a {@link Composition.Parallel} (several passes: one per channel, see
     *                                  {@link #channels})
     */
    public CompositeAdapter(Composition composition, Map<String, ? extends Adapter> adapters) {
        composition.validate(adapters);
        if (!channels(composition).equals(List.of(composition))) {
            throw new IllegalArgumentException(composition + ": Parallel runs one backbone pass per channel "
                    + channels(composition) + "; give each channel its own head (ComposedModel.Builder.parallel)");
        }
        this.composition = composition;
        Map<String, Adapter> used = new LinkedHashMap<>();
        collect(composition, adapters, used);
        this.adapters = java.util.Collections.unmodifiableMap(used);
        Map<Site, SiteShape> all = new TreeMap<>();
        for (String name : composition.adapterNames()) {
            adapters.get(name).sites().forEach(s -> all.putIfAbsent(s.site(), s));
        }
        this.sites = List.copyOf(all.values());
    }

    private static void collect(Composition c, Map<String, ? extends Adapter> from, Map<String, Adapter> into) {
        switch (c) {
            case Composition.Use u -> into.put(u.adapter(), from.get(u.adapter()));
            case Composition.Fuse f -> into.put(f.fusion(), from.get(f.fusion()));
            default -> { }
        }
        c.children().forEach(child -> collect(child, from, into));
    }

    public Composition composition() {
        return composition;
    }

    /** The adapters and fusions the composition uses, by name. */
    public Map<String, Adapter> adapters() {
        return adapters;
    }

    /**
     * The single passes a composition with {@link Composition.Parallel} blocks stands for, as AdapterHub runs them
     * (the input replicated at the Parallel block): {@code Stack(a, Parallel(b, c))} → {@code Stack(a, b)},
     * {@code Stack(a, c)}. A composition without Parallel is its own single channel.
     */
    public static List<Composition> channels(Composition c) {
        return switch (c) {
            case Composition.Use u -> List.of(u);
            case Composition.Parallel p -> p.children().stream().flatMap(child -> channels(child).stream()).toList();
            case Composition.Stack s -> product(s.children()).stream().<Composition>map(Composition.Stack::new).toList();
            case Composition.Average a -> product(a.children()).stream()
                    .<Composition>map(ch -> new Composition.Average(ch, a.weights())).toList();
            case Composition.Fuse f -> List.of(f);
            case Composition.BatchSplit b -> product(b.children()).stream()
                    .<Composition>map(ch -> new Composition.BatchSplit(ch, b.batchSizes())).toList();
        };
    }

    private static List<List<Composition>> product(List<Composition> children) {
        List<List<Composition>> out = List.of(List.of());
        for (Composition child : children) {
            List<List<Composition>> next = new ArrayList<>();
            for (List<Composition> prefix : out) {
                for (Composition option : channels(child)) {
                    List<Composition> l = new ArrayList<>(prefix);
                    l.add(option);
                    next.add(List.copyOf(l));
                }
            }
            out = next;
        }
        return out;
    }

    /** The name of the last adapter of a channel (AdapterHub names a Parallel channel's head after it). */
    public static String last(Composition c) {
        return switch (c) {
            case Composition.Use u -> u.adapter();
            case Composition.Fuse f -> last(f.children().getLast());
            default -> last(c.children().getLast());
        };
    }

    @Override
    public String typeName() {
        return "composition";
    }

    @Override
    public String peftType() {
        return "GRAFT_COMPOSITION";
    }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> p = new ArrayList<>();
        adapters.values().stream().filter(a -> a instanceof Fusion).forEach(f -> p.addAll(f.parameters()));
        return List.copyOf(p);
    }

    @Override
    public List<SiteShape> sites() {
        return sites;
    }

    @Override
    public Map<Site, SiteHook> hooks(TensorArena arena) {
        Map<String, Map<Site, SiteHook>> leaves = new LinkedHashMap<>();
        return compile(composition, name -> leaves.computeIfAbsent(name, n -> adapters.get(n).hooks(arena)),
                f -> adapters.get(f.fusion()).hooks(arena));
    }

    @Override
    public TrainingHooks trainingHooks(TensorArena arena, long seed) {
        TrainingHooks th = new TrainingHooks(arena);
        Map<String, Map<Site, SiteHook>> leaves = new LinkedHashMap<>();
        // the adapters' training hooks give their backward; their gradients are never flushed (frozen)
        Map<Site, SiteHook> hooks = compile(composition,
                name -> leaves.computeIfAbsent(name, n -> adapters.get(n).trainingHooks(arena, seed).hooks()),
                f -> {
                    TrainingHooks fth = adapters.get(f.fusion()).trainingHooks(arena, seed);
                    th.adoptGradients(fth);
                    return fth.hooks();
                });
        hooks.forEach(th::put);
        return th;
    }

    /** The hooks of {@code c} per site, from the leaves' and fusions' hooks: the one place blocks execute. */
    private Map<Site, SiteHook> compile(Composition c, Function<String, Map<Site, SiteHook>> leaf,
                                        Function<Composition.Fuse, Map<Site, SiteHook>> fusion) {
        return switch (c) {
            case Composition.Use u -> leaf.apply(u.adapter());
            case Composition.Fuse f -> fusion.apply(f);
            case Composition.Stack s -> stack(s.children().stream().map(x -> compile(x, leaf, fusion)).toList());
            case Composition.Average a -> average(a.children().stream().map(x -> compile(x, leaf, fusion)).toList(),
                    a.weights());
            case Composition.Parallel p -> throw new IllegalStateException(p + " is several passes, not one");
            case Composition.BatchSplit b -> batchSplit(b, b.children().stream().map(x -> compile(x, leaf, fusion)).toList());
        };
    }

    /**
     * Checks that a call of {@code texts} inputs fits every {@link Composition.BatchSplit} in this composition (its
     * sizes must add up to the batch). The composed model checks this before each pass; a caller that passes
     * {@link #hooks} to the encoder directly must check it too, since a site hook only sees the pass's token rows.
     *
     * @throws IllegalArgumentException naming the block, its sizes and the batch
     */
    public void checkBatchSize(int texts) {
        check(composition, texts);
    }

    private static void check(Composition c, int texts) {
        switch (c) {
            case Composition.BatchSplit b -> {
                int sum = b.batchSizes().stream().mapToInt(Integer::intValue).sum();
                if (sum != texts) {
                    throw new IllegalArgumentException(b + ": its batch sizes add up to " + sum
                            + " sequences, but the call has " + texts + " texts");
                }
                b.children().forEach(x -> check(x, texts));
            }
            case Composition.Use u -> { }
            case Composition.Fuse f -> f.children().forEach(x -> check(x, texts));
            case Composition.Stack s -> s.children().forEach(x -> check(x, texts));
            case Composition.Average a -> a.children().forEach(x -> check(x, texts));
            case Composition.Parallel p -> p.children().forEach(x -> check(x, texts));
        }
    }

    /** BatchSplit: per-row routing over the children, at every site any child has a hook ({@link SplitHooks}). */
    private Map<Site, SiteHook> batchSplit(Composition.BatchSplit b, List<Map<Site, SiteHook>> children) {
        SplitHooks split = new SplitHooks(b, children);
        Map<Site, SiteHook> out = new TreeMap<>();
        for (SiteShape s : sites) {
            if (children.stream().anyMatch(m -> m.containsKey(s.site()))) {
                out.put(s.site(), split.hook(s.site()));
            }
        }
        return out;
    }

    private Map<Site, SiteHook> stack(List<Map<Site, SiteHook>> children) {
        Map<Site, SiteHook> out = new TreeMap<>();
        for (SiteShape s : sites) {
            List<SiteHook> at = children.stream().map(m -> m.get(s.site())).filter(java.util.Objects::nonNull).toList();
            if (at.size() == 1) {
                out.put(s.site(), at.getFirst());
            } else if (at.size() > 1) {
                out.put(s.site(), switch (s.site().kind().role()) {
                    case PROJECTION -> new BlockHooks.StackProjection(cast(at, SiteHook.Projection.class), s.in(), s.out());
                    case RESIDUAL -> new BlockHooks.StackResidual(cast(at, SiteHook.Residual.class), s.in());
                    case SCALE -> new BlockHooks.StackScale(cast(at, SiteHook.Scale.class), s.in());
                });
            }
        }
        return out;
    }

    private Map<Site, SiteHook> average(List<Map<Site, SiteHook>> children, List<Double> weights) {
        Map<Site, SiteHook> out = new TreeMap<>();
        for (SiteShape s : sites) {
            List<SiteHook> at = new ArrayList<>();
            List<Float> w = new ArrayList<>();
            float rest = 0;
            for (int i = 0; i < children.size(); i++) {
                SiteHook h = children.get(i).get(s.site());
                if (h != null) {
                    at.add(h);
                    w.add(weights.get(i).floatValue());
                } else {
                    rest += weights.get(i).floatValue();
                }
            }
            if (at.isEmpty()) {
                continue;
            }
            float[] ws = new float[w.size()];
            for (int i = 0; i < ws.length; i++) {
                ws[i] = w.get(i);
            }
            out.put(s.site(), switch (s.site().kind().role()) {
                case PROJECTION -> new BlockHooks.AverageProjection(cast(at, SiteHook.Projection.class), ws, s.in(), s.out());
                case RESIDUAL -> new BlockHooks.AverageResidual(cast(at, SiteHook.Residual.class), ws, s.in());
                case SCALE -> new BlockHooks.AverageScale(cast(at, SiteHook.Scale.class), ws, rest, s.in());
            });
        }
        return out;
    }

    private static <T extends SiteHook> List<T> cast(List<SiteHook> hooks, Class<T> type) {
        return hooks.stream().map(type::cast).toList();
    }

    /**
     * What a composed model's provenance records of the composition: the block, and each adapter or fusion it uses
     * (name, type, description, parameter count).
     */
    public ObjectNode record() {
        ObjectNode n = dev.graft.adapters.head.Json.mapper().createObjectNode();
        n.put("block", composition.toString());
        com.fasterxml.jackson.databind.node.ArrayNode list = n.putArray("adapters");
        adapters.forEach((name, a) -> list.addObject().put("name", name).put("type", a.typeName())
                .put("describe", a.describe()).put("parameters", a.parameterCount()));
        return n;
    }

    /**
     * @throws UnsupportedOperationException always: a composition is saved as its adapters and fusions
     */
    @Override
    public ObjectNode peftConfig() {
        throw new UnsupportedOperationException(composition + " is not saved as one adapter: save its adapters ("
                + String.join(", ", adapters.keySet()) + ") and compose them again");
    }

    /** The block as written: {@code Stack(a, b)}. */
    @Override
    public String describe() {
        return composition.toString();
    }

    @Override
    public String toString() {
        return describe();
    }
}
