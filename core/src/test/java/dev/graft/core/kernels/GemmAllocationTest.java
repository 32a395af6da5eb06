package dev.graft.core.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.core.kernels.vector.VectorGemm;
import dev.graft.core.parallel.ComputePool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Vector API GEMM allocates nothing per call once warmed up — on the calling thread and on the pool's workers —
 * on every code path: the packed kernel (both B layouts, several k and column blocks), the small-m kernels, and
 * the fused epilogue with each activation. Measured with {@code ThreadMXBean#getThreadAllocatedBytes}; warm-up
 * repeats until C2 has compiled the kernels (bounded: the test fails if allocation never reaches zero).
 */
class GemmAllocationTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** (m, n, k, bTransposed) of each code path. */
    private static final int[][] CASES = {
            {64, 200, 96, 0},   // packed, narrow last panel
            {70, 130, 2100, 1}, // packed, transposed B, two k blocks
            {1, 256, 128, 0},   // small m, B read in place
            {5, 100, 70, 1},    // small m, dot products with a k tail
            {128, 128, 32, 1},  // attention scores
    };

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(ints = {1, 2})
    void noAllocationPerCallAfterWarmUp(int threads) throws Exception {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (ComputePool pool = new ComputePool(threads); Arena arena = Arena.ofShared()) {
            VectorGemm gemm = new VectorGemm(pool);
            int maxFloats = 70 * 2100 + 130 * 2100 + 70 * 130;
            MemorySegment a = arena.allocate((long) maxFloats * Float.BYTES, 64);
            MemorySegment b = arena.allocate((long) maxFloats * Float.BYTES, 64);
            MemorySegment c = arena.allocate((long) maxFloats * Float.BYTES, 64);
            MemorySegment bias = arena.allocate(256L * Float.BYTES, 64);
            for (long i = 0; i < maxFloats; i++) {
                a.setAtIndex(F32, i, (i % 13) * 0.01f);
                b.setAtIndex(F32, i, (i % 7) * 0.02f - 0.05f);
            }
            Activation[] acts = Activation.values(); // values() clones: call it once, outside the measurement
            Runnable calls = () -> {
                int v = 0;
                for (int[] cs : CASES) {
                    for (Activation act : acts) {
                        boolean t = cs[3] == 1;
                        gemm.gemm(cs[0], cs[1], cs[2], a, 3, cs[2], b, 1, t ? cs[2] : cs[1], t,
                                v % 2 == 0 ? bias : null, 0, act, v % 3 == 0, c, 0, cs[1]);
                        v++;
                    }
                }
            };
            long[] workerIds = workerThreadIds(pool);
            long callerBytes = -1;
            long workerBytes = -1;
            for (int attempt = 0; attempt < 60 && (callerBytes != 0 || workerBytes != 0); attempt++) {
                long w0 = allocated(mx, workerIds);
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int rep = 0; rep < 10; rep++) {
                    calls.run();
                }
                callerBytes = mx.getCurrentThreadAllocatedBytes() - before;
                workerBytes = allocated(mx, workerIds) - w0;
            }
            assertThat(callerBytes).as("bytes allocated by the caller in 10 rounds of GEMMs").isZero();
            assertThat(workerBytes).as("bytes allocated by the pool's workers in 10 rounds of GEMMs").isZero();
        }
    }

    /** The pre-packed GEMM (m = 1, 16, 70; panels of every width; two k blocks) allocates nothing either. */
    @ParameterizedTest(name = "threads={0}")
    @ValueSource(ints = {1, 2})
    void prepackedNoAllocationPerCallAfterWarmUp(int threads) throws Exception {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (ComputePool pool = new ComputePool(threads); Arena arena = Arena.ofShared()) {
            VectorGemm gemm = new VectorGemm(pool);
            int[][] shapes = {{1, 200, 96}, {16, 384, 384}, {16, 100, 2100}, {70, 130, 33}};
            int maxFloats = 70 * 2100 + 384 * 2100;
            MemorySegment a = arena.allocate((long) maxFloats * Float.BYTES, 64);
            MemorySegment b = arena.allocate((long) maxFloats * Float.BYTES, 64);
            MemorySegment c = arena.allocate((long) maxFloats * Float.BYTES, 64);
            MemorySegment bias = arena.allocate(400L * Float.BYTES, 64);
            for (long i = 0; i < maxFloats; i++) {
                a.setAtIndex(F32, i, (i % 13) * 0.01f);
                b.setAtIndex(F32, i, (i % 7) * 0.02f - 0.05f);
            }
            PackedB[] packed = new PackedB[shapes.length];
            for (int s = 0; s < shapes.length; s++) {
                packed[s] = VectorGemm.packB(shapes[s][2], shapes[s][1], b, 0, shapes[s][1], s % 2 == 1, arena);
            }
            Activation[] acts = Activation.values();
            Runnable calls = () -> {
                int v = 0;
                for (int s = 0; s < shapes.length; s++) {
                    for (Activation act : acts) {
                        gemm.gemm(shapes[s][0], a, 3, shapes[s][2], packed[s], v % 2 == 0 ? bias : null, 0, act,
                                v % 3 == 0, c, 0, shapes[s][1]);
                        v++;
                    }
                }
            };
            long[] workerIds = workerThreadIds(pool);
            long callerBytes = -1;
            long workerBytes = -1;
            for (int attempt = 0; attempt < 60 && (callerBytes != 0 || workerBytes != 0); attempt++) {
                long w0 = allocated(mx, workerIds);
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int rep = 0; rep < 10; rep++) {
                    calls.run();
                }
                callerBytes = mx.getCurrentThreadAllocatedBytes() - before;
                workerBytes = allocated(mx, workerIds) - w0;
            }
            assertThat(callerBytes).as("bytes allocated by the caller in 10 rounds of pre-packed GEMMs").isZero();
            assertThat(workerBytes).as("bytes allocated by the pool's workers in 10 rounds of pre-packed GEMMs").isZero();
        }
    }

    /** Ids of the pool's worker threads (the threads that run its tasks other than the caller). */
    private static long[] workerThreadIds(ComputePool pool) throws InterruptedException {
        if (pool.threads() == 1) {
            return new long[0];
        }
        List<Long> ids = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.CountDownLatch both = new java.util.concurrent.CountDownLatch(pool.threads());
        pool.parallelFor(pool.threads(), (i, w) -> {
            if (Thread.currentThread().getName().startsWith("graft-compute-")) {
                ids.add(Thread.currentThread().threadId());
            }
            both.countDown();
            try {
                both.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        return ids.stream().mapToLong(Long::longValue).toArray();
    }

    private static long allocated(com.sun.management.ThreadMXBean mx, long[] ids) {
        long sum = 0;
        for (long id : ids) {
            sum += mx.getThreadAllocatedBytes(id);
        }
        return sum;
    }
}
