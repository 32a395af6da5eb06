package dev.graft.core.kernels.vector;

import dev.graft.core.kernels.Activation;
import dev.graft.core.kernels.KernelArgs;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.kernels.ScalarKernels;
import dev.graft.core.parallel.ComputePool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernels: {@link FloatVector}s of the platform's preferred width (16 lanes with AVX-512) loaded
 * straight from the {@link MemorySegment}s, with masked loads and stores for the last, partial vector of a row.
 * GEMM lives in {@link VectorGemm}.
 *
 * <p>Design notes:
 * <ul>
 *   <li>Every vector lives in a local of one method; the per-row helpers take segments and scalars only, so a
 *       helper that C2 decides not to inline still cannot make it box a vector. Nothing is allocated per call.</li>
 *   <li>Reductions keep four independent accumulators (to hide the add latency) in the sweeps that do nothing
 *       else, and reduce across lanes once per row, in {@link VectorMath}'s fixed butterfly order (never
 *       {@code reduceLanes(ADD)}, whose order depends on how the JIT compiled the caller), so every kernel gives
 *       the same bits interpreted, C1- or C2-compiled.</li>
 *   <li>layerNorm takes the mean first and then the variance around it (two passes over a row that sits in L1)
 *       rather than the single-pass {@code E[x²] - E[x]²}, which in float loses most digits of the variance
 *       when the mean is large next to the spread (hidden states around 100 ± 1, say). The second pass also
 *       sums the deviations to correct the first mean's rounding ("corrected two-pass"), and the output is
 *       {@code ((x - mean0) - delta)}, where {@code x - mean0} is exact for x near the mean: the result then
 *       carries float rounding of the deviation, not of the (much larger) mean.</li>
 *   <li>l2Normalize sums squares in float; a row whose sum of squares is zero, non-finite or outside
 *       [1e-30, 1e30] (where float squares over- or underflow) is redone in double by the scalar reference.</li>
 *   <li>The backward (training) kernels' loops live in {@link VectorBackward} (its javadoc says how each is
 *       computed); they use scalar tails rather than masked loads and stores.</li>
 *   <li>The non-GEMM kernels run on the caller's thread.</li>
 * </ul>
 */
