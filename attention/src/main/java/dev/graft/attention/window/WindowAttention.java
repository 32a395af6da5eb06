package dev.graft.attention.window;

import dev.graft.attention.tiled.Block;
import dev.graft.attention.tiled.Sweep;
import dev.graft.attention.tiled.TiledAttention;
import dev.graft.core.kernels.Kernels;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Sliding-window attention (Longformer's local attention), optionally dilated, with global tokens.
 *
 * <p>Query i attends key j when {@code |j − i| ≤ radius·dilation} and {@code (j − i)} is a multiple of the
 * dilation, where {@code radius = ⌊width / 2⌋} (width 8: four keys either side and the query itself). A global
 * token attends every key, and every query attends it. Padding keys are excluded as everywhere.
 *
 * <p>Cost is O(T · width · dilation) per head: a task of {@link #BLOCK} query rows visits only the keys within
 * reach of its rows, in tiles of {@link #BLOCK} keys; tiles crossing the band's edges are masked elementwise
 * ({@link Kernels#maskBand}). Global keys are gathered into one extra tile per task (and excluded from the band
 * tiles, so none is counted twice); a global query's row is recomputed densely over all keys. Working memory per
 * thread is a few tiles, independent of T.
 *
 * <p>Global positions at or beyond a call's T are ignored in that call.
 */
public final class WindowAttention extends TiledAttention {
    /** Query rows per task and keys per score tile. */
    public static final int BLOCK = 64;

    private final int width;
    private final int dilation;
    private final int span;
    private final int[] globals;

    /**
     * @param width        window width w ≥ 1: keys within ⌊w/2⌋ positions (times the dilation) on each side
     * @param dilation     gap between attended keys, ≥ 1 (1 = contiguous)
     * @param globalTokens positions that attend and are attended by all (any order; duplicates ignored)
     */
    public WindowAttention(Kernels kernels, int width, int dilation, int... globalTokens) {
        this(kernels, width, dilation, globalTokens, BLOCK, BLOCK);
    }

    /** With explicit tile sizes (tests use small ones to cross many tile edges). */
    public WindowAttention(Kernels kernels, int width, int dilation, int[] globalTokens, int queryBlock, int keyBlock) {
        super(kernels, queryBlock, keyBlock);
        if (width < 1) {
            throw new IllegalArgumentException("window width must be >= 1, was " + width);
        }
        if (dilation < 1) {
            throw new IllegalArgumentException("window dilation must be >= 1, was " + dilation);
        }
        this.width = width;
        this.dilation = dilation;
        this.span = (int) Math.min(Integer.MAX_VALUE, (long) (width / 2) * dilation); // reach beyond any T saturates
        this.globals = Arrays.stream(globalTokens).distinct().sorted().toArray();
        if (globals.length > 0 && globals[0] < 0) {
            throw new IllegalArgumentException("global token positions must be >= 0, was " + globals[0]);
        }
    }

    public int width() {
        return width;
    }

    public int dilation() {
        return dilation;
    }

    /** The global positions, sorted. */
    public int[] globalTokens() {
        return globals.clone();
    }

    @Override
    public String name() {
        return "window(" + width + (dilation > 1 ? ",dilation=" + dilation : "")
                + (globals.length > 0 ? ",global=" + positions(globals) : "") + ")";
    }

    @Override
    protected void attendBlock(Block b, Sweep s) {
        int q0 = b.q0();
        int rows = b.rows();
        int d = b.headSize();
        int keys = b.keys();
        MemorySegment out = b.out();
        long acc = b.outRow(q0);
        int ldOut = b.ldOut();
        MemorySegment keyMask = b.keyMask();
        s.begin(rows, d, b.scale());

        // 1. the band: keys within reach of some row of the block, in tiles
        int lo = Math.max(0, q0 - span);
        int hi = (int) Math.min(keys, (long) q0 + rows + span);
        int g = firstGlobalAtLeast(lo);
        for (int kc = lo; kc < hi; kc += keyBlock()) {
            int cols = Math.min(keyBlock(), hi - kc);
            s.scores(cols, b.q(), b.qRow(q0), b.ld(), b.k(), b.kRow(kc), b.ld());
            boolean inside = kc - (q0 + rows - 1) >= -span && kc + cols - 1 - q0 <= span;
            if (!inside || dilation > 1) {
                s.maskBand(kc - q0, -span, span, dilation);
            }
            for (; g < globals.length && globals[g] < kc + cols; g++) {
                s.excludeColumn(globals[g] - kc); // counted once, in step 2
            }
            s.accumulate(keyMask, b.maskAt(kc), b.v(), b.vRow(kc), b.ld(), out, acc, ldOut);
        }

        // 2. global keys, gathered into one tile
        int nKeys = firstGlobalAtLeast(keys);
        if (nKeys > 0) {
            MemorySegment gk = s.gather(0, (long) nKeys * d);
            MemorySegment gv = s.gather(1, (long) nKeys * d);
            MemorySegment gm = s.gatherMask(nKeys);
            for (int i = 0; i < nKeys; i++) {
                s.copyRow(b.k(), b.kRow(globals[i]), gk, i);
                s.copyRow(b.v(), b.vRow(globals[i]), gv, i);
                Sweep.setInt(gm, i, b.keyKept(globals[i]) ? 1 : 0);
            }
            s.scores(nKeys, b.q(), b.qRow(q0), b.ld(), gk, 0, d);
            s.accumulate(gm, 0, gv, 0, d, out, acc, ldOut);
        }
        s.finish(out, acc, ldOut, out, acc, ldOut);

        // 3. global queries of this block attend every key
        int first = firstGlobalAtLeast(q0);
        int nQueries = firstGlobalAtLeast(q0 + rows) - first;
        if (nQueries > 0) {
            MemorySegment gq = s.gather(0, (long) nQueries * d);
            MemorySegment go = s.gather(2, (long) nQueries * d);
            for (int i = 0; i < nQueries; i++) {
                s.copyRow(b.q(), b.qRow(globals[first + i]), gq, i);
            }
            s.begin(nQueries, d, b.scale());
            sweepKeys(b, s, 0, keys, gq, 0, d, go, 0, d);
            s.finish(go, 0, d, go, 0, d);
            for (int i = 0; i < nQueries; i++) {
                s.copyRowOut(go, i, out, b.outRow(globals[first + i]));
            }
        }
    }

    /** Index of the first global position ≥ t (globals.length if none). */
    private int firstGlobalAtLeast(long t) {
        int lo = 0;
        int hi = globals.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (globals[mid] < t) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Sorted positions as runs: "0", "0..15", "0|7|100..103". */
    public static String positions(int[] sorted) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < sorted.length; ) {
            int j = i;
            while (j + 1 < sorted.length && sorted[j + 1] == sorted[j] + 1) {
                j++;
            }
            if (sb.length() > 0) {
                sb.append('|');
            }
            sb.append(sorted[i]);
            if (j > i) {
                sb.append("..").append(sorted[j]);
            }
            i = j + 1;
        }
        return sb.toString();
    }
}
