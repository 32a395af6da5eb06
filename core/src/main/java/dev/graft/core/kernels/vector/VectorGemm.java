package dev.graft.core.kernels.vector;

import static dev.graft.core.kernels.vector.GemmKernels.MR;
import static dev.graft.core.kernels.vector.GemmKernels.NR;

import dev.graft.core.kernels.Activation;
import dev.graft.core.kernels.PackedB;
import dev.graft.core.kernels.ScalarGemm;
import dev.graft.core.parallel.ComputePool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;

/**
 * The Vector API GEMM behind {@link dev.graft.core.kernels.Kernels#gemm}: {@code C = act(A·op(B) + bias) (+C)}.
 *
 * <p><b>Packed path</b> (large m, or B in PyTorch layout beyond m = {@value #SMALL_M_NT}): Goto/BLIS-style.
 * For each block of up to {@value #KC} k-steps and {@value #B_PACK_FLOATS} floats of B, B is packed once into
 * contiguous panels of {@link GemmKernels#NR} columns (a copy for [K×N], a 16×16-block transpose for [N×K]), in
 * parallel, into the calling thread's buffer. Then the tasks — blocks of ~{@value #MC} rows × a range of panels —
 * run the register-blocked 6×4-vector micro-kernel, which broadcasts A straight from its segment (A is not
 * packed), and finish each 6×NR tile with the fused epilogue (bias, activation, accumulate).
 *
 * <p><b>In-place path</b> (m ≤ {@value #SMALL_M_NN} with B as [K×N]; m ≤ {@value #SMALL_M_NT} with B as [N×K]):
 * packing B would cost as much as the product, so B is read where it lies: [K×N] by a 4-row × NR kernel streaming
 * B's rows, [N×K] by 4×4 dot-product kernels along k. Batch-1 inference and pooled heads take this path.
 *
 * <p><b>Pre-packed B</b> ({@link #packB}, for frozen weights): B is copied once into one-vector column slabs.
 * m ≤ {@value #SMALL_M_PREPACKED}: A is packed k-major in 16-row strips and {@link GemmKernels#kernel12x2} streams
 * each pair of slabs once from memory for rows 0–11 (re-read from cache by {@link GemmKernels#kernel4x2} for rows
 * 12–15) — batch-1 inference. Larger m: the packed
 * path above, its panels copied from the slabs instead of packed from B.
 *
 * <p>Work is spread over the {@link ComputePool} by its atomic counter once a product exceeds
 * {@value #PARALLEL_MIN_FLOPS} flops. Scratch buffers are per thread ({@link GemmScratch}), so one instance is safe
 * to call from many threads at once; a call made while the pool is busy, or from inside a pool task, runs
 * single-threaded inline. Steady-state calls allocate nothing.
 *
 * <p>Segments of a confined {@link java.lang.foreign.Arena} can only be read by their owner, so a call with one
 * runs on the calling thread alone. Heap segments must be backed by {@code byte[]} (a limit of the Vector API);
 * other heap segments, and k = 0, go to {@link ScalarGemm}.
 */
public final class VectorGemm {
    /**
     * Most k-steps per block. Large on purpose: every extra k block re-reads and re-writes C, and on Zen 4 those
     * cache misses cost more than streaming a long B panel (KC×NR floats, up to 512 KiB) from L2.
     */
    static final int KC = 2048;
    /** Target rows per block of C. */
    static final int MC = 96;
    /** Most floats of packed B held at once (4 MiB per calling thread); wider B is done in column blocks. */
    static final int B_PACK_FLOATS = 1 << 20;
    /** Largest m for which row-major B is read in place rather than packed. */
    static final int SMALL_M_NN = 128;
    /** Largest m for which transposed B is read in place (dot products) rather than packed. */
    static final int SMALL_M_NT = 16;
    /** Largest m run by the 16-row pre-packed kernel (one or two strips); larger m runs the 6×4 kernel. */
    static final int SMALL_M_PREPACKED = 32;
    /** Below this many flops a GEMM runs on the calling thread alone. */
    static final long PARALLEL_MIN_FLOPS = 1L << 21;

    private final ComputePool pool;

    public VectorGemm(ComputePool pool) {
        this.pool = pool;
    }

