package dev.graft.core.kernels;

import dev.graft.core.kernels.vector.VectorGemm;
import dev.graft.core.parallel.ComputePool;
import dev.graft.core.testing.ZeroAllocation;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The Vector API GEMM allocates nothing per call once warmed up — on the calling thread and on the pool's workers —
 * on every code path: the packed kernel (both B layouts, several k and column blocks), the small-m kernels, the
 * pre-packed kernel, and the fused epilogue with each activation, on pools of 1 and 2 threads. Checked by
 * {@link ZeroAllocation} in a C2-only child JVM with blocking compilation: 10 rounds of GEMMs measured once the
 * round is verified C2-compiled (a busy machine once made the in-process check read 15,456 bytes).
 */
class GemmAllocationTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Rounds of GEMMs per measurement. */
    private static final int ROUNDS = 10;

    /** (m, n, k, bTransposed) of each code path. */
    private static final int[][] CASES = {
            {64, 200, 96, 0},   // packed, narrow last panel
            {70, 130, 2100, 1}, // packed, transposed B, two k blocks
            {1, 256, 128, 0},   // small m, B read in place
            {5, 100, 70, 1},    // small m, dot products with a k tail
            {128, 128, 32, 1},  // attention scores
    };
    /** (m, n, k) of the pre-packed GEMMs: m = 1, 16, 70; panels of every width; two k blocks. */
    private static final int[][] PREPACKED = {{1, 200, 96}, {16, 384, 384}, {16, 100, 2100}, {70, 130, 33}};

    @TestFactory
    Stream<DynamicTest> noAllocationPerCallAfterWarmUp() throws Exception {
        // a round of 30 GEMMs takes milliseconds: the round (which only loops) compiles after ~50× fewer calls
        return ZeroAllocation.inForkedJvm(Cases.class, 0.02);
    }

    /** Both GEMMs on pools of 1 and 2 threads; the pools and operands live as long as the child JVM. */
    static final class Cases implements Supplier<List<ZeroAllocation.Case>> {
        @Override
        public List<ZeroAllocation.Case> get() {
            try {
                List<ZeroAllocation.Case> cases = new ArrayList<>();
                for (int threads : new int[] {1, 2}) {
                    cases.add(gemm(threads));
                }
                for (int threads : new int[] {1, 2}) {
                    cases.add(prepacked(threads));
                }
                return cases;
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static ZeroAllocation.Case gemm(int threads) throws InterruptedException {
        ComputePool pool = new ComputePool(threads);
        Arena arena = Arena.ofShared();
        VectorGemm gemm = new VectorGemm(pool);
        int maxFloats = 70 * 2100 + 130 * 2100 + 70 * 130;
        MemorySegment a = arena.allocate((long) maxFloats * Float.BYTES, 64);
        MemorySegment b = arena.allocate((long) maxFloats * Float.BYTES, 64);
        MemorySegment c = arena.allocate((long) maxFloats * Float.BYTES, 64);
        MemorySegment bias = arena.allocate(256L * Float.BYTES, 64);
        fill(a, b, maxFloats);
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
        return ZeroAllocation.Case.of("gemm threads=" + threads, ROUNDS, calls).alsoOnThreads(workerThreadIds(pool));
    }

    private static ZeroAllocation.Case prepacked(int threads) throws InterruptedException {
        ComputePool pool = new ComputePool(threads);
        Arena arena = Arena.ofShared();
        VectorGemm gemm = new VectorGemm(pool);
        int maxFloats = 70 * 2100 + 384 * 2100;
        MemorySegment a = arena.allocate((long) maxFloats * Float.BYTES, 64);
        MemorySegment b = arena.allocate((long) maxFloats * Float.BYTES, 64);
        MemorySegment c = arena.allocate((long) maxFloats * Float.BYTES, 64);
        MemorySegment bias = arena.allocate(400L * Float.BYTES, 64);
        fill(a, b, maxFloats);
        PackedB[] packed = new PackedB[PREPACKED.length];
        for (int s = 0; s < PREPACKED.length; s++) {
            packed[s] = VectorGemm.packB(PREPACKED[s][2], PREPACKED[s][1], b, 0, PREPACKED[s][1], s % 2 == 1, arena);
        }
        Activation[] acts = Activation.values();
        Runnable calls = () -> {
            int v = 0;
            for (int s = 0; s < PREPACKED.length; s++) {
                for (Activation act : acts) {
                    gemm.gemm(PREPACKED[s][0], a, 3, PREPACKED[s][2], packed[s], v % 2 == 0 ? bias : null, 0, act,
                            v % 3 == 0, c, 0, PREPACKED[s][1]);
                    v++;
                }
            }
        };
        return ZeroAllocation.Case.of("pre-packed gemm threads=" + threads, ROUNDS, calls).alsoOnThreads(workerThreadIds(pool));
    }

    private static void fill(MemorySegment a, MemorySegment b, int floats) {
        for (long i = 0; i < floats; i++) {
            a.setAtIndex(F32, i, (i % 13) * 0.01f);
            b.setAtIndex(F32, i, (i % 7) * 0.02f - 0.05f);
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
}
