package dev.graft.core.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Argument checks shared by the kernel implementations, run once per call before any memory is touched, so
 * that a wrong size or offset fails with a message naming the kernel, the argument and the limit instead of
 * an anonymous {@link IndexOutOfBoundsException} half-way through a write.
 *
 * <p>Public only so that {@code dev.graft.core.kernels.vector} can use it; not part of Graft's API. The checks
 * build a message only when they fail, so they allocate nothing on the success path.
 */
public final class KernelArgs {
    private KernelArgs() {
    }

    /** {@code value >= 0}. */
    public static void nonNegative(String kernel, String what, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(kernel + ": " + what + " must be >= 0, was " + value);
        }
    }

    /** {@code count} f32 elements starting at element {@code off} lie inside {@code seg}. */
    public static void f32(String kernel, String what, MemorySegment seg, long off, long count) {
        elements(kernel, what, seg, off, count, Float.BYTES, "f32");
    }

    /** As {@link #f32}, and {@code seg} can be written. */
    public static void f32Out(String kernel, String what, MemorySegment seg, long off, long count) {
        f32(kernel, what, seg, off, count);
        if (seg.isReadOnly() && count > 0) {
            throw new IllegalArgumentException(kernel + ": " + what + " is read-only and cannot receive the result");
        }
    }

    /** {@code count} i32 elements starting at element {@code off} lie inside {@code seg}. */
    public static void i32(String kernel, String what, MemorySegment seg, long off, long count) {
        elements(kernel, what, seg, off, count, Integer.BYTES, "i32");
    }

    /**
     * {@code rows} rows of {@code cols} f32 elements, row {@code r} starting at element {@code off + r*ld}, lie
     * inside {@code seg} (which must be writable when {@code write}), and {@code ld >= cols}.
     */
    public static void f32Rows(String kernel, String what, MemorySegment seg, long off,
                               long rows, int cols, long ld, boolean write) {
        nonNegative(kernel, "rows", rows);
        nonNegative(kernel, "cols", cols);
        if (ld < cols) {
            throw new IllegalArgumentException(kernel + ": the row stride of " + what + " (" + ld
                    + ") is smaller than its row length (" + cols + ")");
        }
        long span = rows == 0 || cols == 0 ? 0 : (rows - 1L) * ld + cols;
        if (write) {
            f32Out(kernel, what, seg, off, span);
        } else {
            f32(kernel, what, seg, off, span);
        }
    }

    /** The checks of {@link Kernels#onlineSoftmax}. */
    public static void onlineSoftmax(int rows, int cols, MemorySegment x, long xOff, int ldx, float scale,
                                     MemorySegment keyMask, long maskOff,
                                     MemorySegment rowMax, long maxOff, MemorySegment rowSum, long sumOff,
                                     MemorySegment acc, long accOff, int ldAcc, int accCols) {
        f32Rows("onlineSoftmax", "x", x, xOff, rows, cols, ldx, true);
        if (keyMask != null) {
            i32("onlineSoftmax", "keyMask", keyMask, maskOff, cols);
        }
        f32Out("onlineSoftmax", "rowMax", rowMax, maxOff, rows);
        f32Out("onlineSoftmax", "rowSum", rowSum, sumOff, rows);
        f32Rows("onlineSoftmax", "acc", acc, accOff, rows, accCols, ldAcc, true);
        if (!(scale > 0)) {
            throw new IllegalArgumentException("onlineSoftmax: scale must be > 0, was " + scale);
        }
    }

    /** The checks of {@link Kernels#maskBand}. */
    public static void maskBand(int rows, int cols, MemorySegment x, long xOff, int ld, int step) {
        f32Rows("maskBand", "x", x, xOff, rows, cols, ld, true);
        if (step < 1) {
            throw new IllegalArgumentException("maskBand: step must be >= 1, was " + step);
        }
    }

    /** The checks of {@link Kernels#keepTopK}. */
    public static void keepTopK(int rows, int cols, MemorySegment x, long xOff, int ld, int k,
                                MemorySegment keyMask, long maskOff) {
        f32Rows("keepTopK", "x", x, xOff, rows, cols, ld, true);
        if (keyMask != null) {
            i32("keepTopK", "keyMask", keyMask, maskOff, cols);
        }
        if (k < 1) {
            throw new IllegalArgumentException("keepTopK: k must be >= 1, was " + k);
        }
    }

    // ------------------------------------------------------------------------------ backward (training)

    /** The checks of {@link Kernels#activationBackward}. */
    public static void activationBackward(Activation act, long n, MemorySegment x, long xOff, MemorySegment dy,
                                          long dyOff, MemorySegment dx, long dxOff) {
        if (act == null) {
            throw new NullPointerException("activationBackward: act is null");
        }
        f32("activationBackward", "x", x, xOff, n);
        f32("activationBackward", "dy", dy, dyOff, n);
        f32Out("activationBackward", "dx", dx, dxOff, n);
    }

    /** The checks of {@link Kernels#layerNormBackward}. */
    public static void layerNormBackward(int rows, int cols, MemorySegment x, long xOff, MemorySegment gamma,
                                         long gammaOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        f32Rows("layerNormBackward", "x", x, xOff, rows, cols, cols, false);
        f32Rows("layerNormBackward", "dy", dy, dyOff, rows, cols, cols, false);
        f32Rows("layerNormBackward", "dx", dx, dxOff, rows, cols, cols, true);
        f32("layerNormBackward", "gamma", gamma, gammaOff, cols);
    }

    /** The checks of {@link Kernels#softmaxBackward}. */
    public static void softmaxBackward(int rows, int cols, MemorySegment y, long yOff, int ldy, MemorySegment dy,
                                       long dyOff, int lddy) {
        f32Rows("softmaxBackward", "y", y, yOff, rows, cols, ldy, false);
        f32Rows("softmaxBackward", "dy", dy, dyOff, rows, cols, lddy, true);
    }

    /** The checks of {@link Kernels#dropout}: the rate ({@link ScalarBackward#threshold}), then the operands. */
    public static void dropout(long n, MemorySegment x, long xOff, float rate, MemorySegment out, long outOff) {
        ScalarBackward.threshold(rate);
        f32("dropout", "x", x, xOff, n);
        f32Out("dropout", "out", out, outOff, n);
    }

    /** The checks of {@link Kernels#columnSums}. */
    public static void columnSums(int rows, int cols, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff,
                                  int ldb, MemorySegment out, long outOff) {
        f32Rows("columnSums", "a", a, aOff, rows, cols, lda, false);
        if (b != null) {
            f32Rows("columnSums", "b", b, bOff, rows, cols, ldb, false);
        }
        f32Out("columnSums", "out", out, outOff, cols);
    }

    /** The checks of {@link Kernels#transpose}. */
    public static void transpose(int rows, int cols, MemorySegment x, long xOff, int ldx, MemorySegment out,
                                 long outOff, int ldOut) {
        f32Rows("transpose", "x", x, xOff, rows, cols, ldx, false);
        f32Rows("transpose", "out", out, outOff, cols, rows, ldOut, true);
    }

    /** The checks of {@link Kernels#multiply}. */
    public static void multiply(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out,
                                long outOff) {
        f32("multiply", "a", a, aOff, n);
        f32("multiply", "b", b, bOff, n);
        f32Out("multiply", "out", out, outOff, n);
    }

    private static void elements(String kernel, String what, MemorySegment seg, long off, long count,
                                 int size, String type) {
        if (seg == null) {
            throw new NullPointerException(kernel + ": " + what + " is null");
        }
        if (off < 0 || count < 0) {
            throw new IllegalArgumentException(kernel + ": " + what + " has a negative element offset or count ("
                    + off + ", " + count + ")");
        }
        long available = seg.byteSize() / size;
        if (off > available || count > available - off) {
            throw new IndexOutOfBoundsException(kernel + ": " + what + " needs " + count + " " + type
                    + " elements at element offset " + off + " but its segment holds " + available);
        }
    }

    /**
     * The operands of {@link Kernels#sgmv}: segment starts from 0, non-decreasing, within the arrays' lengths; each
     * adapted segment's A {@code [r, in]}, Bᵀ {@code [r, out]}, its rows of x and y and its scratch in bounds.
     */
    public static void sgmv(int segments, int[] starts, int in, int out, MemorySegment x, long xOff, int ldx,
                            MemorySegment[] a, MemorySegment[] bt, int[] ranks, float[] scales,
                            MemorySegment y, long yOff, int ldy, MemorySegment t, long tOff) {
        String k = "sgmv";
        nonNegative(k, "segments", segments);
        nonNegative(k, "in", in);
        nonNegative(k, "out", out);
        if (starts.length < segments + 1 || a.length < segments || bt.length < segments || ranks.length < segments
                || scales.length < segments) {
            throw new IllegalArgumentException(k + ": " + segments + " segments need " + (segments + 1)
                    + " starts and " + segments + " of a, bt, ranks and scales (have " + starts.length + ", "
                    + a.length + ", " + bt.length + ", " + ranks.length + ", " + scales.length + ")");
        }
        if (segments > 0 && starts[0] < 0) {
            throw new IllegalArgumentException(k + ": segment 0 starts at row " + starts[0]);
        }
        long scratch = 0;
        for (int s = 0; s < segments; s++) {
            int rows = starts[s + 1] - starts[s];
            if (rows < 0) {
                throw new IllegalArgumentException(k + ": segment " + s + " ends (row " + starts[s + 1]
                        + ") before it starts (row " + starts[s] + ")");
            }
            if (a[s] == null || rows == 0) {
                continue;
            }
            int r = ranks[s];
            if (r < 1) {
                throw new IllegalArgumentException(k + ": segment " + s + " has rank " + r + " (must be >= 1)");
            }
            if (bt[s] == null || a[s].byteSize() / Float.BYTES < (long) r * in
                    || bt[s].byteSize() / Float.BYTES < (long) r * out) {
                throw new IndexOutOfBoundsException(k + ": segment " + s + " (rank " + r + ") needs A [" + r + ", "
                        + in + "] and Bt [" + r + ", " + out + "] but holds " + a[s].byteSize() / Float.BYTES
                        + " and " + (bt[s] == null ? "no" : String.valueOf(bt[s].byteSize() / Float.BYTES))
                        + " floats");
            }
            scratch = Math.max(scratch, (long) rows * r);
        }
        if (segments > 0) {
            long first = starts[0];
            long rows = starts[segments] - first;
            f32Rows(k, "x", x, xOff + first * ldx, rows, in, ldx, false);
            f32Rows(k, "y", y, yOff + first * ldy, rows, out, ldy, true);
            f32Out(k, "t", t, tOff, scratch);
        }
    }
}
