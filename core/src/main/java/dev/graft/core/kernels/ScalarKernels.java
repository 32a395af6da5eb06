package dev.graft.core.kernels;

import dev.graft.core.parallel.ComputePool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The scalar reference kernels: plain loops, one element at a time, that every faster implementation is tested
 * against, and the fallback where the Vector API is unavailable. GEMM lives in {@link ScalarGemm}.
 *
 * <p>Reductions (means, variances, exponential sums, norms) accumulate in {@code double} and only the final
 * value of each element is rounded to {@code float}, so these results are within float rounding of the exact
 * mathematical definition and make a trustworthy oracle. The non-GEMM kernels run on the caller's thread.
 */
public final class ScalarKernels implements Kernels {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final ComputePool pool;

    public ScalarKernels(ComputePool pool) {
        this.pool = pool;
    }

    @Override
    public String name() {
        return "scalar";
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
        ScalarGemm.gemm(m, n, k, a, aOff, lda, b, bOff, ldb, bTransposed, bias, biasOff, act, accumulate, c, cOff, ldc);
    }

    @Override
    public PackedB packB(int k, int n, MemorySegment b, long bOff, int ldb, boolean bTransposed,
                         java.lang.foreign.SegmentAllocator allocator) {
        return ScalarGemm.packB(k, n, b, bOff, ldb, bTransposed, allocator);
    }

    @Override
    public void gemm(int m, MemorySegment a, long aOff, int lda, PackedB b, MemorySegment bias, long biasOff,
                     Activation act, boolean accumulate, MemorySegment c, long cOff, int ldc) {
        ScalarGemm.gemm(m, a, aOff, lda, b, bias, biasOff, act, accumulate, c, cOff, ldc);
    }

    @Override
    public void layerNorm(int rows, int cols, MemorySegment x, long xOff, MemorySegment gamma, long gammaOff,
                          MemorySegment beta, long betaOff, float eps, MemorySegment out, long outOff) {
        KernelArgs.f32Rows("layerNorm", "x", x, xOff, rows, cols, cols, false);
        KernelArgs.f32Rows("layerNorm", "out", out, outOff, rows, cols, cols, true);
        KernelArgs.f32("layerNorm", "gamma", gamma, gammaOff, cols);
        KernelArgs.f32("layerNorm", "beta", beta, betaOff, cols);
        for (int r = 0; r < rows; r++) {
            long xr = xOff + (long) r * cols;
            long or = outOff + (long) r * cols;
            double mean = rowMean(cols, x, xr);
            double rstd = rowRstd(cols, x, xr, mean, eps);
            for (int j = 0; j < cols; j++) {
                double normalized = (x.getAtIndex(F32, xr + j) - mean) * rstd;
                out.setAtIndex(F32, or + j,
                        (float) (normalized * gamma.getAtIndex(F32, gammaOff + j) + beta.getAtIndex(F32, betaOff + j)));
            }
        }
    }

    /** The mean of one row of {@code cols} floats at element {@code xr}, summed in double (layerNorm and its backward). */
    static double rowMean(int cols, MemorySegment x, long xr) {
        double sum = 0;
        for (int j = 0; j < cols; j++) {
            sum += x.getAtIndex(F32, xr + j);
        }
        return sum / cols;
    }

    /** {@code 1/√(variance + eps)} of one row, its variance taken around {@code mean} in a second pass, in double. */
    static double rowRstd(int cols, MemorySegment x, long xr, double mean, float eps) {
        double squares = 0;
        for (int j = 0; j < cols; j++) {
            double d = x.getAtIndex(F32, xr + j) - mean;
            squares += d * d;
        }
        return 1.0 / Math.sqrt(squares / cols + eps);
    }

    @Override
    public void gelu(long n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        KernelArgs.f32("gelu", "x", x, xOff, n);
        KernelArgs.f32Out("gelu", "out", out, outOff, n);
        for (long i = 0; i < n; i++) {
            out.setAtIndex(F32, outOff + i, ScalarMath.gelu(x.getAtIndex(F32, xOff + i)));
        }
    }

