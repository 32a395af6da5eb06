package dev.graft.adapters.composition;

import dev.graft.backbones.sites.Site;
import dev.graft.backbones.sites.SiteHook;
import dev.graft.backbones.sites.SiteHooks;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link Composition.BatchSplit} at one site: per-row routing ({@link SiteHooks#routedBatch}) over the children's
 * hooks. A site hook does not know the pass's tokens per sequence, but a BatchSplit's sizes add up to the batch, so
 * a call over {@code rows} token rows has {@code rows / Σ sizes} tokens per sequence; the routed hooks for that
 * length are built on first use and kept (one entry per padded length seen). Inference only: routed hooks have no
 * backward.
 */
final class SplitHooks {
    private final int[] batchSizes;
    private final int batch;
    private final List<SiteHooks> children;
    private final String block;
    private final Map<Integer, SiteHooks> byTokens = new ConcurrentHashMap<>();

    SplitHooks(Composition.BatchSplit split, List<Map<Site, SiteHook>> children) {
        this.batchSizes = split.batchSizes().stream().mapToInt(Integer::intValue).toArray();
        int sum = 0;
        for (int s : batchSizes) {
            sum += s;
        }
        this.batch = sum;
        this.children = children.stream().map(SiteHooks::of).toList();
        this.block = split.toString();
    }

    /** The hook at {@code site} for a pass of {@code rows} token rows. */
    private SiteHook at(Site site, int rows) {
        if (batch == 0 || rows % batch != 0) {
            throw new IllegalArgumentException(block + ": its batch sizes add up to " + batch
                    + " sequences, but the pass has " + rows + " token rows (not a multiple of " + batch
                    + "): call it with a batch of exactly " + batch + " texts");
        }
        int tokens = rows / batch;
        SiteHooks routed = byTokens.computeIfAbsent(tokens, t -> SiteHooks.routedBatch(batchSizes, t, children));
        return routed.at(site.layer(), site.kind());
    }

    /** The routing hook of {@code site}'s role. */
    SiteHook hook(Site site) {
        return switch (site.kind().role()) {
            case PROJECTION -> (SiteHook.Projection) (k, rows, x, xOff, ldx, y, yOff, ldy, scratch) -> {
                SiteHook h = at(site, rows);
                if (h != null) {
                    ((SiteHook.Projection) h).addDelta(k, rows, x, xOff, ldx, y, yOff, ldy, scratch);
                }
            };
            case RESIDUAL -> new SiteHook.Residual() {
                @Override
                public void addAdapted(Kernels k, int rows, MemorySegment h, long hOff, int ldh, MemorySegment out,
                                       long outOff, int ldOut, TensorArena scratch) {
                    SiteHook r = at(site, rows);
                    if (r != null) {
                        ((SiteHook.Residual) r).addAdapted(k, rows, h, hOff, ldh, out, outOff, ldOut, scratch);
                    }
                }
            };
            case SCALE -> (SiteHook.Scale) (rows, y, yOff, ldy) -> {
                SiteHook s = at(site, rows);
                if (s != null) {
                    ((SiteHook.Scale) s).scale(rows, y, yOff, ldy);
                }
            };
        };
    }
}
