package dev.graft.core.kernels;

import java.lang.foreign.MemorySegment;

/**
 * The numeric kernels Graft's hot path runs on, over raw {@link MemorySegment}s of little-endian
 * {@code float}s (f32) or {@code int}s (i32 masks).
 *
 * <p>Conventions for every method:
 * <ul>
 *   <li>Offsets ({@code aOff}, {@code outOff}, …) and leading dimensions ({@code lda}, …) count
 *       <em>elements</em>, not bytes. Matrices are row-major: element (i, j) of A is at {@code aOff + i*lda + j}.</li>
 *   <li>An output may alias its input exactly (same segment and offset) where a method says so
 *       ("in place allowed"); partial overlaps are undefined.</li>
 *   <li>Masks are i32 segments, 1 = keep, 0 = padding (the {@code attention_mask} of Hugging Face models).</li>
 *   <li>Implementations allocate nothing per call once warmed up, and are safe to call from many threads
 *       at once.</li>
 * </ul>
 *
 * <p>Two implementations exist: {@link ScalarKernels}, plain loops that serve as the reference, and
 * {@code dev.graft.core.kernels.vector.VectorKernels} on the Vector API. {@link #create(int)} picks the
 * best one available and logs once why it fell back, if it did.
 */
public interface Kernels extends AutoCloseable {

    /** Short name for logs and benchmarks ("scalar", "vector-512"). */
    String name();

    /** Threads GEMM may use (the caller's thread included). */
    int threads();

    /** The pool GEMM splits work over; other parallel kernels (attention) share it. */
    dev.graft.core.parallel.ComputePool pool();

    /**
     * {@code C[m×n] = act(A[m×k] · op(B) + bias) (+ C when accumulate)}.
     *
     * @param bTransposed false: B is [k×n] (element (p, j) at {@code bOff + p*ldb + j}, ONNX's MatMul layout);
     *                    true: B is [n×k] (element (j, p) at {@code bOff + j*ldb + p}, PyTorch Linear's layout)
     * @param bias        n floats at {@code biasOff}, or {@code null} for none
     * @param act         applied to {@code A·B + bias} before accumulation
     * @param accumulate  false: C is overwritten; true: the result is added to C's contents (fuses a residual)
     */
    void gemm(int m, int n, int k,
              MemorySegment a, long aOff, int lda,
              MemorySegment b, long bOff, int ldb, boolean bTransposed,
              MemorySegment bias, long biasOff,
              Activation act, boolean accumulate,
              MemorySegment c, long cOff, int ldc);

    /**
     * Layer normalisation of each of {@code rows} contiguous rows of {@code cols} floats:
     * {@code out = (x - mean) / sqrt(var + eps) * gamma + beta}, biased variance. In place allowed.
     */
    void layerNorm(int rows, int cols, MemorySegment x, long xOff,
                   MemorySegment gamma, long gammaOff, MemorySegment beta, long betaOff,
                   float eps, MemorySegment out, long outOff);

    /** GELU (erf form, max abs error 1e-6 against {@code x/2·(1+erf(x/√2))}) of {@code n} floats. In place allowed. */
    void gelu(long n, MemorySegment x, long xOff, MemorySegment out, long outOff);

    /** {@code out = a + b} over {@code n} floats. In place allowed (out may be a or b). */
    void add(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff);

    /**
     * Row softmax of {@code x * scale} over {@code rows} rows of {@code cols} floats, row stride {@code ld}, in place.
     * When {@code keyMask} is non-null, column j of every row is excluded where {@code keyMask[maskOff + j] == 0}
     * (it gets probability exactly 0); a row whose columns are all excluded becomes all zeros.
     */
    void softmax(int rows, int cols, MemorySegment x, long xOff, int ld, float scale,
                 MemorySegment keyMask, long maskOff);

    /**
     * Masked mean pooling: for each of {@code batch} sequences of {@code tokens × hidden} floats, the mean of the
     * token vectors whose mask is 1, into {@code out[batch × hidden]}. A sequence with no unmasked token pools to
     * zeros. {@code mask} is {@code batch × tokens} i32, or null for all ones.
     */
    void meanPool(int batch, int tokens, int hidden, MemorySegment x, long xOff,
                  MemorySegment mask, long maskOff, MemorySegment out, long outOff);

    /** Scales each of {@code rows} rows of {@code cols} floats to unit L2 norm (a zero row stays zero). In place allowed. */
    void l2Normalize(int rows, int cols, MemorySegment x, long xOff, MemorySegment out, long outOff);

    /** Releases the thread pool, if this instance owns one. */
    @Override
    void close();

    /**
     * The best kernels for this JVM with {@code threads} GEMM threads: the Vector API implementation when the
     * {@code jdk.incubator.vector} module is present and usable, otherwise the scalar one (logged once, with the
     * reason).
     */
    static Kernels create(int threads) {
        return KernelSelection.create(threads);
    }

    /** {@link #create(int)} with one thread per available processor. */
    static Kernels create() {
        return create(Runtime.getRuntime().availableProcessors());
    }
}
