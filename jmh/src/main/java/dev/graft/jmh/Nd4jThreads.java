package dev.graft.jmh;

import org.nd4j.linalg.factory.Nd4j;

/**
 * Caps the threads ND4J 1.0.0-M2.1 computes on. Its GEMM is OpenBLAS's {@code cblas_sgemm}, whose thread count is
 * set through {@code Nd4j.factory().blas().setMaxThreads} ({@code blas_set_num_threads}); libnd4j's own thread pool
 * (used by its element-wise ops) is capped through the {@link org.nd4j.linalg.factory.Environment}.
 * {@link Nd4jThreadCheck} verifies the cap by measuring the process's CPU time against wall time.
 */
public final class Nd4jThreads {
    private Nd4jThreads() {
    }

    /** Sets every ND4J thread cap to {@code threads} and checks that OpenBLAS took it. */
    public static void set(int threads) {
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
        int blas = Nd4j.factory().blas().getMaxThreads();
        if (blas != threads) {
            throw new IllegalStateException("OpenBLAS runs on " + blas + " threads, " + threads + " requested");
        }
    }
}