public final class VectorKernels implements Kernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final int L = F.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;
    private static final String NAME = "vector-" + F.vectorBitSize();

    private final ComputePool pool;
    private final VectorGemm gemm;

    public VectorKernels(ComputePool pool) {
        this.pool = pool;
        this.gemm = new VectorGemm(pool);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int threads() {
        return pool.threads();
    }

    @Override
    public ComputePool pool() {
        return pool;
    }

    @Override
    public void gemm(int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                     boolean bTransposed, MemorySegment bias, long biasOff, Activation act, boolean accumulate,
                     MemorySegment c, long cOff, int ldc) {
        gemm.gemm(m, n, k, a, aOff, lda, b, bOff, ldb, bTransposed, bias, biasOff, act, accumulate, c, cOff, ldc);
    }

    // ---------------------------------------------------------------------------------------------- layerNorm

    @Override
    public dev.graft.core.kernels.PackedB packB(int k, int n, MemorySegment b, long bOff, int ldb, boolean bTransposed,
                                                java.lang.foreign.SegmentAllocator allocator) {
        return VectorGemm.packB(k, n, b, bOff, ldb, bTransposed, allocator);
    }

    @Override
    public void gemm(int m, MemorySegment a, long aOff, int lda, dev.graft.core.kernels.PackedB b,
                     MemorySegment bias, long biasOff, Activation act, boolean accumulate,
                     MemorySegment c, long cOff, int ldc) {
        gemm.gemm(m, a, aOff, lda, b, bias, biasOff, act, accumulate, c, cOff, ldc);
    }

    @Override
    public void layerNorm(int rows, int cols, MemorySegment x, long xOff, MemorySegment gamma, long gammaOff,
                          MemorySegment beta, long betaOff, float eps, MemorySegment out, long outOff) {
        KernelArgs.f32Rows("layerNorm", "x", x, xOff, rows, cols, cols, false);
        KernelArgs.f32Rows("layerNorm", "out", out, outOff, rows, cols, cols, true);
        KernelArgs.f32("layerNorm", "gamma", gamma, gammaOff, cols);
        KernelArgs.f32("layerNorm", "beta", beta, betaOff, cols);
        if (cols == 0) {
            return;
        }
        for (int r = 0; r < rows; r++) {
            layerNormRow(cols, x, (xOff + (long) r * cols) * Float.BYTES, gamma, gammaOff * Float.BYTES,
                    beta, betaOff * Float.BYTES, eps, out, (outOff + (long) r * cols) * Float.BYTES);
        }
    }

    /**
     * One row; all offsets in bytes. Each pass is its own small method: C2 compiles small methods sooner and more
     * reliably, and until a Vector API method is C2-compiled its vectors are objects on the heap.
     */
    private static void layerNormRow(int cols, MemorySegment x, long xb, MemorySegment gamma, long gb,
                                     MemorySegment beta, long bb, float eps, MemorySegment out, long ob) {
        float mean0 = sum(cols, x, xb) / cols;                          // pass 1: a first estimate of the mean
        long sums = deviationSums(cols, x, xb, mean0);                  // pass 2: Σ(x - mean0), Σ(x - mean0)²
        float delta = Float.intBitsToFloat((int) (sums >>> 32)) / cols; // mean = mean0 + delta
        float variance = Float.intBitsToFloat((int) sums) / cols - delta * delta;
        float rstd = (float) (1.0 / Math.sqrt(Math.max(0.0, variance) + (double) eps));
        normalizeRow(cols, x, xb, mean0, delta, rstd, gamma, gb, beta, bb, out, ob); // pass 3
    }

    /** Σ x over one row. */
    private static float sum(int cols, MemorySegment x, long xb) {
        FloatVector s0 = FloatVector.zero(F);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        int j = 0;
        for (int bound = cols - 4 * L; j <= bound; j += 4 * L) {
            long o = xb + (long) j * Float.BYTES;
            s0 = s0.add(FloatVector.fromMemorySegment(F, x, o, LE));
            s1 = s1.add(FloatVector.fromMemorySegment(F, x, o + L * Float.BYTES, LE));
            s2 = s2.add(FloatVector.fromMemorySegment(F, x, o + 2L * L * Float.BYTES, LE));
            s3 = s3.add(FloatVector.fromMemorySegment(F, x, o + 3L * L * Float.BYTES, LE));
        }
        for (; j < cols; j += L) { // at most three full vectors and a partial one
            s0 = s0.add(FloatVector.fromMemorySegment(F, x, xb + (long) j * Float.BYTES, LE, F.indexInRange(j, cols)));
        }
        FloatVector v = s0.add(s1).add(s2.add(s3));
        // fixed-order lane sum, the same in every execution mode (VectorMath)
        if (L > 32) v = v.add(v.rearrange(VectorMath.SWAP_32));
        if (L > 16) v = v.add(v.rearrange(VectorMath.SWAP_16));
        if (L > 8) v = v.add(v.rearrange(VectorMath.SWAP_8));
        if (L > 4) v = v.add(v.rearrange(VectorMath.SWAP_4));
        v = v.add(v.rearrange(VectorMath.SWAP_2));
        v = v.add(v.rearrange(VectorMath.SWAP_1));
        return v.lane(0);
    }

    /**
     * Σ d and Σ d² for d = x - mean0 over one row, packed as the float bits of Σ d (high half) and Σ d² (low half)
     * of a long, so that two results come back without an allocation.
     */
    private static long deviationSums(int cols, MemorySegment x, long xb, float mean0) {
        FloatVector c0 = FloatVector.zero(F);
        FloatVector c1 = c0;
        FloatVector s0 = c0;
        FloatVector s1 = c0;
        int j = 0;
        for (int bound = cols - 2 * L; j <= bound; j += 2 * L) {
            long o = xb + (long) j * Float.BYTES;
            FloatVector d0 = FloatVector.fromMemorySegment(F, x, o, LE).sub(mean0);
            FloatVector d1 = FloatVector.fromMemorySegment(F, x, o + L * Float.BYTES, LE).sub(mean0);
            c0 = c0.add(d0);
            c1 = c1.add(d1);
            s0 = d0.fma(d0, s0);
            s1 = d1.fma(d1, s1);
        }
        for (; j < cols; j += L) {
            VectorMask<Float> in = F.indexInRange(j, cols);
            // lanes outside the row load as 0 and must stay 0, not become -mean0
            FloatVector d = FloatVector.fromMemorySegment(F, x, xb + (long) j * Float.BYTES, LE, in).sub(mean0, in);
            c0 = c0.add(d);
            s0 = d.fma(d, s0);
        }
        // two fixed-order lane sums at once (VectorMath): deviations in the lower half, squares in the upper, then
        // each half summed by the butterfly; lane 0 holds Σ d, lane HALF Σ d²
        FloatVector c = c0.add(c1);
        FloatVector s = s0.add(s1);
        FloatVector h = c.blend(s, VectorMath.HIGH_HALF).add(s.blend(c, VectorMath.HIGH_HALF).rearrange(VectorMath.SWAP_HALF));
        if (L > 32) h = h.add(h.rearrange(VectorMath.SWAP_16));
        if (L > 16) h = h.add(h.rearrange(VectorMath.SWAP_8));
        if (L > 8) h = h.add(h.rearrange(VectorMath.SWAP_4));
        if (L > 4) h = h.add(h.rearrange(VectorMath.SWAP_2));
        h = h.add(h.rearrange(VectorMath.SWAP_1));
        float deviations = h.lane(0);
        float squares = h.lane(VectorMath.HALF);
        return ((long) Float.floatToRawIntBits(deviations) << 32) | (Float.floatToRawIntBits(squares) & 0xFFFF_FFFFL);
    }

    /** out ← ((x - mean0) - delta) · rstd · γ + β over one row. */
    private static void normalizeRow(int cols, MemorySegment x, long xb, float mean0, float delta, float rstd,
                                     MemorySegment gamma, long gb, MemorySegment beta, long bb,
                                     MemorySegment out, long ob) {
        int j = 0;
        for (int bound = cols - L; j <= bound; j += L) {
            long o = (long) j * Float.BYTES;
            FloatVector v = FloatVector.fromMemorySegment(F, x, xb + o, LE);
            FloatVector g = FloatVector.fromMemorySegment(F, gamma, gb + o, LE);
            FloatVector b = FloatVector.fromMemorySegment(F, beta, bb + o, LE);
            v.sub(mean0).sub(delta).mul(rstd).fma(g, b).intoMemorySegment(out, ob + o, LE);
        }
        if (j < cols) {
            long o = (long) j * Float.BYTES;
            VectorMask<Float> tail = F.indexInRange(j, cols);
            FloatVector v = FloatVector.fromMemorySegment(F, x, xb + o, LE, tail);
            FloatVector g = FloatVector.fromMemorySegment(F, gamma, gb + o, LE, tail);
            FloatVector b = FloatVector.fromMemorySegment(F, beta, bb + o, LE, tail);
            v.sub(mean0).sub(delta).mul(rstd).fma(g, b).intoMemorySegment(out, ob + o, LE, tail);
        }
    }

    // ------------------------------------------------------------------------------------------ element-wise

    @Override
    public void gelu(long n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        KernelArgs.f32("gelu", "x", x, xOff, n);
        KernelArgs.f32Out("gelu", "out", out, outOff, n);
        VectorMath.gelu(n, x, xOff * Float.BYTES, out, outOff * Float.BYTES);
    }

    @Override
    public void add(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        KernelArgs.f32("add", "a", a, aOff, n);
        KernelArgs.f32("add", "b", b, bOff, n);
        KernelArgs.f32Out("add", "out", out, outOff, n);
        long ab = aOff * Float.BYTES;
        long bb = bOff * Float.BYTES;
        long ob = outOff * Float.BYTES;
        long i = 0;
        for (long bound = F.loopBound(n); i < bound; i += L) {
            long o = i * Float.BYTES;
            FloatVector.fromMemorySegment(F, a, ab + o, LE)
                    .add(FloatVector.fromMemorySegment(F, b, bb + o, LE))
                    .intoMemorySegment(out, ob + o, LE);
        }
        if (i < n) {
            long o = i * Float.BYTES;
            VectorMask<Float> tail = F.indexInRange(i, n);
            FloatVector.fromMemorySegment(F, a, ab + o, LE, tail)
                    .add(FloatVector.fromMemorySegment(F, b, bb + o, LE, tail))
                    .intoMemorySegment(out, ob + o, LE, tail);
        }
    }

    // ------------------------------------------------------------------------------------------------ softmax

    @Override
    public void softmax(int rows, int cols, MemorySegment x, long xOff, int ld, float scale, MemorySegment keyMask, long maskOff) {
        KernelArgs.f32Rows("softmax", "x", x, xOff, rows, cols, ld, true);
        if (keyMask != null) {
            KernelArgs.i32("softmax", "keyMask", keyMask, maskOff, cols);
        }
        if (cols == 0) {
            return;
        }
        for (int r = 0; r < rows; r++) {
            long xb = (xOff + (long) r * ld) * Float.BYTES;
            float max = keyMask == null ? maxRow(cols, x, xb, scale) : maxRowMasked(cols, x, xb, scale, keyMask, maskOff * Integer.BYTES);
            if (max == NEG_INF) { // every column excluded (or -inf)
                zero(cols, x, xb);
                continue;
            }
            float sum = keyMask == null ? VectorMath.expRow(cols, x, xb, scale, max)
                    : VectorMath.expRowMasked(cols, x, xb, scale, max, keyMask, maskOff * Integer.BYTES);
            scaleRow(cols, x, xb, 1f / sum, x, xb);
        }
    }

    /** max over the row of x·scale. */
    private static float maxRow(int cols, MemorySegment x, long xb, float scale) {
        FloatVector m0 = FloatVector.broadcast(F, NEG_INF);
        FloatVector m1 = m0;
        FloatVector m2 = m0;
        FloatVector m3 = m0;
        int j = 0;
        for (int bound = cols - 4 * L; j <= bound; j += 4 * L) {
            long o = xb + (long) j * Float.BYTES;
            m0 = m0.max(FloatVector.fromMemorySegment(F, x, o, LE).mul(scale));
            m1 = m1.max(FloatVector.fromMemorySegment(F, x, o + L * Float.BYTES, LE).mul(scale));
            m2 = m2.max(FloatVector.fromMemorySegment(F, x, o + 2L * L * Float.BYTES, LE).mul(scale));
            m3 = m3.max(FloatVector.fromMemorySegment(F, x, o + 3L * L * Float.BYTES, LE).mul(scale));
        }
        for (int bound = cols - L; j <= bound; j += L) {
            m0 = m0.max(FloatVector.fromMemorySegment(F, x, xb + (long) j * Float.BYTES, LE).mul(scale));
        }
        float tail = NEG_INF; // scalar tail: masked memory access can compile to allocating code
        for (; j < cols; j++) {
            tail = Math.max(tail, x.get(F32, xb + (long) j * Float.BYTES) * scale);
        }
        return Math.max(m0.max(m1).max(m2.max(m3)).reduceLanes(VectorOperators.MAX), tail);
    }

    /** max over the kept columns of x·scale, -∞ when none is kept. */
    private static float maxRowMasked(int cols, MemorySegment x, long xb, float scale, MemorySegment mask, long mb) {
        FloatVector m0 = FloatVector.broadcast(F, NEG_INF);
        FloatVector m1 = m0;
        int j = 0;
        for (int bound = cols - 2 * L; j <= bound; j += 2 * L) {
            long o = (long) j * Float.BYTES;
            VectorMask<Float> k0 = IntVector.fromMemorySegment(I, mask, mb + o, LE).compare(VectorOperators.NE, 0).cast(F);
            VectorMask<Float> k1 = IntVector.fromMemorySegment(I, mask, mb + o + L * Integer.BYTES, LE)
                    .compare(VectorOperators.NE, 0).cast(F);
            m0 = m0.lanewise(VectorOperators.MAX, FloatVector.fromMemorySegment(F, x, xb + o, LE).mul(scale), k0);
            m1 = m1.lanewise(VectorOperators.MAX, FloatVector.fromMemorySegment(F, x, xb + o + L * Float.BYTES, LE).mul(scale), k1);
        }
        for (int bound = cols - L; j <= bound; j += L) {
            long o = (long) j * Float.BYTES;
            VectorMask<Float> k0 = IntVector.fromMemorySegment(I, mask, mb + o, LE).compare(VectorOperators.NE, 0).cast(F);
            m0 = m0.lanewise(VectorOperators.MAX, FloatVector.fromMemorySegment(F, x, xb + o, LE).mul(scale), k0);
        }
        float tail = NEG_INF; // scalar tail: masked memory access can compile to allocating code
        for (; j < cols; j++) {
            if (mask.get(I32, mb + (long) j * Integer.BYTES) != 0) {
                tail = Math.max(tail, x.get(F32, xb + (long) j * Float.BYTES) * scale);
            }
        }
        return Math.max(m0.max(m1).reduceLanes(VectorOperators.MAX), tail);
    }

    /** out ← x · factor over one row of n floats; byte offsets; in place allowed. */
    private static void scaleRow(int n, MemorySegment x, long xb, float factor, MemorySegment out, long ob) {
        int j = 0;
        for (int bound = n - L; j <= bound; j += L) {
            long o = (long) j * Float.BYTES;
            FloatVector.fromMemorySegment(F, x, xb + o, LE).mul(factor).intoMemorySegment(out, ob + o, LE);
        }
        for (; j < n; j++) { // scalar tail: masked memory access can compile to allocating code
            long o = (long) j * Float.BYTES;
            out.set(F32, ob + o, x.get(F32, xb + o) * factor);
        }
    }

    /** out ← +0 over n floats; byte offset (also columnSums' start in {@link VectorBackward}). */
    static void zero(int n, MemorySegment out, long ob) {
        fill(n, out, ob, 0f);
    }

    // ------------------------------------------------------------------------ blocks of attention scores

    @Override
    public void onlineSoftmax(int rows, int cols, MemorySegment x, long xOff, int ldx, float scale,
                              MemorySegment keyMask, long maskOff,
                              MemorySegment rowMax, long maxOff, MemorySegment rowSum, long sumOff,
                              MemorySegment acc, long accOff, int ldAcc, int accCols) {
        KernelArgs.onlineSoftmax(rows, cols, x, xOff, ldx, scale, keyMask, maskOff, rowMax, maxOff, rowSum, sumOff,
                acc, accOff, ldAcc, accCols);
        if (cols == 0) {
            return; // no scores: every running statistic stays as it is
        }
        long mb = maskOff * Integer.BYTES;
        for (int r = 0; r < rows; r++) {
            long xb = (xOff + (long) r * ldx) * Float.BYTES;
            long ab = (accOff + (long) r * ldAcc) * Float.BYTES;
            float m = rowMax.getAtIndex(F32, maxOff + r);
            float blockMax = keyMask == null ? maxRow(cols, x, xb, scale) : maxRowMasked(cols, x, xb, scale, keyMask, mb);
            float mNew = Math.max(m, blockMax);
            if (mNew == NEG_INF) { // nothing kept yet
                zero(cols, x, xb);
                continue;
            }
            float sum = keyMask == null ? VectorMath.expRow(cols, x, xb, scale, mNew)
                    : VectorMath.expRowMasked(cols, x, xb, scale, mNew, keyMask, mb);
            float l = rowSum.getAtIndex(F32, sumOff + r);
            if (m == NEG_INF) { // the row's first kept scores: acc starts from zero
                zero(accCols, acc, ab);
                l = sum;
            } else if (m == mNew) {
                l += sum;
            } else { // a new maximum: rescale what was accumulated under the old one
                float alpha = (float) Math.exp((double) m - mNew);
                scaleRow(accCols, acc, ab, alpha, acc, ab);
                l = l * alpha + sum;
            }
            rowSum.setAtIndex(F32, sumOff + r, l);
            rowMax.setAtIndex(F32, maxOff + r, mNew);
        }
    }

    @Override
    public void divideRows(int rows, int cols, MemorySegment x, long xOff, int ldx, MemorySegment divisors, long dOff,
                           MemorySegment out, long outOff, int ldOut) {
        KernelArgs.f32Rows("divideRows", "x", x, xOff, rows, cols, ldx, false);
        KernelArgs.f32("divideRows", "divisors", divisors, dOff, rows);
        KernelArgs.f32Rows("divideRows", "out", out, outOff, rows, cols, ldOut, true);
        for (int r = 0; r < rows; r++) {
            float d = divisors.getAtIndex(F32, dOff + r);
            long ob = (outOff + (long) r * ldOut) * Float.BYTES;
            if (d == 0) {
                zero(cols, out, ob);
            } else {
                scaleRow(cols, x, (xOff + (long) r * ldx) * Float.BYTES, (float) (1.0 / d), out, ob);
            }
        }
    }

    @Override
    public void maskBand(int rows, int cols, MemorySegment x, long xOff, int ld, long offset, long lo, long hi, int step) {
        KernelArgs.maskBand(rows, cols, x, xOff, ld, step);
        for (int r = 0; r < rows; r++) {
            long xr = xOff + (long) r * ld;
            // columns c with lo <= c - r + offset <= hi, clamped to the row
            int from = (int) Math.clamp(lo - offset + r, 0, cols);
            int to = (int) Math.clamp(hi - offset + r + 1, from, cols);
            fill(from, x, xr * Float.BYTES, NEG_INF);
            fill(cols - to, x, (xr + to) * Float.BYTES, NEG_INF);
            if (step > 1) { // dilation: inside the band, only every step-th offset stays
                for (int c = from; c < to; c++) {
                    if (Math.floorMod(c - r + offset, step) != 0) {
                        x.setAtIndex(F32, xr + c, NEG_INF);
                    }
                }
            }
        }
    }

    @Override
    public void keepTopK(int rows, int cols, MemorySegment x, long xOff, int ld, int k, MemorySegment keyMask, long maskOff) {
        KernelArgs.keepTopK(rows, cols, x, xOff, ld, k, keyMask, maskOff);
        if (cols == 0) {
            return;
        }
        for (int r = 0; r < rows; r++) {
            long xb = (xOff + (long) r * ld) * Float.BYTES;
            if (keyMask != null) {
                excludeMasked(cols, x, xb, keyMask, maskOff * Integer.BYTES);
            }
            if (cols <= k) {
                continue;
            }
            long range = keyRange(cols, x, xb);
            int lo = (int) (range >> 32);
            int hi = (int) range;
            // the k-th largest key: the largest t with at least k keys >= t (always true for the row's smallest key)
            while (lo < hi) {
                int mid = (int) (((long) lo + hi + 1) >> 1);
                if (countAtLeast(cols, x, xb, mid) >= k) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            excludeBelow(cols, x, xb, lo);
        }
    }

    // The keepTopK helpers compute order keys inline rather than through a helper taking a vector: a helper that
    // C2 does not inline makes it box the vector (and allocate) on every call.

    /** x ← -∞ where the i32 mask is 0, over one row; byte offsets. */
    private static void excludeMasked(int cols, MemorySegment x, long xb, MemorySegment mask, long mb) {
        FloatVector ninf = FloatVector.broadcast(F, NEG_INF);
        int j = 0;
        for (int bound = cols - L; j <= bound; j += L) {
            long o = (long) j * Float.BYTES;
            VectorMask<Float> drop = IntVector.fromMemorySegment(I, mask, mb + o, LE).compare(VectorOperators.EQ, 0).cast(F);
            FloatVector.fromMemorySegment(F, x, xb + o, LE).blend(ninf, drop).intoMemorySegment(x, xb + o, LE);
        }
        if (j < cols) {
            long o = (long) j * Float.BYTES;
            VectorMask<Float> in = F.indexInRange(j, cols);
            VectorMask<Float> drop = IntVector.fromMemorySegment(I, mask, mb + o, LE, in.cast(I))
                    .compare(VectorOperators.EQ, 0).cast(F).and(in);
            FloatVector.fromMemorySegment(F, x, xb + o, LE, in).blend(ninf, drop).intoMemorySegment(x, xb + o, LE, in);
        }
    }

    /** The smallest (high half) and largest (low half) order key ({@code ScalarKernels.orderKey}) of one row. */
    private static long keyRange(int cols, MemorySegment x, long xb) {
        IntVector mn = IntVector.broadcast(I, Integer.MAX_VALUE);
        IntVector mx = IntVector.broadcast(I, Integer.MIN_VALUE);
        int j = 0;
        for (int bound = cols - L; j <= bound; j += L) {
            IntVector bits = IntVector.fromMemorySegment(I, x, xb + (long) j * Float.BYTES, LE);
            IntVector key = bits.lanewise(VectorOperators.XOR, bits.lanewise(VectorOperators.ASHR, 31).lanewise(VectorOperators.AND, 0x7FFF_FFFF));
            mn = mn.min(key);
            mx = mx.max(key);
        }
        if (j < cols) {
            VectorMask<Integer> tail = I.indexInRange(j, cols);
            IntVector bits = IntVector.fromMemorySegment(I, x, xb + (long) j * Float.BYTES, LE, tail);
            IntVector key = bits.lanewise(VectorOperators.XOR, bits.lanewise(VectorOperators.ASHR, 31).lanewise(VectorOperators.AND, 0x7FFF_FFFF));
            mn = mn.lanewise(VectorOperators.MIN, key, tail);
            mx = mx.lanewise(VectorOperators.MAX, key, tail);
        }
        return ((long) mn.reduceLanes(VectorOperators.MIN) << 32) | (mx.reduceLanes(VectorOperators.MAX) & 0xFFFF_FFFFL);
    }

    /** How many elements of one row have an order key >= t. */
    private static int countAtLeast(int cols, MemorySegment x, long xb, int t) {
        int count = 0;
        int j = 0;
        for (int bound = cols - L; j <= bound; j += L) {
            IntVector bits = IntVector.fromMemorySegment(I, x, xb + (long) j * Float.BYTES, LE);
            IntVector key = bits.lanewise(VectorOperators.XOR, bits.lanewise(VectorOperators.ASHR, 31).lanewise(VectorOperators.AND, 0x7FFF_FFFF));
            count += key.compare(VectorOperators.GE, t).trueCount();
        }
        if (j < cols) {
            VectorMask<Integer> tail = I.indexInRange(j, cols);
            IntVector bits = IntVector.fromMemorySegment(I, x, xb + (long) j * Float.BYTES, LE, tail);
            IntVector key = bits.lanewise(VectorOperators.XOR, bits.lanewise(VectorOperators.ASHR, 31).lanewise(VectorOperators.AND, 0x7FFF_FFFF));
            count += key.compare(VectorOperators.GE, t).and(tail).trueCount();
        }
        return count;
    }

    /** x ← -∞ where the order key of x is below t, over one row. */
    private static void excludeBelow(int cols, MemorySegment x, long xb, int t) {
        IntVector ninf = IntVector.broadcast(I, Float.floatToRawIntBits(NEG_INF));
        int j = 0;
        for (int bound = cols - L; j <= bound; j += L) {
            long o = xb + (long) j * Float.BYTES;
            IntVector bits = IntVector.fromMemorySegment(I, x, o, LE);
            IntVector key = bits.lanewise(VectorOperators.XOR, bits.lanewise(VectorOperators.ASHR, 31).lanewise(VectorOperators.AND, 0x7FFF_FFFF));
            bits.blend(ninf, key.compare(VectorOperators.LT, t)).intoMemorySegment(x, o, LE);
        }
        if (j < cols) {
            long o = xb + (long) j * Float.BYTES;
            VectorMask<Integer> tail = I.indexInRange(j, cols);
            IntVector bits = IntVector.fromMemorySegment(I, x, o, LE, tail);
            IntVector key = bits.lanewise(VectorOperators.XOR, bits.lanewise(VectorOperators.ASHR, 31).lanewise(VectorOperators.AND, 0x7FFF_FFFF));
            bits.blend(ninf, key.compare(VectorOperators.LT, t)).intoMemorySegment(x, o, LE, tail);
        }
    }

    /** out ← value over n floats; byte offset. */
    private static void fill(int n, MemorySegment out, long ob, float value) {
        FloatVector z = FloatVector.broadcast(F, value);
        int j = 0;
        for (int bound = n - L; j <= bound; j += L) {
            z.intoMemorySegment(out, ob + (long) j * Float.BYTES, LE);
        }
        for (; j < n; j++) { // scalar tail: masked memory access can compile to allocating code
            out.set(F32, ob + (long) j * Float.BYTES, value);
        }
    }

    // ----------------------------------------------------------------------------------------------- meanPool

    @Override
    public void meanPool(int batch, int tokens, int hidden, MemorySegment x, long xOff, MemorySegment mask, long maskOff,
                         MemorySegment out, long outOff) {
        KernelArgs.nonNegative("meanPool", "batch", batch);
        KernelArgs.nonNegative("meanPool", "tokens", tokens);
        KernelArgs.f32Rows("meanPool", "x", x, xOff, (long) batch * tokens, hidden, hidden, false);
        KernelArgs.f32Rows("meanPool", "out", out, outOff, batch, hidden, hidden, true);
        if (mask != null) {
            KernelArgs.i32("meanPool", "mask", mask, maskOff, (long) batch * tokens);
        }
        for (int b = 0; b < batch; b++) {
            long mb = (maskOff + (long) b * tokens) * Integer.BYTES;
            long ob = (outOff + (long) b * hidden) * Float.BYTES;
            int count = mask == null ? tokens : countKept(tokens, mask, mb);
            if (count == 0) {
                zero(hidden, out, ob);
            } else {
                sumTokens(tokens, hidden, x, (xOff + (long) b * tokens * hidden) * Float.BYTES, mask, mb, count, out, ob);
            }
        }
    }

    private static int countKept(int tokens, MemorySegment mask, long mb) {
        int count = 0;
        for (int t = 0; t < tokens; t++) {
            if (mask.get(I32, mb + (long) t * Integer.BYTES) != 0) {
                count++;
            }
        }
        return count;
    }

    /**
     * out[h] ← (Σ over kept tokens t of x[t, h]) / count, for one sequence. Walks the hidden axis in blocks of four
     * vectors held in registers while it runs down the tokens, so each output is written once.
     */
    private static void sumTokens(int tokens, int hidden, MemorySegment x, long xb, MemorySegment mask, long mb,
                                  int count, MemorySegment out, long ob) {
        long row = (long) hidden * Float.BYTES;
        float n = count;
        int h = 0;
        for (int bound = hidden - 4 * L; h <= bound; h += 4 * L) {
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = s0;
            FloatVector s2 = s0;
            FloatVector s3 = s0;
            long o = xb + (long) h * Float.BYTES;
            for (int t = 0; t < tokens; t++, o += row) {
                if (mask != null && mask.get(I32, mb + (long) t * Integer.BYTES) == 0) {
                    continue;
                }
                s0 = s0.add(FloatVector.fromMemorySegment(F, x, o, LE));
                s1 = s1.add(FloatVector.fromMemorySegment(F, x, o + L * Float.BYTES, LE));
                s2 = s2.add(FloatVector.fromMemorySegment(F, x, o + 2L * L * Float.BYTES, LE));
                s3 = s3.add(FloatVector.fromMemorySegment(F, x, o + 3L * L * Float.BYTES, LE));
            }
            long p = ob + (long) h * Float.BYTES;
            s0.div(n).intoMemorySegment(out, p, LE);
            s1.div(n).intoMemorySegment(out, p + L * Float.BYTES, LE);
            s2.div(n).intoMemorySegment(out, p + 2L * L * Float.BYTES, LE);
            s3.div(n).intoMemorySegment(out, p + 3L * L * Float.BYTES, LE);
        }
        for (; h < hidden; h += L) {
            VectorMask<Float> in = F.indexInRange(h, hidden);
            FloatVector s = FloatVector.zero(F);
            long o = xb + (long) h * Float.BYTES;
            for (int t = 0; t < tokens; t++, o += row) {
                if (mask != null && mask.get(I32, mb + (long) t * Integer.BYTES) == 0) {
                    continue;
                }
                s = s.add(FloatVector.fromMemorySegment(F, x, o, LE, in));
            }
            s.div(n).intoMemorySegment(out, ob + (long) h * Float.BYTES, LE, in);
        }
    }

    // -------------------------------------------------------------------------------------------- l2Normalize

    @Override
    public void l2Normalize(int rows, int cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        KernelArgs.f32Rows("l2Normalize", "x", x, xOff, rows, cols, cols, false);
        KernelArgs.f32Rows("l2Normalize", "out", out, outOff, rows, cols, cols, true);
        for (int r = 0; r < rows; r++) {
            long xe = xOff + (long) r * cols;
            long oe = outOff + (long) r * cols;
            float squares = sumOfSquares(cols, x, xe * Float.BYTES);
            if (squares >= 1e-30f && squares <= 1e30f) {
                scaleRow(cols, x, xe * Float.BYTES, (float) (1.0 / Math.sqrt(squares)), out, oe * Float.BYTES);
            } else { // zero, NaN, or where float squares under/overflow
                ScalarKernels.l2NormalizeRow(cols, x, xe, out, oe);
            }
        }
    }

    private static float sumOfSquares(int cols, MemorySegment x, long xb) {
        FloatVector s0 = FloatVector.zero(F);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        int j = 0;
        for (int bound = cols - 4 * L; j <= bound; j += 4 * L) {
            long o = xb + (long) j * Float.BYTES;
            FloatVector v0 = FloatVector.fromMemorySegment(F, x, o, LE);
            FloatVector v1 = FloatVector.fromMemorySegment(F, x, o + L * Float.BYTES, LE);
            FloatVector v2 = FloatVector.fromMemorySegment(F, x, o + 2L * L * Float.BYTES, LE);
            FloatVector v3 = FloatVector.fromMemorySegment(F, x, o + 3L * L * Float.BYTES, LE);
            s0 = v0.fma(v0, s0);
            s1 = v1.fma(v1, s1);
            s2 = v2.fma(v2, s2);
            s3 = v3.fma(v3, s3);
        }
        for (int bound = cols - L; j <= bound; j += L) {
            FloatVector v = FloatVector.fromMemorySegment(F, x, xb + (long) j * Float.BYTES, LE);
            s0 = v.fma(v, s0);
        }
        if (j < cols) {
            FloatVector v = FloatVector.fromMemorySegment(F, x, xb + (long) j * Float.BYTES, LE, F.indexInRange(j, cols));
            s1 = v.fma(v, s1);
        }
        FloatVector v = s0.add(s1).add(s2.add(s3));
        // fixed-order lane sum, the same in every execution mode (VectorMath)
        if (L > 32) v = v.add(v.rearrange(VectorMath.SWAP_32));
        if (L > 16) v = v.add(v.rearrange(VectorMath.SWAP_16));
        if (L > 8) v = v.add(v.rearrange(VectorMath.SWAP_8));
        if (L > 4) v = v.add(v.rearrange(VectorMath.SWAP_4));
        v = v.add(v.rearrange(VectorMath.SWAP_2));
        v = v.add(v.rearrange(VectorMath.SWAP_1));
        return v.lane(0);
    }

    @Override
    public void close() {
        pool.close();
    }

    // ---------------------------------------------------------------------------------- backward (training)
    // The loops live in VectorBackward; here the shared argument checks and element → byte offsets.

    @Override
    public void activationBackward(Activation act, long n, MemorySegment x, long xOff, MemorySegment dy, long dyOff,
                                   MemorySegment dx, long dxOff) {
        KernelArgs.activationBackward(act, n, x, xOff, dy, dyOff, dx, dxOff);
        VectorBackward.activation(act, n, x, xOff * Float.BYTES, dy, dyOff * Float.BYTES, dx, dxOff * Float.BYTES);
    }

    @Override
    public void layerNormBackward(int rows, int cols, MemorySegment x, long xOff, MemorySegment gamma, long gammaOff,
                                  float eps, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        KernelArgs.layerNormBackward(rows, cols, x, xOff, gamma, gammaOff, dy, dyOff, dx, dxOff);
        if (cols == 0) {
            return;
        }
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            VectorBackward.layerNormRow(cols, x, (xOff + row) * Float.BYTES, gamma, gammaOff * Float.BYTES, eps,
                    dy, (dyOff + row) * Float.BYTES, dx, (dxOff + row) * Float.BYTES);
        }
    }

    @Override
    public void softmaxBackward(int rows, int cols, MemorySegment y, long yOff, int ldy, float scale, MemorySegment dy,
                                long dyOff, int lddy) {
        KernelArgs.softmaxBackward(rows, cols, y, yOff, ldy, dy, dyOff, lddy);
        for (int r = 0; r < rows; r++) {
            VectorBackward.softmaxRow(cols, y, (yOff + (long) r * ldy) * Float.BYTES, scale,
                    dy, (dyOff + (long) r * lddy) * Float.BYTES);
        }
    }

    @Override
    public void dropout(long n, MemorySegment x, long xOff, float rate, long seed, long index0, MemorySegment out,
                        long outOff) {
        KernelArgs.dropout(n, x, xOff, rate, out, outOff);
        VectorBackward.dropout(n, x, xOff * Float.BYTES, rate, seed, index0, out, outOff * Float.BYTES);
    }

    @Override
    public void columnSums(int rows, int cols, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                           boolean accumulate, MemorySegment out, long outOff) {
        KernelArgs.columnSums(rows, cols, a, aOff, lda, b, bOff, ldb, out, outOff);
        VectorBackward.columnSums(rows, cols, a, aOff * Float.BYTES, (long) lda * Float.BYTES,
                b, bOff * Float.BYTES, (long) ldb * Float.BYTES, accumulate, out, outOff * Float.BYTES);
    }

    @Override
    public void transpose(int rows, int cols, MemorySegment x, long xOff, int ldx, MemorySegment out, long outOff,
                          int ldOut) {
        KernelArgs.transpose(rows, cols, x, xOff, ldx, out, outOff, ldOut);
        VectorBackward.transpose(rows, cols, x, xOff * Float.BYTES, (long) ldx * Float.BYTES,
                out, outOff * Float.BYTES, (long) ldOut * Float.BYTES);
    }

    @Override
    public void multiply(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out,
                         long outOff) {
        KernelArgs.multiply(n, a, aOff, b, bOff, out, outOff);
        VectorBackward.multiply(n, a, aOff * Float.BYTES, b, bOff * Float.BYTES, out, outOff * Float.BYTES);
    }

    @Override
    public void sgmv(int segments, int[] starts, int in, int out, MemorySegment x, long xOff, int ldx,
                     MemorySegment[] a, MemorySegment[] bt, int[] ranks, float[] scales,
                     MemorySegment y, long yOff, int ldy, MemorySegment t, long tOff) {
        KernelArgs.sgmv(segments, starts, in, out, x, xOff, ldx, a, bt, ranks, scales, y, yOff, ldy, t, tOff);
        VectorSgmv.sgmv(segments, starts, in, out, x, xOff, ldx, a, bt, ranks, scales, y, yOff, ldy, t, tOff);
    }
}
