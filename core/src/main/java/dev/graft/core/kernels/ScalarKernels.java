package dev.graft.core.kernels;

import dev.graft.core.parallel.ComputePool;
import java.lang.foreign.MemorySegment;

/** SKELETON — the scalar reference kernels (owned by the kernels work); GEMM lives in {@link ScalarGemm}. */
public final class ScalarKernels implements Kernels {
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
        throw new UnsupportedOperationException("skeleton");
    }

    @Override
    public void gelu(long n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        throw new UnsupportedOperationException("skeleton");
    }

    @Override
    public void add(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        throw new UnsupportedOperationException("skeleton");
    }

    @Override
    public void softmax(int rows, int cols, MemorySegment x, long xOff, int ld, float scale, MemorySegment keyMask, long maskOff) {
        throw new UnsupportedOperationException("skeleton");
    }

    @Override
    public void meanPool(int batch, int tokens, int hidden, MemorySegment x, long xOff, MemorySegment mask, long maskOff,
                         MemorySegment out, long outOff) {
        throw new UnsupportedOperationException("skeleton");
    }

    @Override
    public void l2Normalize(int rows, int cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        throw new UnsupportedOperationException("skeleton");
    }

    @Override
    public void close() {
        pool.close();
    }
}
