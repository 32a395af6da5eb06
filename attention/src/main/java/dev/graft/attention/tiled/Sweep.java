package dev.graft.attention.tiled;

import dev.graft.core.kernels.Activation;
import dev.graft.core.kernels.Kernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One query tile's online-softmax sweep over key blocks, and the thread's scratch for it. The life of a sweep:
 * <pre>{@code
 * sweep.begin(rows, d, scale);                       // running max -∞, running sum 0
 * for each key block a pattern visits:
 *     sweep.scores(cols, q, qOff, ldq, k, kOff, ldk); // S = Q_tile · K_blockᵀ       [rows × cols]
 *     sweep.maskBand(...) / excludeColumn(...) / keepTopK(...)   // the pattern's exclusions, as -∞
 *     sweep.accumulate(mask, maskOff, v, vOff, ldv, acc, accOff, ldAcc); // online softmax, acc += P · V_block
 * sweep.finish(acc, accOff, ldAcc, out, outOff, ldOut);             // out = acc / Σ
 * }</pre>
 * acc needs no initialisation (see {@link Kernels#onlineSoftmax}); it may be the output rows themselves, and
 * {@code finish} may then work in place.
 *
 * <p>Besides the score tile and the per-row statistics, a sweep holds gather buffers (rows of Q, K, V copied from
 * scattered positions, e.g. global tokens) and a block-marks array. Buffers grow when a larger tile arrives and are
 * never shrunk; their memory is off-heap, freed by the GC with the thread's sweep. Not thread-safe: one per thread.
 */
public final class Sweep {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private final Kernels kernels;
    private final AtomicLong bytes;
    final Block block = new Block();

    /** Score tiles of fewer query rows are computed as this many (see {@link #scores}). */
    static final int MIN_GEMM_ROWS = 17;

    private MemorySegment scores = MemorySegment.NULL;
    private MemorySegment paddedQ = MemorySegment.NULL;
    private MemorySegment rowMax = MemorySegment.NULL;
    private MemorySegment rowSum = MemorySegment.NULL;
    private MemorySegment gatherA = MemorySegment.NULL;
    private MemorySegment gatherB = MemorySegment.NULL;
    private MemorySegment gatherC = MemorySegment.NULL;
    private MemorySegment gatherMask = MemorySegment.NULL;
    private boolean[] marks = new boolean[0];
    private int rows;
    private int cols;
    private int d;
    private float scale;

    Sweep(Kernels kernels, AtomicLong bytes) {
        this.kernels = kernels;
        this.bytes = bytes;
    }

    /** Starts a sweep of {@code rows} queries of {@code d} dims, scores scaled by {@code scale}. */
    public void begin(int rows, int d, float scale) {
        this.rows = rows;
        this.d = d;
        this.scale = scale;
        this.cols = 0;
        rowMax = ensure(rowMax, rows, Float.BYTES);
        rowSum = ensure(rowSum, rows, Float.BYTES);
        for (int r = 0; r < rows; r++) {
            rowMax.setAtIndex(F32, r, Float.NEGATIVE_INFINITY);
            rowSum.setAtIndex(F32, r, 0f);
        }
    }

    /** S[r, c] = q_r · k_c for the sweep's rows against {@code cols} keys (row strides ldq, ldk). */
    public void scores(int cols, MemorySegment q, long qOff, int ldq, MemorySegment k, long kOff, int ldk) {
        this.cols = cols;
        if (rows >= MIN_GEMM_ROWS) {
            scores = ensure(scores, (long) rows * Math.max(cols, 1), Float.BYTES);
            kernels.gemm(rows, cols, d, q, qOff, ldq, k, kOff, ldk, true, null, 0, Activation.NONE, false, scores, 0, cols);
            return;
        }
        // Few rows: copy them into a tile of MIN_GEMM_ROWS rows (the rest unused) so that GEMM takes its packed path;
        // its small-m transposed-B path allocates (boxed vectors) on some shapes, which a hot loop must not.
        paddedQ = ensure(paddedQ, (long) MIN_GEMM_ROWS * d, Float.BYTES);
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(q, (qOff + (long) r * ldq) * Float.BYTES, paddedQ, (long) r * d * Float.BYTES, (long) d * Float.BYTES);
        }
        scores = ensure(scores, (long) MIN_GEMM_ROWS * Math.max(cols, 1), Float.BYTES);
        kernels.gemm(MIN_GEMM_ROWS, cols, d, paddedQ, 0, d, k, kOff, ldk, true, null, 0, Activation.NONE, false, scores, 0, cols);
    }

    /** Excludes the scores outside a diagonal band; see {@link Kernels#maskBand}. */
    public void maskBand(long offset, long lo, long hi, int step) {
        kernels.maskBand(rows, cols, scores, 0, cols, offset, lo, hi, step);
    }

    /** Excludes key column {@code c} of the current block for every row. */
    public void excludeColumn(int c) {
        for (int r = 0; r < rows; r++) {
            scores.setAtIndex(F32, (long) r * cols + c, Float.NEGATIVE_INFINITY);
        }
    }

    /** Keeps the k largest scores of every row; see {@link Kernels#keepTopK}. */
    public void keepTopK(int k, MemorySegment keyMask, long maskOff) {
        kernels.keepTopK(rows, cols, scores, 0, cols, k, keyMask, maskOff);
    }

    /**
     * Folds the current block into the sweep: online softmax of the scores (keys where {@code keyMask} is 0
     * excluded, when non-null), then {@code acc += P · V} for the block's values (row t at {@code vOff + t·ldv}).
     */
    public void accumulate(MemorySegment keyMask, long maskOff, MemorySegment v, long vOff, int ldv,
                           MemorySegment acc, long accOff, int ldAcc) {
        if (cols == 0) {
            return;
        }
        kernels.onlineSoftmax(rows, cols, scores, 0, cols, scale, keyMask, maskOff, rowMax, 0, rowSum, 0,
                acc, accOff, ldAcc, d);
        kernels.gemm(rows, d, cols, scores, 0, cols, v, vOff, ldv, false, null, 0, Activation.NONE, true,
                acc, accOff, ldAcc);
    }

    /** out = acc / Σ row by row (zeros for a row that saw no key). In place allowed. */
    public void finish(MemorySegment acc, long accOff, int ldAcc, MemorySegment out, long outOff, int ldOut) {
        kernels.divideRows(rows, d, acc, accOff, ldAcc, rowSum, 0, out, outOff, ldOut);
    }

    // ------------------------------------------------------------------------------------------ gather buffers

    /** A scratch buffer of at least {@code floats} floats (slot 0, 1 or 2), contiguous. */
    public MemorySegment gather(int slot, long floats) {
        return switch (slot) {
            case 0 -> gatherA = ensure(gatherA, floats, Float.BYTES);
            case 1 -> gatherB = ensure(gatherB, floats, Float.BYTES);
            case 2 -> gatherC = ensure(gatherC, floats, Float.BYTES);
            default -> throw new IllegalArgumentException("gather slot " + slot);
        };
    }

    /** A scratch buffer of at least {@code ints} i32 values (for a gathered key mask). */
    public MemorySegment gatherMask(long ints) {
        return gatherMask = ensure(gatherMask, ints, Integer.BYTES);
    }

    /** A cleared array of at least {@code n} flags; the caller clears what it set before the next use. */
    public boolean[] marks(int n) {
        if (marks.length < n) {
            bytes.addAndGet(Math.max(n, marks.length * 2L) - marks.length);
            marks = new boolean[Math.max(n, marks.length * 2)];
        }
        return marks;
    }

    /** Copies {@code d} floats from element {@code srcOff} of src to row {@code row} of a contiguous [· × d] buffer. */
    public void copyRow(MemorySegment src, long srcOff, MemorySegment dst, int row) {
        MemorySegment.copy(src, srcOff * Float.BYTES, dst, (long) row * d * Float.BYTES, (long) d * Float.BYTES);
    }

    /** Copies row {@code row} of a contiguous [· × d] buffer to element {@code dstOff} of dst. */
    public void copyRowOut(MemorySegment src, int row, MemorySegment dst, long dstOff) {
        MemorySegment.copy(src, (long) row * d * Float.BYTES, dst, dstOff * Float.BYTES, (long) d * Float.BYTES);
    }

    /** Sets entry i of an i32 buffer. */
    public static void setInt(MemorySegment ints, long i, int value) {
        ints.setAtIndex(I32, i, value);
    }

    private MemorySegment ensure(MemorySegment s, long count, int size) {
        long need = Math.max(count, 1) * size;
        if (s.byteSize() >= need) {
            return s;
        }
        long grown = Math.max(need, s.byteSize() + s.byteSize() / 2);
        MemorySegment fresh = Arena.ofAuto().allocate(grown, 64);
        bytes.addAndGet(grown - s.byteSize());
        return fresh;
    }
}
