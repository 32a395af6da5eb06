package dev.graft.core.kernels.vector;

/**
 * One thread's reusable GEMM memory: the packed B buffer, the output tile, and the job object the thread uses
 * when it is itself the caller of a GEMM. Held in a {@link ThreadLocal} — keyed on the thread, not on the pool's
 * worker index, because a GEMM that runs inline (pool busy with another caller, or nested) reports worker 0 while
 * the pool's own caller also runs as worker 0; keying on the thread makes sharing a buffer impossible.
 *
 * <p>Buffers grow (by at least half) when a larger problem arrives and are never shrunk, so steady-state calls
 * allocate nothing. The packed-B buffer is bounded by {@link VectorGemm#B_PACK_FLOATS} plus one panel (~4 MiB) and
 * exists only on threads that call a GEMM on the packed path; pool workers hold just the 4 KiB tile (1 KiB without AVX-512). (Thousands
 * of virtual threads each calling GEMM would each get their own buffer: call from a few platform threads.)
 */
final class GemmScratch {
    private static final ThreadLocal<GemmScratch> CURRENT = ThreadLocal.withInitial(GemmScratch::new);

    /** Packed B of the GEMM this thread called (read by the pool's workers while that call runs). */
    float[] b = new float[0];
    /** Rows of A packed k-major for the pre-packed small-m kernel. */
    float[] a = new float[0];
    /** Raw sums of one micro-tile before the epilogue. */
    final float[] tile = new float[GemmKernels.TILE_SIZE];
    /** The job this thread publishes when it calls a GEMM. */
    final GemmJob job = new GemmJob();

    static GemmScratch current() {
        return CURRENT.get();
    }

    float[] packedA(int size) {
        if (a.length < size) {
            a = new float[Math.max(size, a.length + a.length / 2)];
        }
        return a;
    }

    float[] packedB(int size) {
        if (b.length < size) {
            b = new float[Math.max(size, b.length + b.length / 2)];
        }
        return b;
    }
}
