package dev.graft.core.kernels;

import java.lang.foreign.MemorySegment;

/** SKELETON — the plain-loop GEMM reference (owned by the GEMM work). */
public final class ScalarGemm {
    private ScalarGemm() {
    }

    /** Same contract as {@link Kernels#gemm}; single-threaded, plain loops. */
    public static void gemm(int m, int n, int k,
                            MemorySegment a, long aOff, int lda,
                            MemorySegment b, long bOff, int ldb, boolean bTransposed,
                            MemorySegment bias, long biasOff,
                            Activation act, boolean accumulate,
                            MemorySegment c, long cOff, int ldc) {
        throw new UnsupportedOperationException("skeleton");
    }
}
