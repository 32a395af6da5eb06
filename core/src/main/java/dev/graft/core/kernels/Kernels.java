package dev.graft.core.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;

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
     * Copies a constant B (a frozen weight) once into the layout this implementation's {@link #gemm(int,
     * MemorySegment, long, int, PackedB, MemorySegment, long, Activation, boolean, MemorySegment, long, int) gemm}
     * streams, so that calls with it do no per-call packing. B is given as to {@link #gemm(int, int, int,
     * MemorySegment, long, int, MemorySegment, long, int, boolean, MemorySegment, long, Activation, boolean,
     * MemorySegment, long, int) gemm}: [k×n], or [n×k] when {@code bTransposed}.
     *
     * @param allocator gives the packed copy's memory (about {@code 4·k·n} bytes; e.g. from a {@code TensorArena}:
     *                  the PackedB is valid while that memory is)
     */
    PackedB packB(int k, int n, MemorySegment b, long bOff, int ldb, boolean bTransposed, SegmentAllocator allocator);

    /**
     * {@code C[m×n] = act(A[m×k] · B + bias) (+ C when accumulate)} with a B packed by {@link #packB} (k and n are
     * B's). Same conventions and results (to float rounding) as the unpacked gemm. A B packed by another
     * implementation is accepted and runs on a slower path.
     */
    void gemm(int m, MemorySegment a, long aOff, int lda, PackedB b,
              MemorySegment bias, long biasOff, Activation act, boolean accumulate,
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

    // ---------------------------------------------------------------------------- blocks of attention scores
    // The four kernels below are what tiled (FlashAttention-style) and sparse attention are built from: scores of a
    // query tile against a key block come from gemm; maskBand / keepTopK exclude elements (-∞) that a pattern
    // does not visit; onlineSoftmax folds the block into running per-row statistics; divideRows ends the sweep.

    /**
     * One key block of an online ("streaming") softmax, the step that lets attention sweep over key blocks without
     * ever holding a full row of scores (FlashAttention). Row r of the {@code rows × cols} tile x (row stride
     * {@code ldx}) holds the raw scores of one query against {@code cols} keys; {@code rowMax[maxOff + r]} and
     * {@code rowSum[sumOff + r]} carry the running maximum of {@code score·scale} and the running sum of
     * exponentials over the blocks seen so far (start them at -∞ and 0), and row r of {@code acc}
     * ({@code accCols} floats, row stride {@code ldAcc}) the running un-normalised weighted sum of values.
     * For each row, with m the old and m' the new maximum:
     * <ul>
     *   <li>m' = max(m, max over kept j of x[r, j]·scale); column j is kept unless {@code keyMask[maskOff + j] == 0}
     *       (when keyMask is non-null), and an element that is -∞ never raises the maximum;</li>
     *   <li>x[r, j] ← exp(x[r, j]·scale − m') for kept j, exactly 0 for excluded j (and 0 where x was -∞);</li>
     *   <li>rowSum[r] ← rowSum[r]·exp(m − m') + Σ_j x[r, j], and the acc row is multiplied by exp(m − m'), or set
     *       to zeros when m was -∞ (so acc needs no initialisation: its contents before a row's first kept score
     *       are discarded);</li>
     *   <li>rowMax[r] ← m'.</li>
     * </ul>
     * A row with no kept score so far (m' = -∞) gets an all-zero x row and keeps rowMax -∞, rowSum 0 and its acc
     * contents. The caller then adds {@code x · V} into acc (a {@link #gemm} with {@code accumulate}) and, after
     * the last block, divides acc by rowSum ({@link #divideRows}). {@code scale} must be positive; x and acc must
     * not overlap.
     */
    void onlineSoftmax(int rows, int cols, MemorySegment x, long xOff, int ldx, float scale,
                       MemorySegment keyMask, long maskOff,
                       MemorySegment rowMax, long maxOff, MemorySegment rowSum, long sumOff,
                       MemorySegment acc, long accOff, int ldAcc, int accCols);

    /**
     * {@code out[r, j] = x[r, j] / divisors[dOff + r]} over {@code rows × cols} floats (row strides {@code ldx},
     * {@code ldOut}); a row whose divisor is 0 becomes zeros. The last step of an online softmax. In place allowed
     * (out is x with the same offset and stride).
     */
    void divideRows(int rows, int cols, MemorySegment x, long xOff, int ldx, MemorySegment divisors, long dOff,
                    MemorySegment out, long outOff, int ldOut);

    /**
     * Sets to -∞, in place, the elements of a {@code rows × cols} tile (row stride {@code ld}) outside a diagonal
     * band: element (r, c) keeps its value iff {@code o = c − r + offset} satisfies {@code lo ≤ o ≤ hi} and
     * {@code o ≡ 0 (mod step)}. For a tile of attention scores whose row 0 is query position q0 and column 0 key
     * position k0, {@code offset = k0 − q0} makes o the key's position minus the query's, so a sliding window of
     * radius w is {@code lo = −w, hi = w, step = 1} (step δ &gt; 1 dilates it). {@code step >= 1}.
     */
    void maskBand(int rows, int cols, MemorySegment x, long xOff, int ld, long offset, long lo, long hi, int step);

    /**
     * Keeps the {@code k} largest elements of each of {@code rows} rows of {@code cols} floats (row stride
     * {@code ld}), in place: every other element becomes -∞. Columns excluded by {@code keyMask}
     * ({@code keyMask[maskOff + j] == 0}, when non-null) become -∞ first and are never candidates. Elements equal
     * to the row's k-th largest are all kept (ties may keep more than k); a row with at most k candidates keeps
     * them all. Order is that of {@link Float#compare} (−0 below +0; inputs must not be NaN). {@code k >= 1}.
     */
    void keepTopK(int rows, int cols, MemorySegment x, long xOff, int ld, int k, MemorySegment keyMask, long maskOff);

    // ---------------------------------------------------------------------------- backward (training)
    // Training through the frozen backbone: gradients flow to activations (and from there to adapter and head
    // parameters), never to the backbone's weights, so these kernels compute input gradients only. Each takes what
    // the forward computed (or its input, to recompute cheap statistics) and the upstream gradient dy.
    // ScalarBackward holds the reference of each.

    /**
     * {@code dx = dy ⊙ act'(x)} over {@code n} floats, where x is the activation's input (GELU: the exact erf form's
     * derivative {@code Φ(x) + x·φ(x)}; RELU: 1 for x &gt; 0 else 0; TANH: {@code 1 − tanh²(x)}; NONE: dy). In
     * place allowed (dx may be dy).
     */
    void activationBackward(Activation act, long n, MemorySegment x, long xOff, MemorySegment dy, long dyOff,
                            MemorySegment dx, long dxOff);

    /**
     * Input gradient of {@link #layerNorm} (no gamma/beta gradients: those weights are frozen). x is the layer
     * norm's input, whose mean and {@code rstd = 1/sqrt(var + eps)} are recomputed per row; with
     * {@code x̂ = (x − mean)·rstd} and {@code g = dy ⊙ gamma}: {@code dx = rstd · (g − mean(g) − x̂ · mean(g ⊙ x̂))}.
     * In place allowed (dx may be dy, not x).
     */
    void layerNormBackward(int rows, int cols, MemorySegment x, long xOff, MemorySegment gamma, long gammaOff,
                           float eps, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff);

    /**
     * Backward of a row softmax {@code y = softmax(z · scale)} (masked columns have y = 0), in place on dy:
     * {@code dz = scale · y ⊙ (dy − Σ_j dy_j·y_j)} per row. y has row stride {@code ldy}, dy {@code lddy}.
     */
    void softmaxBackward(int rows, int cols, MemorySegment y, long yOff, int ldy, float scale,
                         MemorySegment dy, long dyOff, int lddy);

    /**
     * Inverted dropout over {@code n} floats: {@code out[i] = x[i] / (1 − rate)} if element {@code index0 + i}
     * is kept, else 0. Whether an element is kept is {@link ScalarBackward#keeps(long, long, float)}, a pure
     * function of (seed, index) — so the backward pass regenerates the forward's mask by calling this on dy with
     * the same seed and indices (nothing stored), and results do not depend on threads or implementation.
     * {@code 0 ≤ rate < 1}; rate 0 copies. In place allowed.
     */
    void dropout(long n, MemorySegment x, long xOff, float rate, long seed, long index0, MemorySegment out,
                 long outOff);

    /**
     * {@code out[j] (+)= Σ_r a[r, j] · b[r, j]} (just a when b is null) over {@code rows × cols} (row strides lda,
     * ldb), summed over r in an order fixed by the implementation (the same bits every run, on any thread):
     * bias gradients, and (IA)³'s
     * {@code Σ_r dy ⊙ y}. {@code accumulate}: add into out rather than overwrite.
     */
    void columnSums(int rows, int cols, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                    boolean accumulate, MemorySegment out, long outOff);

    /** {@code out[j, i] = x[i, j]} for a {@code rows × cols} x (row stride ldx) into {@code cols × rows} out. */
    void transpose(int rows, int cols, MemorySegment x, long xOff, int ldx, MemorySegment out, long outOff, int ldOut);

    /** {@code out = a ⊙ b} over {@code n} floats. In place allowed. */
    void multiply(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff);

    // ---------------------------------------------------------------------- segmented LoRA (per-row routing)

    /**
     * Segmented LoRA delta (Punica's SGMV): one call adds a different low-rank update to each of {@code segments}
     * row segments of x. Rows {@code [starts[s], starts[s+1])} get
     * {@code y[row, :] += scales[s] · (x[row, :]·A_sᵀ)·B_sᵀ}, with A_s {@code a[s]} {@code [ranks[s], in]} and
     * Bᵀ_s {@code bt[s]} {@code [ranks[s], out]} (B transposed, so that the second product runs along y's rows),
     * both row-major from element 0. A segment whose {@code a[s]} is null (no adapter) is skipped, as is an empty
     * one; ranks may differ between segments. x and y use element offsets and row strides as elsewhere here; y must
     * not overlap x. {@code t} is scratch for the {@code [rows, r]} intermediate: at least
     * {@code max_s((starts[s+1] − starts[s]) · ranks[s])} floats from {@code tOff}. The row order of a segment does
     * not matter and no row's result depends on the others (so a row routed in a batch gets the same bits as alone).
     * Runs on the caller's thread and allocates nothing.
     */
    void sgmv(int segments, int[] starts, int in, int out, MemorySegment x, long xOff, int ldx,
              MemorySegment[] a, MemorySegment[] bt, int[] ranks, float[] scales,
              MemorySegment y, long yOff, int ldy, MemorySegment t, long tOff);

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