    /** Same contract as {@link dev.graft.core.kernels.Kernels#gemm}. */
    public void gemm(int m, int n, int k,
                     MemorySegment a, long aOff, int lda,
                     MemorySegment b, long bOff, int ldb, boolean bTransposed,
                     MemorySegment bias, long biasOff,
                     Activation act, boolean accumulate,
                     MemorySegment c, long cOff, int ldc) {
        ScalarGemm.checkArguments(m, n, k, a, aOff, lda, b, bOff, ldb, bTransposed, bias, biasOff, act, c, cOff, ldc);
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0 || !vectorAccessible(a) || !vectorAccessible(b) || !vectorAccessible(c)
                || bias != null && !vectorAccessible(bias)) {
            ScalarGemm.gemm(m, n, k, a, aOff, lda, b, bOff, ldb, bTransposed, bias, biasOff, act, accumulate,
                    c, cOff, ldc);
            return;
        }
        GemmScratch scratch = GemmScratch.current();
        GemmJob job = scratch.job;
        job.set(m, n, k, a, aOff, lda, b, bOff, ldb, bTransposed, bias, biasOff, act, accumulate, c, cOff, ldc);
        boolean parallel = pool.threads() > 1 && 2L * m * n * k >= PARALLEL_MIN_FLOPS
                && sharable(a) && sharable(b) && sharable(c) && (bias == null || sharable(bias));
        try {
            if (!bTransposed && m <= SMALL_M_NN && n >= NR || bTransposed && m <= SMALL_M_NT) {
                runDirect(job, parallel);
            } else {
                runPacked(job, scratch, parallel);
            }
        } finally {
            job.release();
        }
    }

    /**
     * Same contract as {@link dev.graft.core.kernels.Kernels#packB}: B copied once into one-vector-wide column slabs
     * ({@link PackedB} with {@link GemmKernels#L} lanes), each holding all k steps, which the kernels stream.
     */
    public static PackedB packB(int k, int n, MemorySegment b, long bOff, int ldb, boolean bTransposed,
                                SegmentAllocator allocator) {
        ScalarGemm.checkPackArguments(k, n, b, bOff, ldb, bTransposed);
        long floats = PackedB.floats(k, n, GemmKernels.L);
        MemorySegment dst = allocator.allocate(Math.max(floats, 1) * Float.BYTES, 64);
        int lanes = GemmKernels.L;
        if (k > 0 && n > 0) {
            float[] slab = new float[k * lanes];
            long slabs = floats / ((long) k * lanes);
            for (int s = 0; s < slabs; s++) {
                int col0 = s * lanes;
                int cols = Math.max(0, Math.min(lanes, n - col0));
                if (cols == 0) {
                    java.util.Arrays.fill(slab, 0f);
                } else if (bTransposed) {
                    GemmKernels.packBTransposed(b, bOff, ldb, 0, k, col0, cols, lanes, slab, 0);
                } else {
                    GemmKernels.packB(b, bOff, ldb, 0, k, col0, cols, lanes, slab, 0);
                }
                MemorySegment.copy(slab, 0, dst, GemmKernels.F32, (long) s * k * lanes * Float.BYTES, k * lanes);
            }
        }
        return new PackedB(k, n, GemmKernels.L, dst);
    }

    /** Same contract as {@link dev.graft.core.kernels.Kernels#gemm(int, MemorySegment, long, int, PackedB, MemorySegment, long, Activation, boolean, MemorySegment, long, int)}. */
    public void gemm(int m, MemorySegment a, long aOff, int lda, PackedB b,
                     MemorySegment bias, long biasOff, Activation act, boolean accumulate,
                     MemorySegment c, long cOff, int ldc) {
        ScalarGemm.checkArguments(m, a, aOff, lda, b, bias, biasOff, act, c, cOff, ldc);
        int n = b.n();
        int k = b.k();
        if (m == 0 || n == 0) {
            return;
        }
        MemorySegment bs = b.segment();
        if (b.lanes() == 0) { // plain row-major copy (made by the scalar kernels)
            gemm(m, n, k, a, aOff, lda, bs, 0, n, false, bias, biasOff, act, accumulate, c, cOff, ldc);
            return;
        }
        if (k == 0 || b.lanes() != GemmKernels.L || !vectorAccessible(a) || !vectorAccessible(bs)
                || !vectorAccessible(c) || bias != null && !vectorAccessible(bias)) {
            ScalarGemm.gemm(m, a, aOff, lda, b, bias, biasOff, act, accumulate, c, cOff, ldc);
            return;
        }
        GemmScratch scratch = GemmScratch.current();
        GemmJob job = scratch.job;
        job.set(m, n, k, a, aOff, lda, null, 0, n, false, bias, biasOff, act, accumulate, c, cOff, ldc);
        job.packed = bs;
        boolean parallel = pool.threads() > 1 && 2L * m * n * k >= PARALLEL_MIN_FLOPS
                && sharable(a) && sharable(bs) && sharable(c) && (bias == null || sharable(bias));
        try {
            runPrepacked(job, scratch, parallel);
        } finally {
            job.release();
        }
    }

    private void runPrepacked(GemmJob job, GemmScratch scratch, boolean parallel) {
        int m = job.m;
        int k = job.k;
        if (m <= SMALL_M_PREPACKED) { // strips of 16 rows, A packed k-major, each B slab read once per strip
            int strips = ceilDiv(m, GemmKernels.MR_SMALL);
            float[] ap = scratch.packedA(strips * GemmKernels.MR_SMALL * k);
            GemmKernels.packA16(job.a, job.aOff, job.lda, m, k, ap);
            job.ap = ap;
            job.phase = GemmJob.PREPACKED_SMALL;
            job.flags = finalFlags(job);
            job.nChunks = ceilDiv(job.n, NR);
            job.chunksPerTask = parallel ? 1 : job.nChunks;
            run(job, ceilDiv(job.nChunks, job.chunksPerTask), parallel);
            return;
        }
        // Large m: the per-call packed path, its panels copied from the slabs (a sequential copy, amortised over m).
        runPacked(job, scratch, parallel);
    }

    private void runDirect(GemmJob job, boolean parallel) {
        job.phase = job.bTransposed ? GemmJob.DIRECT_NT : GemmJob.DIRECT_NN;
        job.flags = finalFlags(job);
        job.nChunks = ceilDiv(job.n, NR);
        job.chunksPerTask = parallel ? 1 : job.nChunks;
        run(job, ceilDiv(job.nChunks, job.chunksPerTask), parallel);
    }

    private void runPacked(GemmJob job, GemmScratch scratch, boolean parallel) {
        int m = job.m;
        int n = job.n;
        int k = job.k;
        // One k block when an activation must see the whole sum before C is added; else blocks of ~KC.
        int kcMax = job.accumulate && job.act != Activation.NONE ? k : KC;
        int kc = ceilDiv(k, ceilDiv(k, kcMax));
        // Column blocks bound the packed B buffer to B_PACK_FLOATS.
        int ncMax = Math.max(NR, B_PACK_FLOATS / kc / NR * NR);
        int mBlocks = ceilDiv(m, MC);
        int mc = ceilDiv(ceilDiv(m, mBlocks), MR) * MR;
        mBlocks = ceilDiv(m, mc);
        job.kcStride = kc;
        job.mc = mc;
        job.bp = scratch.packedB(kc * ceilDiv(Math.min(n, ncMax), NR) * NR);
        for (int jc = 0; jc < n; jc += ncMax) {
            int nPanels = ceilDiv(Math.min(ncMax, n - jc), NR);
            int nBlocks = 1;
            if (parallel) { // enough blocks for the atomic counter to balance the threads
                nBlocks = Math.min(nPanels, Math.max(1, ceilDiv(4 * pool.threads(), mBlocks)));
            }
            int ppb = ceilDiv(nPanels, nBlocks);
            job.colBase = jc;
            job.colEnd = Math.min(n, jc + ncMax);
            job.nPanels = nPanels;
            job.panelsPerBlock = ppb;
            job.nBlocks = ceilDiv(nPanels, ppb);
            for (int pc = 0; pc < k; pc += kc) {
                job.pc = pc;
                job.kcCur = Math.min(kc, k - pc);
                job.flags = blockFlags(job, pc == 0, pc + job.kcCur >= k);
                job.phase = GemmJob.PACK_B;
                run(job, nPanels, parallel);
                job.phase = GemmJob.PACKED;
                run(job, mBlocks * job.nBlocks, parallel);
            }
        }
    }

    private void run(GemmJob job, int tasks, boolean parallel) {
        if (parallel && tasks > 1) {
            pool.parallelFor(tasks, job);
        } else {
            for (int i = 0; i < tasks; i++) {
                job.run(i, 0);
            }
        }
    }

    /** Epilogue flags when the whole k range is summed in one pass. */
    private static int finalFlags(GemmJob job) {
        return blockFlags(job, true, true);
    }

    /** Epilogue flags for a k block: bias once, C before the activation unless it must come after, act last. */
    private static int blockFlags(GemmJob job, boolean first, boolean last) {
        int flags = 0;
        if (first && job.bias != null) {
            flags |= GemmKernels.ADD_BIAS;
        }
        boolean actOn = job.act != Activation.NONE;
        if (!first || job.accumulate && !actOn) {
            flags |= GemmKernels.ADD_C;
        }
        if (last && actOn) {
            flags |= GemmKernels.ACTIVATE;
            if (job.accumulate) {
                flags |= GemmKernels.ADD_C_AFTER; // only reached with a single k block (see runPacked)
            }
        }
        return flags;
    }

    @Override
    public String toString() {
        return "VectorGemm[threads=" + pool.threads() + ", lanes=" + GemmKernels.L + "]";
    }

    /** A thread that owns no segment: a segment it may access is not confined to the caller. */
    private static final Thread OTHER_THREAD = Thread.ofPlatform().unstarted(() -> { });

    /** Whether the pool's workers may read the segment (false for a confined arena's segments). */
    private static boolean sharable(MemorySegment s) {
        return s.isAccessibleBy(OTHER_THREAD);
    }

    /** The Vector API reads native segments and byte[]-backed heap segments only. */
    private static boolean vectorAccessible(MemorySegment s) {
        return s.isNative() || s.heapBase().orElse(null) instanceof byte[];
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }
}
