package dev.graft.adapters.composition;

import dev.graft.adapters.adapter.Adapter;
import dev.graft.backbones.sites.Site;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.backbones.sites.SiteShape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The build-time checks of {@link Composition#validate}: AdapterHub's rules ({@code ALLOWED_NESTINGS},
 * {@code validate_composition} and {@code check_composition_valid} of {@code adapters.composition} and its layer
 * base) and which adapter types each block supports, plus the checks Graft's execution needs.
 */
final class CompositionRules {
    /** The blocks AdapterHub allows directly inside each block ("Use" = a plain adapter name). */
    static final Map<Class<?>, List<Class<?>>> ALLOWED = Map.of(
            Composition.Stack.class, List.of(Composition.Use.class, Composition.Fuse.class, Composition.Parallel.class,
                    Composition.BatchSplit.class, Composition.Average.class),
            Composition.Fuse.class, List.of(Composition.Use.class, Composition.Stack.class),
            Composition.Parallel.class, List.of(Composition.Use.class, Composition.Stack.class,
                    Composition.BatchSplit.class, Composition.Average.class),
            Composition.BatchSplit.class, List.of(Composition.Use.class, Composition.Stack.class,
                    Composition.BatchSplit.class, Composition.Average.class),
            Composition.Average.class, List.of(Composition.Use.class, Composition.Stack.class,
                    Composition.BatchSplit.class));

    private CompositionRules() {
    }

    static void validate(Composition root, Map<String, ? extends Adapter> adapters) {
        structure(root, null, 0, adapters);
        shapes(root, adapters);
    }

    private static void structure(Composition c, Composition parent, int depth, Map<String, ? extends Adapter> adapters) {
        if (parent != null) {
            if (!ALLOWED.get(parent.getClass()).contains(c.getClass())) {
                throw new IllegalArgumentException(parent + ": cannot nest " + kind(c) + " " + c + " inside "
                        + parent.label() + " (AdapterHub allows inside " + parent.label() + " only: "
                        + ALLOWED.get(parent.getClass()).stream().map(CompositionRules::kindName)
                        .collect(Collectors.joining(", ")) + ")");
            }
            if (depth >= 2 && !(c instanceof Composition.Use) && !(c instanceof Composition.Stack)) {
                // with ALLOWED this also covers AdapterHub's check_composition_valid: a Stack below the top level
                // may hold adapters only (Stack is not allowed inside Stack)
                throw new IllegalArgumentException(parent + ": " + c.label() + " inside " + parent.label() + " at depth "
                        + depth + " is too deep (below depth 1 AdapterHub allows only Stack blocks and adapters)");
            }
        }
        if (c instanceof Composition.Use u && (!(adapters.get(u.adapter()) instanceof Adapter a) || a instanceof Fusion)) {
            throw new IllegalArgumentException((parent == null ? c.toString() : parent.toString()) + ": unknown adapter '"
                    + u.adapter() + "' (known: " + known(adapters, false) + ")");
        }
        for (Composition child : c.children()) {
            structure(child, c, depth + 1, adapters);
        }
        // the block's own checks once its children are known to be well nested
        switch (c) {
            case Composition.Use u -> { }
            case Composition.Stack s -> stackChains(s, adapters);
            case Composition.Average a -> oneType(a, adapters);
            case Composition.Fuse f -> fusion(f, adapters);
            case Composition.Parallel p -> { }
            case Composition.BatchSplit b -> { }
        }
    }

    /** Average combines adapters of one type (AdapterHub averages within one adapter method's layer). */
    private static void oneType(Composition.Average a, Map<String, ? extends Adapter> adapters) {
        String first = null;
        for (Composition child : a.children()) {
            if (child instanceof Composition.Use u && adapters.get(u.adapter()) instanceof Adapter x
                    && !(x instanceof Fusion)) {
                if (first == null) {
                    first = u.adapter();
                } else if (!adapters.get(first).typeName().equals(x.typeName())) {
                    throw new IllegalArgumentException(a + ": adapter '" + u.adapter() + "' is a " + x.describe() + " but '"
                            + first + "' is a " + adapters.get(first).describe()
                            + "; Average combines the outputs of adapters of one type");
                }
            }
        }
    }

