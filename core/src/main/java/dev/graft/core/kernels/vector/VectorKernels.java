package dev.graft.core.kernels.vector;

import dev.graft.core.kernels.Activation;
import dev.graft.core.kernels.Kernels;

import dev.graft.core.parallel.ComputePool;
import java.lang.foreign.MemorySegment;

/** SKELETON — the Vector API kernels (owned by the kernels work); GEMM lives in {@link VectorGemm}. */
public final class VectorKernels implements Kernels {
    private final ComputePool pool;
    private final VectorGemm gemm;

    public VectorKernels(ComputePool pool) {
        this.pool = pool;
        this.gemm = new VectorGemm(pool);
    }

    @Override
    public String name() {
        return "vector";
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
