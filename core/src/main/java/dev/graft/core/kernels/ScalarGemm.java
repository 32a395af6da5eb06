package dev.graft.core.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The reference GEMM: three plain loops, obviously correct, used as the test oracle for the Vector API GEMM.
 *
 * <p>Each dot product is accumulated in {@code double}, in increasing k order, and rounded to float once before
 * the bias is added; the bias, activation ({@link ScalarMath#apply}) and accumulation then run in float.
 * Single-threaded; allocates nothing.
 */
public final class ScalarGemm {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private ScalarGemm() {
    }

    /** Same contract as {@link Kernels#gemm}; single-threaded, plain loops. */
    public static void gemm(int m, int n, int k,
                            MemorySegment a, long aOff, int lda,
                            MemorySegment b, long bOff, int ldb, boolean bTransposed,
                            MemorySegment bias, long biasOff,
                            Activation act, boolean accumulate,
                            MemorySegment c, long cOff, int ldc) {
        checkArguments(m, n, k, a, aOff, lda, b, bOff, ldb, bTransposed, bias, biasOff, act, c, cOff, ldc);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    long bIdx = bTransposed ? bOff + (long) j * ldb + p : bOff + (long) p * ldb + j;
                    sum += (double) a.getAtIndex(F32, aOff + (long) i * lda + p) * b.getAtIndex(F32, bIdx);
                }
                float v = (float) sum;
                if (bias != null) {
                    v += bias.getAtIndex(F32, biasOff + j);
                }
                v = ScalarMath.apply(act, v);
                long cIdx = cOff + (long) i * ldc + j;
                if (accumulate) {
                    v += c.getAtIndex(F32, cIdx);
                }
                c.setAtIndex(F32, cIdx, v);
            }
        }
    }

    /**
     * Same contract as {@link Kernels#packB}: a plain row-major [k×n] copy of B ({@link PackedB} with 0 lanes),
     * whichever layout B had.
     */
    public static PackedB packB(int k, int n, MemorySegment b, long bOff, int ldb, boolean bTransposed,
                                SegmentAllocator allocator) {
        checkPackArguments(k, n, b, bOff, ldb, bTransposed);
        MemorySegment dst = allocator.allocate(Math.max((long) k * n, 1) * Float.BYTES, 64);
        for (int p = 0; p < k; p++) {
            for (int j = 0; j < n; j++) {
                long bIdx = bTransposed ? bOff + (long) j * ldb + p : bOff + (long) p * ldb + j;
                dst.setAtIndex(F32, (long) p * n + j, b.getAtIndex(F32, bIdx));
            }
        }
        return new PackedB(k, n, 0, dst);
    }

    /** Same contract as the pre-packed {@link Kernels#gemm(int, MemorySegment, long, int, PackedB, MemorySegment,
     * long, Activation, boolean, MemorySegment, long, int) gemm}; reads B in any {@link PackedB} layout. */
    public static void gemm(int m, MemorySegment a, long aOff, int lda, PackedB b,
                            MemorySegment bias, long biasOff, Activation act, boolean accumulate,
                            MemorySegment c, long cOff, int ldc) {
        checkArguments(m, a, aOff, lda, b, bias, biasOff, act, c, cOff, ldc);
        int n = b.n();
        int k = b.k();
        MemorySegment bs = b.segment();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    sum += (double) a.getAtIndex(F32, aOff + (long) i * lda + p) * bs.getAtIndex(F32, b.index(p, j));
                }
                float v = (float) sum;
                if (bias != null) {
                    v += bias.getAtIndex(F32, biasOff + j);
                }
                v = ScalarMath.apply(act, v);
                long cIdx = cOff + (long) i * ldc + j;
                if (accumulate) {
                    v += c.getAtIndex(F32, cIdx);
                }
                c.setAtIndex(F32, cIdx, v);
            }
        }
    }

    /** Validates the arguments of {@link Kernels#packB}. */
    public static void checkPackArguments(int k, int n, MemorySegment b, long bOff, int ldb, boolean bTransposed) {
        if (k < 0 || n < 0) {
            throw new IllegalArgumentException("packB: negative size k=" + k + " n=" + n);
        }
        if (bTransposed) {
            checkMatrix("packB", "B (transposed, n×k)", b, bOff, n, k, ldb);
        } else {
            checkMatrix("packB", "B (k×n)", b, bOff, k, n, ldb);
        }
    }

    /** Validates the arguments of the pre-packed {@code gemm} (B's own shape gives n and k). */
    public static void checkArguments(int m, MemorySegment a, long aOff, int lda, PackedB b,
                                      MemorySegment bias, long biasOff, Activation act,
                                      MemorySegment c, long cOff, int ldc) {
        if (b == null) {
            throw new NullPointerException("gemm: packed B is null");
        }
        if (m < 0) {
            throw new IllegalArgumentException("gemm: negative size m=" + m);
        }
        if (act == null) {
            throw new NullPointerException("gemm: act is null (use Activation.NONE)");
        }
        int n = b.n();
        if (m == 0 || n == 0) {
            return;
        }
        checkMatrix("gemm", "A", a, aOff, m, b.k(), lda);
        checkMatrix("gemm", "C", c, cOff, m, n, ldc);
        if (bias != null) {
            checkMatrix("gemm", "bias", bias, biasOff, 1, n, n);
        }
    }

    /**
     * Validates the arguments of {@link Kernels#gemm} (shared by every implementation), so that bad input fails
     * with a message naming the operand and the limit instead of reading out of bounds.
     *
     * @throws IllegalArgumentException for a negative size or offset, a leading dimension below the row length,
     *                                  or a segment too small for the matrix it should hold
     * @throws NullPointerException     for a null matrix segment or activation
     */
    public static void checkArguments(int m, int n, int k,
                                      MemorySegment a, long aOff, int lda,
                                      MemorySegment b, long bOff, int ldb, boolean bTransposed,
                                      MemorySegment bias, long biasOff,
                                      Activation act, MemorySegment c, long cOff, int ldc) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("gemm: negative size m=" + m + " n=" + n + " k=" + k);
        }
        if (act == null) {
            throw new NullPointerException("gemm: act is null (use Activation.NONE)");
        }
        if (m == 0 || n == 0) {
            return;
        }
        checkMatrix("A", a, aOff, m, k, lda);
        if (bTransposed) {
            checkMatrix("B (transposed, n×k)", b, bOff, n, k, ldb);
        } else {
            checkMatrix("B (k×n)", b, bOff, k, n, ldb);
        }
        checkMatrix("C", c, cOff, m, n, ldc);
        if (bias != null) {
            checkMatrix("bias", bias, biasOff, 1, n, n);
        }
    }

    private static void checkMatrix(String name, MemorySegment seg, long off, int rows, int cols, int ld) {
        checkMatrix("gemm", name, seg, off, rows, cols, ld);
    }

    private static void checkMatrix(String op, String name, MemorySegment seg, long off, int rows, int cols, int ld) {
        if (seg == null) {
            throw new NullPointerException(op + ": " + name + " segment is null");
        }
        if (off < 0) {
            throw new IllegalArgumentException(op + ": " + name + " offset " + off + " is negative");
        }
        if (rows == 0 || cols == 0) {
            return;
        }
        if (ld < cols) {
            throw new IllegalArgumentException(op + ": " + name + " leading dimension " + ld
                    + " is smaller than its row length " + cols);
        }
        long lastElement = off + (long) (rows - 1) * ld + cols;
        if (lastElement > seg.byteSize() / Float.BYTES) {
            throw new IllegalArgumentException(op + ": " + name + " [" + rows + "×" + cols + ", ld " + ld
                    + ", offset " + off + "] needs " + lastElement + " floats but its segment holds "
                    + seg.byteSize() / Float.BYTES);
        }
    }
}
