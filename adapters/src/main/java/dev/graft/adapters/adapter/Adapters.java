package dev.graft.adapters.adapter;

import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.bert.BertEncoder;
import dev.graft.backbones.bert.EncoderOutput;
import dev.graft.backbones.sites.Site;
import dev.graft.backbones.sites.SiteHook;
import dev.graft.backbones.sites.SiteHooks;
import dev.graft.backbones.sites.SiteShape;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.tensor.TensorArena;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A set of adapters attached to one encoder: their sites checked against the encoder's, their parameters copied
 * into immutable hooks. The shared backbone holds nothing of it — each adapted model keeps its own {@code Adapters}
 * and passes {@link #hooks()} into the forward pass, so one frozen backbone in memory serves many adapted models at
 * once. Thread-safe; {@link #close()} releases the copies (and merged weights).
 *
 * <pre>{@code
 * try (Adapters a = Adapters.attach(backbone.encoder(), List.of(lora), arena)) {
 *     EncoderOutput out = a.encode(backbone, batch, arena, false);
 * }
 * }</pre>
 */
public final class Adapters implements AutoCloseable {
    private final List<Adapter> adapters;
    private final SiteHooks hooks;
    private final TensorArena arena;
    private final boolean merged;

    private Adapters(List<Adapter> adapters, SiteHooks hooks, TensorArena arena, boolean merged) {
        this.adapters = adapters;
        this.hooks = hooks;
        this.arena = arena;
        this.merged = merged;
    }

    /**
     * Checks every adapter against {@code encoder}'s sites and snapshots its parameters into hooks, in a child of
     * {@code parent}.
     *
     * @throws AdapterShapeException naming the adapter, layer, site and shapes when one does not fit, or when two
     *                               adapters claim the same site
     */
    public static Adapters attach(BertEncoder encoder, List<? extends Adapter> adapters, TensorArena parent) {
        return build(encoder, adapters, parent, false);
    }

    /**
     * Like {@link #attach}, but mergeable adapters (LoRA) are folded into copies of the affected weight matrices
     * (the shared backbone's weights are only read); the forward then runs the projections with the merged copies.
     *
     * @throws UnsupportedOperationException naming the type when an adapter cannot be merged
     */
    public static Adapters attachMerged(BertEncoder encoder, List<? extends Adapter> adapters, TensorArena parent) {
        return build(encoder, adapters, parent, true);
    }

    private static Adapters build(BertEncoder encoder, List<? extends Adapter> adapters, TensorArena parent,
                                  boolean merge) {
        List<Adapter> list = List.copyOf(adapters);
        for (Adapter a : list) {
            checkFits(encoder.sites(), a);
            if (merge && !a.mergeable()) {
                throw new UnsupportedOperationException(a.typeName() + " adapters cannot be merged into the backbone's"
                        + " weights (" + a.describe() + ")");
            }
        }
        TensorArena arena = parent.child("adapters");
        try {
            Map<Site, SiteHook> all = new TreeMap<>();
            Map<Site, Adapter> owner = new HashMap<>();
            for (Adapter a : list) {
                Map<Site, SiteHook> h = merge ? a.mergedHooks(encoder.weights(), arena) : a.hooks(arena);
                for (Map.Entry<Site, SiteHook> e : h.entrySet()) {
                    Adapter previous = owner.putIfAbsent(e.getKey(), a);
                    if (previous != null) {
                        throw new AdapterShapeException(e.getKey() + " has two adapters: " + previous.describe() + " and "
                                + a.describe() + " (combine them into one adapter per site)");
                    }
                    all.put(e.getKey(), e.getValue());
                }
            }
            return new Adapters(list, SiteHooks.of(all), arena, merge);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Throws {@link AdapterShapeException} unless every site {@code adapter} needs exists among {@code sites} with
     * the same dimensions.
     */
    public static void checkFits(List<SiteShape> sites, Adapter adapter) {
        Map<Site, SiteShape> bySite = new HashMap<>();
        int layers = 0;
        for (SiteShape s : sites) {
            bySite.put(s.site(), s);
            layers = Math.max(layers, s.site().layer() + 1);
        }
        for (SiteShape need : adapter.sites()) {
            SiteShape have = bySite.get(need.site());
            if (have == null) {
                throw new AdapterShapeException(adapter.describe() + ": " + need.site() + " does not exist (the encoder has "
                        + layers + " layers, 0-" + (layers - 1) + ")");
            }
            if (have.in() != need.in() || have.out() != need.out()) {
                throw new AdapterShapeException(adapter.describe() + ": at " + need.site() + " (" + need.site().module()
                        + ") the adapter's shapes need " + need.describe() + " but the encoder's site is " + have.describe());
            }
        }
    }

    public List<Adapter> adapters() {
        return adapters;
    }

    /** The hooks to pass into {@link BertEncoder#encode(TokenBatch, TensorArena, boolean, SiteHooks)}. */
    public SiteHooks hooks() {
        return hooks;
    }

    /** Whether the adapters were merged into weight copies. */
    public boolean merged() {
        return merged;
    }

    /** One adapted forward pass through the shared {@code backbone}. */
    public EncoderOutput encode(BertBackbone backbone, TokenBatch batch, TensorArena out, boolean keepAllLayers) {
        return backbone.encode(batch, out, keepAllLayers, hooks);
    }

    /** Off-heap bytes the snapshot (and merged weights) take. */
    public long allocatedBytes() {
        return arena.allocatedBytes();
    }

    @Override
    public void close() {
        arena.close();
    }

    @Override
    public String toString() {
        return "Adapters" + adapters.stream().map(Adapter::describe).toList() + (merged ? " (merged)" : "");
    }
}
