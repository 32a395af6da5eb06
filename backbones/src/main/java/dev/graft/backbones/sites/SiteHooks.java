package dev.graft.backbones.sites;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An immutable set of hooks by site, passed into one forward pass ({@code BertEncoder.encode(…, hooks)}). The
 * backbone never stores it: one frozen backbone serves any number of differently adapted models, each passing its
 * own hooks. {@link #NONE} runs the plain backbone.
 */
public final class SiteHooks {
    /** No hooks: the backbone as it was trained. */
    public static final SiteHooks NONE = new SiteHooks(new Map[0]);

    /** Per layer, the hooks by kind (null when a layer has none). */
    private final Map<SiteKind, SiteHook>[] byLayer;

    private SiteHooks(Map<SiteKind, SiteHook>[] byLayer) {
        this.byLayer = byLayer;
    }

    /**
     * Hooks at these sites. Each hook must implement the interface of its site's role.
     *
     * @throws IllegalArgumentException naming the site when a hook has the wrong role
     */
    @SuppressWarnings("unchecked")
    public static SiteHooks of(Map<Site, ? extends SiteHook> hooks) {
        int layers = hooks.keySet().stream().mapToInt(Site::layer).max().orElse(-1) + 1;
        Map<SiteKind, SiteHook>[] byLayer = new Map[layers];
        for (Map.Entry<Site, ? extends SiteHook> e : hooks.entrySet()) {
            Site site = e.getKey();
            SiteHook hook = Objects.requireNonNull(e.getValue(), site.toString());
            boolean fits = switch (site.kind().role()) {
                case PROJECTION -> hook instanceof SiteHook.Projection;
                case RESIDUAL -> hook instanceof SiteHook.Residual;
                case SCALE -> hook instanceof SiteHook.Scale;
            };
            if (!fits) {
                throw new IllegalArgumentException(site + " is a " + site.kind().role() + " site but its hook is a "
                        + hook.getClass().getSimpleName());
            }
            if (byLayer[site.layer()] == null) {
                byLayer[site.layer()] = new EnumMap<>(SiteKind.class);
            }
            byLayer[site.layer()].put(site.kind(), hook);
        }
        for (int i = 0; i < layers; i++) {
            if (byLayer[i] != null) {
                byLayer[i] = Collections.unmodifiableMap(byLayer[i]);
            }
        }
        return new SiteHooks(byLayer);
    }

    /**
     * Token-row segments of one forward pass, each with its own hooks ({@link #NONE}: no adapter for those rows):
     * every row gets exactly what its segment's hooks would give it in a pass of its own, in one pass over all rows.
     * At each site where any segment has a hook there is one routing hook of the site's role: low-rank projection
     * hooks ({@link SiteHook.LowRank}, LoRA) of every segment run in one {@code Kernels.sgmv} call, other projection
     * deltas, residual ({@code f(h)}) and scale ({@code ⊙ l}) hooks run per segment on the segment's rows, and rows of
     * segments without a hook there are left as the plain backbone computes them. Row r of a padded batch of T tokens
     * occupies token rows {@code [r·T, (r+1)·T)}; a forward pass must have exactly {@code segmentStarts[last]} rows.
     *
     * @param segmentStarts {@code perSegment.size() + 1} token-row boundaries: {@code segmentStarts[0] == 0},
     *                      non-decreasing (empty segments allowed), the last is the pass's token rows
     * @param perSegment    the hooks of each segment
     * @throws IllegalArgumentException for bad boundaries, or a hook with a merged weight copy ({@code
     *                                  Adapters.attachMerged}), which applies to every row of a pass and so cannot be
     *                                  routed (attach that adapter unmerged)
     */
    public static SiteHooks routed(int[] segmentStarts, List<SiteHooks> perSegment) {
        return RoutedHooks.build(segmentStarts, perSegment);
    }

    /**
     * {@link #routed} by whole sequences, as AdapterHub's {@code BatchSplit} splits a batch: the first
     * {@code batchSizes[0]} sequences of a padded batch of {@code tokens} tokens per sequence get
     * {@code perSplit.get(0)}, the next {@code batchSizes[1]} the next hooks, and so on (sizes may be 0; they must add
     * up to the batch size, which the forward pass checks).
     */
    public static SiteHooks routedBatch(int[] batchSizes, int tokens, List<SiteHooks> perSplit) {
        if (batchSizes.length != perSplit.size()) {
            throw new IllegalArgumentException("batch split: " + batchSizes.length + " batch sizes for "
                    + perSplit.size() + " adapters");
        }
        if (tokens < 1) {
            throw new IllegalArgumentException("batch split: " + tokens + " tokens per sequence (must be >= 1)");
        }
        int[] starts = new int[batchSizes.length + 1];
        for (int i = 0; i < batchSizes.length; i++) {
            if (batchSizes[i] < 0) {
                throw new IllegalArgumentException("batch split: batch size " + i + " is " + batchSizes[i]);
            }
            starts[i + 1] = Math.addExact(starts[i], Math.multiplyExact(batchSizes[i], tokens));
        }
        return routed(starts, perSplit);
    }

    /** Whether there is no hook at all. */
    public boolean isEmpty() {
        return byLayer.length == 0;
    }

    /** Layers this set has hooks beyond (every hook's layer is below it). */
    public int layerBound() {
        return byLayer.length;
    }

    /** The hook at (layer, kind), or null. */
    public SiteHook at(int layer, SiteKind kind) {
        Map<SiteKind, SiteHook> m = layer < byLayer.length ? byLayer[layer] : null;
        return m == null ? null : m.get(kind);
    }

    public SiteHook.Projection projection(int layer, SiteKind kind) {
        return (SiteHook.Projection) at(layer, kind);
    }

    public SiteHook.Residual residual(int layer, SiteKind kind) {
        return (SiteHook.Residual) at(layer, kind);
    }

    public SiteHook.Scale scale(int layer, SiteKind kind) {
        return (SiteHook.Scale) at(layer, kind);
    }
}