    /** Fuse: bottleneck adapters only (AdapterHub's Fuse supports bottleneck adapters, not LoRA or (IA)³). */
    private static void fusion(Composition.Fuse f, Map<String, ? extends Adapter> adapters) {
        List<String> names = new ArrayList<>();
        for (Composition child : f.children()) {
            if (child instanceof Composition.Stack) {
                throw new IllegalArgumentException(f + ": Stack inside Fuse is allowed by AdapterHub but not implemented"
                        + " by Graft (fuse single bottleneck adapters)");
            }
            if (child instanceof Composition.Use u && adapters.get(u.adapter()) instanceof Adapter x) {
                if (!"bottleneck".equals(x.typeName())) {
                    throw new IllegalArgumentException(f + ": adapter '" + u.adapter() + "' is a " + x.describe()
                            + "; AdapterFusion fuses bottleneck adapters only (as AdapterHub's Fuse)");
                }
                names.add(u.adapter());
            }
        }
        Adapter a = adapters.get(f.fusion());
        if (!(a instanceof Fusion fusion)) {
            throw new IllegalArgumentException(f + ": unknown fusion '" + f.fusion() + "' (known fusions: "
                    + known(adapters, true) + ")");
        }
        // the attention is the same whatever the order of the adapters: compare them as a set
        if (!new java.util.HashSet<>(fusion.adapterNames()).equals(new java.util.HashSet<>(names))
                || names.size() != fusion.adapterNames().size()) {
            throw new IllegalArgumentException(f + ": fusion '" + f.fusion() + "' was trained over " + fusion.adapterNames()
                    + ", not " + names);
        }
        for (String name : names) {
            if (fusion.adapters().get(fusion.adapterNames().indexOf(name)) != adapters.get(name)) {
                throw new IllegalArgumentException(f + ": fusion '" + f.fusion() + "' holds another adapter object as '"
                        + name + "' than the one given under that name");
            }
        }
    }

    /**
     * In a Stack, a LoRA reads the previous LoRA's output at a projection site (AdapterHub's LoRALinear passes its
     * hidden states on), which needs the site's input and output widths to agree.
     */
    private static void stackChains(Composition.Stack s, Map<String, ? extends Adapter> adapters) {
        Map<Site, List<String>> users = new LinkedHashMap<>();
        Map<Site, SiteShape> shape = new HashMap<>();
        for (Composition child : s.children()) {
            for (SiteShape ss : sites(child, adapters)) {
                if (ss.site().kind().role() == SiteKind.Role.PROJECTION && ss.in() != ss.out()) {
                    users.computeIfAbsent(ss.site(), k -> new ArrayList<>()).add(child.toString());
                    shape.put(ss.site(), ss);
                }
            }
        }
        for (Map.Entry<Site, List<String>> e : users.entrySet()) {
            if (e.getValue().size() > 1) {
                SiteShape ss = shape.get(e.getKey());
                throw new IllegalArgumentException(s + ": at " + e.getKey() + " (" + ss.in() + " → " + ss.out() + ") "
                        + e.getValue().get(1) + " would read " + e.getValue().get(0) + "'s output, as a Stack of LoRAs does"
                        + " in AdapterHub, which needs a projection whose input and output widths agree");
            }
        }
    }

    /** The sites a subtree touches (unknown names are reported elsewhere). */
    static List<SiteShape> sites(Composition c, Map<String, ? extends Adapter> adapters) {
        Map<Site, SiteShape> all = new LinkedHashMap<>();
        for (String name : c.adapterNames()) {
            Adapter a = adapters.get(name);
            if (a != null) {
                a.sites().forEach(s -> all.putIfAbsent(s.site(), s));
            }
        }
        return List.copyOf(all.values());
    }

    /** Adapters sharing a site must agree on its shape (else they were made for different backbones). */
    private static void shapes(Composition root, Map<String, ? extends Adapter> adapters) {
        Map<Site, SiteShape> seen = new HashMap<>();
        Map<Site, String> owner = new HashMap<>();
        for (String name : root.adapterNames()) {
            for (SiteShape s : adapters.get(name).sites()) {
                SiteShape before = seen.putIfAbsent(s.site(), s);
                if (before != null && (before.in() != s.in() || before.out() != s.out())) {
                    throw new IllegalArgumentException(root + ": adapters '" + owner.get(s.site()) + "' and '" + name
                            + "' disagree at " + s.site() + " (" + before.in() + " → " + before.out() + " against "
                            + s.in() + " → " + s.out() + "): they were made for different base models");
                }
                owner.putIfAbsent(s.site(), name);
            }
        }
    }

    private static String known(Map<String, ? extends Adapter> adapters, boolean fusions) {
        Set<String> names = new TreeSet<>();
        adapters.forEach((k, v) -> {
            if (v instanceof Fusion == fusions) {
                names.add(k);
            }
        });
        return names.isEmpty() ? "none" : String.join(", ", names);
    }

    private static String kind(Composition c) {
        return c instanceof Composition.Use ? "adapter" : "block";
    }

    private static String kindName(Class<?> k) {
        return k == Composition.Use.class ? "an adapter" : k.getSimpleName();
    }
}
