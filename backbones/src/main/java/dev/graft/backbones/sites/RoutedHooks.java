package dev.graft.backbones.sites;

import dev.graft.core.kernels.Kernels;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The hooks {@link SiteHooks#routed} builds: at each site where some row segment has a hook, one hook of the site's
 * role that applies each segment's hook to that segment's rows only. Low-rank (LoRA) projection hooks of all
 * segments run in one {@link Kernels#sgmv} call; any other projection, residual or scale hook runs on its
 * segment's row slice. Rows of segments without a hook at a site are not touched there.
 */
final class RoutedHooks {
    private RoutedHooks() {
    }

    static SiteHooks build(int[] starts, List<SiteHooks> perSegment) {
        int segments = perSegment.size();
        if (starts.length != segments + 1) {
            throw new IllegalArgumentException("routed hooks: " + segments + " segments need " + (segments + 1)
                    + " segment starts, got " + starts.length);
        }
        if (starts[0] != 0) {
            throw new IllegalArgumentException("routed hooks: the first segment must start at row 0, not " + starts[0]);
        }
        int layers = 0;
        for (int s = 0; s < segments; s++) {
            if (starts[s + 1] < starts[s]) {
                throw new IllegalArgumentException("routed hooks: segment " + s + " ends (row " + starts[s + 1]
                        + ") before it starts (row " + starts[s] + ")");
            }
            SiteHooks h = perSegment.get(s);
            if (h == null) {
                throw new IllegalArgumentException("routed hooks: segment " + s + " has null hooks (use SiteHooks.NONE)");
            }
            layers = Math.max(layers, h.layerBound());
        }
        int[] own = starts.clone();
        Map<Site, SiteHook> routed = new LinkedHashMap<>();
        for (int layer = 0; layer < layers; layer++) {
            for (SiteKind kind : SiteKind.values()) {
                SiteHook[] at = new SiteHook[segments];
                boolean any = false;
                for (int s = 0; s < segments; s++) {
                    at[s] = perSegment.get(s).at(layer, kind);
                    any |= at[s] != null;
                }
                if (!any) {
                    continue;
                }
                Site site = new Site(layer, kind);
                routed.put(site, switch (kind.role()) {
                    case PROJECTION -> RoutedProjection.of(site, own, at);
                    case RESIDUAL -> new RoutedResidual(own, at);
                    case SCALE -> new RoutedScale(own, at);
                });
            }
        }
        return routed.isEmpty() ? SiteHooks.NONE : SiteHooks.of(routed);
    }

    /** Rows [starts[0], starts[last]) of the pass, checked against the rows the encoder passes. */
    private static void checkRows(int[] starts, int rows) {
        if (rows != starts[starts.length - 1]) {
            throw new IllegalArgumentException("routed hooks cover " + starts[starts.length - 1]
                    + " token rows but the forward pass has " + rows);
        }
    }

    /**
     * A projection site: the low-rank hooks through one SGMV call (operands laid out here, once per routing), the
     * others on their rows.
     */
    private record RoutedProjection(int[] starts, SiteHook.Projection[] hooks, int in, int out, MemorySegment[] a,
                              MemorySegment[] bt, int[] ranks, float[] scales, long scratch, boolean lowRank,
                              boolean others) implements SiteHook.Projection {

        static RoutedProjection of(Site site, int[] starts, SiteHook[] at) {
            int segments = at.length;
            SiteHook.Projection[] hooks = new SiteHook.Projection[segments];
            MemorySegment[] a = new MemorySegment[segments];
            MemorySegment[] bt = new MemorySegment[segments];
            int[] ranks = new int[segments];
            float[] scales = new float[segments];
            int in = -1;
            int out = -1;
            long scratch = 0;
            boolean lowRank = false;
            boolean others = false;
            for (int s = 0; s < segments; s++) {
                if (at[s] == null) {
                    continue;
                }
                SiteHook.Projection p = (SiteHook.Projection) at[s];
                if (p.mergedWeight() != null || p.mergedBias() != null) {
                    throw new IllegalArgumentException("routed hooks: segment " + s + " has a merged weight copy at "
                            + site + "; a merged weight applies to every row of a pass and cannot be routed per row"
                            + " (attach that adapter unmerged to route it)");
                }
                if (p instanceof SiteHook.LowRank lr) {
                    if (in >= 0 && (lr.in() != in || lr.out() != out)) {
                        throw new IllegalArgumentException("routed hooks: segment " + s + " at " + site + " is "
                                + lr.in() + " → " + lr.out() + " but another segment's is " + in + " → " + out);
                    }
                    in = lr.in();
                    out = lr.out();
                    a[s] = lr.a();
                    bt[s] = lr.bTransposed();
                    ranks[s] = lr.rank();
                    scales[s] = lr.scale();
                    scratch = Math.max(scratch, (long) (starts[s + 1] - starts[s]) * lr.rank());
                    lowRank = true;
                } else {
                    hooks[s] = p;
                    others = true;
                }
            }
            return new RoutedProjection(starts, hooks, in, out, a, bt, ranks, scales, scratch, lowRank, others);
        }

        @Override
        public void addDelta(Kernels kernels, int rows, MemorySegment x, long xOff, int ldx, MemorySegment y,
                             long yOff, int ldy, TensorArena scratchArena) {
            checkRows(starts, rows);
            if (lowRank && scratch > 0) {
                MemorySegment t = scratchArena.allocateUninitialized(DType.F32, scratch).segment();
                kernels.sgmv(hooks.length, starts, in, out, x, xOff, ldx, a, bt, ranks, scales, y, yOff, ldy, t, 0);
            }
            if (others) {
                for (int s = 0; s < hooks.length; s++) {
                    int n = starts[s + 1] - starts[s];
                    if (hooks[s] != null && n > 0) {
                        hooks[s].addDelta(kernels, n, x, xOff + (long) starts[s] * ldx, ldx, y,
                                yOff + (long) starts[s] * ldy, ldy, scratchArena);
                    }
                }
            }
        }
    }

    /** A residual site: each segment's hook on its rows of h and out. */
    private record RoutedResidual(int[] starts, SiteHook[] hooks) implements SiteHook.Residual {
        @Override
        public void addAdapted(Kernels kernels, int rows, MemorySegment h, long hOff, int ldh, MemorySegment out,
                               long outOff, int ldOut, TensorArena scratch) {
            checkRows(starts, rows);
            for (int s = 0; s < hooks.length; s++) {
                int n = starts[s + 1] - starts[s];
                if (hooks[s] != null && n > 0) {
                    ((SiteHook.Residual) hooks[s]).addAdapted(kernels, n, h, hOff + (long) starts[s] * ldh, ldh, out,
                            outOff + (long) starts[s] * ldOut, ldOut, scratch);
                }
            }
        }
    }

    /** A scale site: each segment's scaling vector on its rows. */
    private record RoutedScale(int[] starts, SiteHook[] hooks) implements SiteHook.Scale {
        @Override
        public void scale(int rows, MemorySegment y, long yOff, int ldy) {
            checkRows(starts, rows);
            for (int s = 0; s < hooks.length; s++) {
                int n = starts[s + 1] - starts[s];
                if (hooks[s] != null && n > 0) {
                    ((SiteHook.Scale) hooks[s]).scale(n, y, yOff + (long) starts[s] * ldy, ldy);
                }
            }
        }
    }
}
