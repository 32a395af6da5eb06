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
    public void layerNorm(int rows, int cols, MemorySegment x, long xOff, MemorySegment gamma, long gammaOff,
                          MemorySegment beta, long betaOff, float eps, MemorySegment out, long outOff) {
        KernelArgs.f32Rows("layerNorm", "x", x, xOff, rows, cols, cols, false);
        KernelArgs.f32Rows("layerNorm", "out", out, outOff, rows, cols, cols, true);
        KernelArgs.f32("layerNorm", "gamma", gamma, gammaOff, cols);
        KernelArgs.f32("layerNorm", "beta", beta, betaOff, cols);
        for (int r = 0; r < rows; r++) {
            long xr = xOff + (long) r * cols;
            long or = outOff + (long) r * cols;
            double sum = 0;
            for (int j = 0; j < cols; j++) {
                sum += x.getAtIndex(F32, xr + j);
            }
            double mean = sum / cols;
            double squares = 0;
            for (int j = 0; j < cols; j++) {
                double d = x.getAtIndex(F32, xr + j) - mean;
                squares += d * d;
            }
            double rstd = 1.0 / Math.sqrt(squares / cols + eps);
            for (int j = 0; j < cols; j++) {
                double normalized = (x.getAtIndex(F32, xr + j) - mean) * rstd;
                out.setAtIndex(F32, or + j,
                        (float) (normalized * gamma.getAtIndex(F32, gammaOff + j) + beta.getAtIndex(F32, betaOff + j)));
            }
        }
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

    private static boolean keep(MemorySegment mask, long maskOff, int j) {
        return mask == null || mask.getAtIndex(I32, maskOff + j) != 0;
    }

    @Override
    public void close() {
        pool.close();
    }
}
