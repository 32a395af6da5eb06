package dev.graft.core.kernels.vector;

import static dev.graft.core.kernels.vector.GemmKernels.MR;
import static dev.graft.core.kernels.vector.GemmKernels.NR;

import dev.graft.core.kernels.Activation;
import dev.graft.core.parallel.ComputePool;
import java.lang.foreign.MemorySegment;

/**
 * One GEMM call's arguments and plan, reused by its calling thread for every call (so a call allocates nothing),
 * and the {@link ComputePool.IndexedTask} the pool runs: a task index names a B panel to pack, a block of C to
 * compute, or a column chunk for the small-m kernels, depending on {@link #phase}.
 *
 * <p>Fields are written by the calling thread before it hands the job to the pool (the pool's publication makes
 * them visible to the workers) and are only read by tasks.
 */
final class GemmJob implements ComputePool.IndexedTask {
    /** Pack panel {@code index} of B for the current k block into {@link #bp}. */
    static final int PACK_B = 0;
    /** Compute block {@code index} (mBlock × nBlock) of C from A (read in place) and the packed B in {@link #bp}. */
    static final int PACKED = 1;
    /** Small m, B [k×n] read in place: column chunks of NR. */
    static final int DIRECT_NN = 2;
    /** Small m, B [n×k] read in place (dot products): column chunks of NR. */
    static final int DIRECT_NT = 3;
    /** Small m over a pre-packed B: column chunks of NR, 16-row strips of A packed in {@link #ap}. */
    static final int PREPACKED_SMALL = 5;

    int m, n, k;
    MemorySegment a;
    long aOff;
    int lda;
    MemorySegment b;
    long bOff;
    int ldb;
    boolean bTransposed;
    MemorySegment bias;
    long biasOff;
    Activation act;
    boolean accumulate;
    MemorySegment c;
    long cOff;
    int ldc;

    int phase;
    /** Epilogue flags of the current k block (see {@link GemmKernels#epilogue}). */
    int flags;
    // Packed plan: k block [pc, pc+kcCur) × column block [colBase, colEnd), packed as nPanels panels of
    // kcStride·NR floats in bp; tasks are blocks of C of mc rows × panelsPerBlock panels.
    int pc, kcCur, kcStride, colBase, colEnd, nPanels, mc, nBlocks, panelsPerBlock;
    float[] bp;
    /** A pre-packed B's slabs (slab s at byte s·k·L·4), or null. */
    MemorySegment packed;
    /** A packed k-major in 16-row strips (pre-packed small-m plan). */
    float[] ap;
    // Small-m plan: chunks of NR columns, chunksPerTask per task.
    int nChunks, chunksPerTask;

    void set(int m, int n, int k, MemorySegment a, long aOff, int lda,
             MemorySegment b, long bOff, int ldb, boolean bTransposed,
             MemorySegment bias, long biasOff, Activation act, boolean accumulate,
             MemorySegment c, long cOff, int ldc) {
        this.m = m;
        this.n = n;
        this.k = k;
        this.a = a;
        this.aOff = aOff;
        this.lda = lda;
        this.b = b;
        this.bOff = bOff;
        this.ldb = ldb;
        this.bTransposed = bTransposed;
        this.bias = bias;
        this.biasOff = biasOff;
        this.act = act;
        this.accumulate = accumulate;
        this.c = c;
        this.cOff = cOff;
        this.ldc = ldc;
    }

    /** Drops the references to the caller's memory once the call is over. */
    void release() {
        a = null;
        b = null;
        bias = null;
        c = null;
        bp = null;
        packed = null;
        ap = null;
    }

    @Override
    public void run(int index, int worker) {
        switch (phase) {
            case PACK_B -> packPanel(index);
            case PACKED -> computeBlock(index);
            case DIRECT_NN -> directNN(index);
            case DIRECT_NT -> directNT(index);
            case PREPACKED_SMALL -> prepackedSmall(index);
            default -> throw new IllegalStateException("phase " + phase);
        }
    }

