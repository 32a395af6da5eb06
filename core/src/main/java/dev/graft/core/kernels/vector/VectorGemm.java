package dev.graft.core.kernels.vector;

import dev.graft.core.kernels.Activation;
import dev.graft.core.parallel.ComputePool;
import java.lang.foreign.MemorySegment;

/** SKELETON — the blocked, packed Vector API GEMM (owned by the GEMM work). */
public final class VectorGemm {
    private final ComputePool pool;

    public VectorGemm(ComputePool pool) {
        this.pool = pool;
    }

    /** Same contract as {@link dev.graft.core.kernels.Kernels#gemm}. */
    public void gemm(int m, int n, int k,
                     MemorySegment a, long aOff, int lda,
                     MemorySegment b, long bOff, int ldb, boolean bTransposed,
                     MemorySegment bias, long biasOff,
                     Activation act, boolean accumulate,
                     MemorySegment c, long cOff, int ldc) {
        throw new UnsupportedOperationException("skeleton");
    }
}