    @Override
    public void add(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        KernelArgs.f32("add", "a", a, aOff, n);
        KernelArgs.f32("add", "b", b, bOff, n);
        KernelArgs.f32Out("add", "out", out, outOff, n);
        for (long i = 0; i < n; i++) {
            out.setAtIndex(F32, outOff + i, a.getAtIndex(F32, aOff + i) + b.getAtIndex(F32, bOff + i));
        }
    }

    @Override
    public void softmax(int rows, int cols, MemorySegment x, long xOff, int ld, float scale, MemorySegment keyMask, long maskOff) {
        KernelArgs.f32Rows("softmax", "x", x, xOff, rows, cols, ld, true);
        if (keyMask != null) {
            KernelArgs.i32("softmax", "keyMask", keyMask, maskOff, cols);
        }
        for (int r = 0; r < rows; r++) {
            long xr = xOff + (long) r * ld;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                if (keep(keyMask, maskOff, j)) {
                    max = Math.max(max, (double) x.getAtIndex(F32, xr + j) * scale);
                }
            }
            if (max == Double.NEGATIVE_INFINITY) { // every column excluded (or -inf): no distribution to speak of
                for (int j = 0; j < cols; j++) {
                    x.setAtIndex(F32, xr + j, 0f);
                }
                continue;
            }
            double sum = 0;
            for (int j = 0; j < cols; j++) { // x ← exp(x·scale - max), kept columns only
                float e = keep(keyMask, maskOff, j) ? (float) Math.exp((double) x.getAtIndex(F32, xr + j) * scale - max) : 0f;
                x.setAtIndex(F32, xr + j, e);
                sum += e;
            }
            for (int j = 0; j < cols; j++) {
                x.setAtIndex(F32, xr + j, (float) (x.getAtIndex(F32, xr + j) / sum));
            }
        }
    }

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
            long maskRow = maskOff + (long) b * tokens;
            long xb = xOff + (long) b * tokens * hidden;
            int count = 0;
            for (int t = 0; t < tokens; t++) {
                if (keep(mask, maskRow, t)) {
                    count++;
                }
            }
            for (int h = 0; h < hidden; h++) {
                double sum = 0;
                for (int t = 0; t < tokens; t++) {
                    if (keep(mask, maskRow, t)) {
                        sum += x.getAtIndex(F32, xb + (long) t * hidden + h);
                    }
                }
                out.setAtIndex(F32, outOff + (long) b * hidden + h, count == 0 ? 0f : (float) (sum / count));
            }
        }
    }

    @Override
    public void l2Normalize(int rows, int cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        KernelArgs.f32Rows("l2Normalize", "x", x, xOff, rows, cols, cols, false);
        KernelArgs.f32Rows("l2Normalize", "out", out, outOff, rows, cols, cols, true);
        for (int r = 0; r < rows; r++) {
            l2NormalizeRow(cols, x, xOff + (long) r * cols, out, outOff + (long) r * cols);
        }
    }

    /**
     * One row of {@link #l2Normalize}, in double; public so that the Vector API kernels can hand it the rows whose
     * float sum of squares over- or underflows.
     */
    public static void l2NormalizeRow(int cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        double squares = 0;
        for (int j = 0; j < cols; j++) {
            double v = x.getAtIndex(F32, xOff + j);
            squares += v * v;
        }
        double inv = squares == 0 ? 0 : 1.0 / Math.sqrt(squares);
        for (int j = 0; j < cols; j++) {
            out.setAtIndex(F32, outOff + j, (float) (x.getAtIndex(F32, xOff + j) * inv));
        }
    }

    // ------------------------------------------------------------------------ blocks of attention scores

    @Override
    public void onlineSoftmax(int rows, int cols, MemorySegment x, long xOff, int ldx, float scale,
                              MemorySegment keyMask, long maskOff,
                              MemorySegment rowMax, long maxOff, MemorySegment rowSum, long sumOff,
                              MemorySegment acc, long accOff, int ldAcc, int accCols) {
        KernelArgs.onlineSoftmax(rows, cols, x, xOff, ldx, scale, keyMask, maskOff, rowMax, maxOff, rowSum, sumOff,
                acc, accOff, ldAcc, accCols);
        for (int r = 0; r < rows; r++) {
            long xr = xOff + (long) r * ldx;
            long ar = accOff + (long) r * ldAcc;
            float m = rowMax.getAtIndex(F32, maxOff + r);
            double blockMax = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                if (keep(keyMask, maskOff, j)) {
                    blockMax = Math.max(blockMax, (double) x.getAtIndex(F32, xr + j) * scale);
                }
            }
            float mNew = (float) Math.max(m, blockMax);
            if (mNew == Float.NEGATIVE_INFINITY) { // nothing kept yet: the row contributes nothing
                for (int j = 0; j < cols; j++) {
                    x.setAtIndex(F32, xr + j, 0f);
                }
                continue;
            }
            double sum = 0;
            for (int j = 0; j < cols; j++) { // x ← exp(x·scale − m'), kept columns only (exp(−∞) = 0)
                float e = keep(keyMask, maskOff, j) ? (float) Math.exp((double) x.getAtIndex(F32, xr + j) * scale - mNew) : 0f;
                x.setAtIndex(F32, xr + j, e);
                sum += e;
            }
            double l = rowSum.getAtIndex(F32, sumOff + r);
            if (m == Float.NEGATIVE_INFINITY) { // the row's first kept scores: acc starts from zero
                for (int j = 0; j < accCols; j++) {
                    acc.setAtIndex(F32, ar + j, 0f);
                }
                l = sum;
            } else if (m == mNew) {
                l += sum;
            } else { // a new maximum: rescale what was accumulated under the old one
                double alpha = Math.exp((double) m - mNew);
                for (int j = 0; j < accCols; j++) {
                    acc.setAtIndex(F32, ar + j, (float) (acc.getAtIndex(F32, ar + j) * alpha));
                }
                l = l * alpha + sum;
            }
            rowSum.setAtIndex(F32, sumOff + r, (float) l);
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
            double d = divisors.getAtIndex(F32, dOff + r);
            long xr = xOff + (long) r * ldx;
            long or = outOff + (long) r * ldOut;
            for (int j = 0; j < cols; j++) {
                out.setAtIndex(F32, or + j, d == 0 ? 0f : (float) (x.getAtIndex(F32, xr + j) / d));
            }
        }
    }

    @Override
    public void maskBand(int rows, int cols, MemorySegment x, long xOff, int ld, long offset, long lo, long hi, int step) {
        KernelArgs.maskBand(rows, cols, x, xOff, ld, step);
        for (int r = 0; r < rows; r++) {
            long xr = xOff + (long) r * ld;
            for (int c = 0; c < cols; c++) {
                long o = c - r + offset;
                if (o < lo || o > hi || Math.floorMod(o, step) != 0) {
                    x.setAtIndex(F32, xr + c, Float.NEGATIVE_INFINITY);
                }
            }
        }
    }

    @Override
    public void keepTopK(int rows, int cols, MemorySegment x, long xOff, int ld, int k, MemorySegment keyMask, long maskOff) {
        KernelArgs.keepTopK(rows, cols, x, xOff, ld, k, keyMask, maskOff);
        for (int r = 0; r < rows; r++) {
            long xr = xOff + (long) r * ld;
            int lo = Integer.MAX_VALUE; // smallest and largest order key of the row
            int hi = Integer.MIN_VALUE;
            for (int j = 0; j < cols; j++) {
                if (!keep(keyMask, maskOff, j)) {
                    x.setAtIndex(F32, xr + j, Float.NEGATIVE_INFINITY);
                }
                int key = orderKey(x.getAtIndex(F32, xr + j));
                lo = Math.min(lo, key);
                hi = Math.max(hi, key);
            }
            if (cols <= k) {
                continue;
            }
            // the k-th largest key: the largest t with at least k keys >= t (always true for the row's smallest key)
            while (lo < hi) {
                int mid = (int) (((long) lo + hi + 1) >> 1);
                int atLeast = 0;
                for (int j = 0; j < cols; j++) {
                    if (orderKey(x.getAtIndex(F32, xr + j)) >= mid) {
                        atLeast++;
                    }
                }
                if (atLeast >= k) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            for (int j = 0; j < cols; j++) {
                if (orderKey(x.getAtIndex(F32, xr + j)) < lo) {
                    x.setAtIndex(F32, xr + j, Float.NEGATIVE_INFINITY);
                }
            }
        }
    }

    /**
     * An int whose signed order is {@link Float#compare}'s order of non-NaN floats: the bits of a positive float
     * already sort; a negative float's magnitude bits are flipped so that larger magnitudes sort lower.
     */
    public static int orderKey(float v) {
        int bits = Float.floatToRawIntBits(v);
        return bits ^ ((bits >> 31) & 0x7FFF_FFFF);
    }

    private static boolean keep(MemorySegment mask, long maskOff, int j) {
        return mask == null || mask.getAtIndex(I32, maskOff + j) != 0;
    }

    @Override
    public void close() {
        pool.close();
    }

    @Override
    public void activationBackward(Activation act, long n, MemorySegment x, long xOff, MemorySegment dy, long dyOff,
                                   MemorySegment dx, long dxOff) {
        ScalarBackward.activationBackward(act, n, x, xOff, dy, dyOff, dx, dxOff);
    }

    @Override
    public void layerNormBackward(int rows, int cols, MemorySegment x, long xOff, MemorySegment gamma, long gammaOff,
                                  float eps, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        ScalarBackward.layerNormBackward(rows, cols, x, xOff, gamma, gammaOff, eps, dy, dyOff, dx, dxOff);
    }

    @Override
    public void softmaxBackward(int rows, int cols, MemorySegment y, long yOff, int ldy, float scale, MemorySegment dy,
                                long dyOff, int lddy) {
        ScalarBackward.softmaxBackward(rows, cols, y, yOff, ldy, scale, dy, dyOff, lddy);
    }

    @Override
    public void dropout(long n, MemorySegment x, long xOff, float rate, long seed, long index0, MemorySegment out,
                        long outOff) {
        ScalarBackward.dropout(n, x, xOff, rate, seed, index0, out, outOff);
    }

    @Override
    public void columnSums(int rows, int cols, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                           boolean accumulate, MemorySegment out, long outOff) {
        ScalarBackward.columnSums(rows, cols, a, aOff, lda, b, bOff, ldb, accumulate, out, outOff);
    }

    @Override
    public void transpose(int rows, int cols, MemorySegment x, long xOff, int ldx, MemorySegment out, long outOff,
                          int ldOut) {
        ScalarBackward.transpose(rows, cols, x, xOff, ldx, out, outOff, ldOut);
    }

    @Override
    public void multiply(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out,
                         long outOff) {
        ScalarBackward.multiply(n, a, aOff, b, bOff, out, outOff);
    }

    /** Reference: per row, {@code t = scale · x·Aᵀ} (double sums, rounded once), then {@code y += t·Bᵀ} in double. */
    @Override
    public void sgmv(int segments, int[] starts, int in, int out, MemorySegment x, long xOff, int ldx,
                     MemorySegment[] a, MemorySegment[] bt, int[] ranks, float[] scales,
                     MemorySegment y, long yOff, int ldy, MemorySegment t, long tOff) {
        KernelArgs.sgmv(segments, starts, in, out, x, xOff, ldx, a, bt, ranks, scales, y, yOff, ldy, t, tOff);
        for (int s = 0; s < segments; s++) {
            if (a[s] == null) {
                continue;
            }
            int r = ranks[s];
            for (int row = starts[s]; row < starts[s + 1]; row++) {
                long xr = xOff + (long) row * ldx;
                for (int k = 0; k < r; k++) {
                    double d = 0;
                    for (int i = 0; i < in; i++) {
                        d += (double) x.getAtIndex(F32, xr + i) * a[s].getAtIndex(F32, (long) k * in + i);
                    }
                    t.setAtIndex(F32, tOff + k, (float) (scales[s] * d));
                }
                long yr = yOff + (long) row * ldy;
                for (int o = 0; o < out; o++) {
                    double d = 0;
                    for (int k = 0; k < r; k++) {
                        d += (double) t.getAtIndex(F32, tOff + k) * bt[s].getAtIndex(F32, (long) k * out + o);
                    }
                    y.setAtIndex(F32, yr + o, (float) (y.getAtIndex(F32, yr + o) + d));
                }
            }
        }
    }
}