    private void packPanel(int jp) {
        int col0 = colBase + jp * NR;
        int cols = Math.min(NR, colEnd - col0);
        int w = GemmKernels.panelWidth(cols);
        int base = jp * kcStride * NR;
        if (packed != null) { // pre-packed B, large m: panels copied from its slabs
            GemmKernels.packFromSlabs(packed, k, pc, kcCur, col0, w, bp, base);
        } else if (bTransposed) {
            GemmKernels.packBTransposed(b, bOff, ldb, pc, kcCur, col0, cols, w, bp, base);
        } else {
            GemmKernels.packB(b, bOff, ldb, pc, kcCur, col0, cols, w, bp, base);
        }
    }

    private void computeBlock(int index) {
        int mb = index / nBlocks;
        int nb = index - mb * nBlocks;
        int row0 = mb * mc;
        int rowEnd = Math.min(m, row0 + mc);
        int jp0 = nb * panelsPerBlock;
        int jp1 = Math.min(nPanels, jp0 + panelsPerBlock);
        int kc = kcCur;
        float[] tile = GemmScratch.current().tile;
        float[] bPacked = bp;
        for (int jp = jp0; jp < jp1; jp++) {
            int col0 = colBase + jp * NR;
            int cols = Math.min(NR, colEnd - col0);
            int width = GemmKernels.panelWidth(cols);
            int base = jp * kcStride * NR;
            for (int r0 = row0; r0 < rowEnd; r0 += MR) {
                // Rows past the block's end repeat its last row: computed, never stored.
                int last = rowEnd - 1;
                long a0 = aByte(r0, last);
                long a1 = aByte(r0 + 1, last);
                long a2 = aByte(r0 + 2, last);
                long a3 = aByte(r0 + 3, last);
                long a4 = aByte(r0 + 4, last);
                long a5 = aByte(r0 + 5, last);
                if (width == NR) {
                    GemmKernels.kernel6x4(a, a0, a1, a2, a3, a4, a5, bPacked, base, kc, tile);
                } else if (width == NR / 2) {
                    GemmKernels.kernel6x2(a, a0, a1, a2, a3, a4, a5, bPacked, base, kc, tile);
                } else {
                    GemmKernels.kernel6x1(a, a0, a1, a2, a3, a4, a5, bPacked, base, kc, tile);
                }
                GemmKernels.epilogue(tile, 0, Math.min(MR, rowEnd - r0), cols,
                        c, cOff + (long) r0 * ldc + col0, ldc, bias, biasOff + col0, act, flags);
            }
        }
    }

    /**
     * Small m over a pre-packed B: for each chunk of NR columns and each 16-row strip of A (packed in {@link #ap}),
     * over each pair of slabs: {@link GemmKernels#kernel12x2} for rows 0–11 and {@link GemmKernels#kernel4x2} for
     * rows 12–15 (or {@link GemmKernels#kernel8x2} for a strip of ≤ 8 rows), then the epilogue on the strip's real
     * rows. The pair (k·2·L floats) streams from memory during the first pass and is re-read from cache by the
     * second. (Measured against two 8-row passes: the first pass waits on memory, so doing 12 of the 16 rows
     * there, 1.5× the FMAs per byte, makes a cold forward's projections 10–15 % faster at the same hot speed.)
     */
    private void prepackedSmall(int task) {
        float[] tile = GemmScratch.current().tile;
        float[] aPacked = ap;
        MemorySegment bSeg = packed;
        long slabBytes = (long) k * GemmKernels.VBYTES;
        int strips = (m + GemmKernels.MR_SMALL - 1) / GemmKernels.MR_SMALL;
        int ch1 = Math.min(nChunks, (task + 1) * chunksPerTask);
        for (int ch = task * chunksPerTask; ch < ch1; ch++) {
            int col0 = ch * NR;
            int cols = Math.min(NR, n - col0);
            int slabs = (cols + GemmKernels.L - 1) / GemmKernels.L;
            long base = (long) ch * 4 * slabBytes;
            for (int s = 0; s < strips; s++) {
                int aBase = s * GemmKernels.MR_SMALL * k;
                int r0 = s * GemmKernels.MR_SMALL;
                int rows = m - r0;
                for (int v = 0; v < slabs; v += 2) { // a group has an even number of slabs (zero-padded)
                    long pair = base + v * slabBytes;
                    if (rows <= 8) {
                        GemmKernels.kernel8x2(aPacked, aBase, bSeg, pair, slabBytes, k, tile, v * GemmKernels.L);
                    } else { // rows 0–11 while streaming the pair from memory, rows 12–15 from cache
                        GemmKernels.kernel12x2(aPacked, aBase, bSeg, pair, slabBytes, k, tile, v * GemmKernels.L);
                        if (rows > 12) {
                            GemmKernels.kernel4x2(aPacked, aBase + 12, bSeg, pair, slabBytes, k, tile,
                                    12 * NR + v * GemmKernels.L);
                        }
                    }
                }
                GemmKernels.epilogue(tile, 0, Math.min(GemmKernels.MR_SMALL, m - r0), cols,
                        c, cOff + (long) r0 * ldc + col0, ldc, bias, biasOff + col0, act, flags);
            }
        }
    }

    /** Byte offset of A[min(i, last), pc]. */
    private long aByte(int i, int last) {
        return (aOff + (long) Math.min(i, last) * lda + pc) * Float.BYTES;
    }

    private void directNN(int task) {
        float[] tile = GemmScratch.current().tile;
        int ch1 = Math.min(nChunks, (task + 1) * chunksPerTask);
        for (int ch = task * chunksPerTask; ch < ch1; ch++) {
            int col0 = ch * NR;
            int shift = 0;
            if (col0 + NR > n) { // last chunk: slide it left to end at n, keep only its new columns
                shift = col0 + NR - n;
                col0 = n - NR;
            }
            long bIdx = bOff + col0;
            for (int i = 0; i < m; ) {
                int rows;
                if (m - i >= 2) {
                    rows = Math.min(4, m - i);
                    GemmKernels.directNN4(a, rowA(i), rowA(i + 1), rowA(i + 2), rowA(i + 3), b, bIdx, ldb, k, tile);
                } else {
                    rows = 1;
                    GemmKernels.directNN1(a, rowA(i), b, bIdx, ldb, k, tile);
                }
                GemmKernels.epilogue(tile, shift, rows, NR - shift, c, cOff + (long) i * ldc + col0 + shift, ldc,
                        bias, biasOff + col0 + shift, act, flags);
                i += rows;
            }
        }
    }

    private void directNT(int task) {
        float[] tile = GemmScratch.current().tile;
        int ch1 = Math.min(nChunks, (task + 1) * chunksPerTask);
        for (int ch = task * chunksPerTask; ch < ch1; ch++) {
            int col0 = ch * NR;
            int cols = Math.min(NR, n - col0);
            for (int i = 0; i < m; ) {
                int rows = m - i >= 2 ? Math.min(4, m - i) : 1;
                for (int jj = 0; jj < cols; jj += 4) {
                    int j = col0 + jj;
                    if (rows > 1) {
                        GemmKernels.dotNT4x4(a, rowA(i), rowA(i + 1), rowA(i + 2), rowA(i + 3),
                                b, rowB(j), rowB(j + 1), rowB(j + 2), rowB(j + 3), k, tile, jj);
                    } else {
                        GemmKernels.dotNT1x4(a, rowA(i), b, rowB(j), rowB(j + 1), rowB(j + 2), rowB(j + 3),
                                k, tile, jj);
                    }
                }
                GemmKernels.epilogue(tile, 0, rows, cols, c, cOff + (long) i * ldc + col0, ldc,
                        bias, biasOff + col0, act, flags);
                i += rows;
            }
        }
    }

    /** Element index of A[i, 0], clamped to the last row (the kernels then compute a duplicate row, never stored). */
    private long rowA(int i) {
        return aOff + (long) Math.min(i, m - 1) * lda;
    }

    /** Element index of B[j, 0] of a transposed B, clamped to the last row. */
    private long rowB(int j) {
        return bOff + (long) Math.min(j, n - 1) * ldb;
    }
}
