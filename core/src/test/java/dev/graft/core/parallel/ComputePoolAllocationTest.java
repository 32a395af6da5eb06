package dev.graft.core.parallel;

import dev.graft.core.testing.ZeroAllocation;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Once warm, {@link ComputePool#parallelFor} allocates nothing on the calling thread, inline (one thread) or handing
 * tasks to a worker (two threads): checked by {@link ZeroAllocation} in a C2-only child JVM, 2000 calls per
 * measurement.
 */
class ComputePoolAllocationTest {

    @TestFactory
    Stream<DynamicTest> parallelForAllocatesNothingAfterWarmUp() throws Exception {
        return ZeroAllocation.inForkedJvm(Cases.class);
    }

    /** Pools of 1 and 2 threads, open as long as the child JVM. */
    static final class Cases implements Supplier<List<ZeroAllocation.Case>> {
        @Override
        public List<ZeroAllocation.Case> get() {
            return List.of(parallelFor(1), parallelFor(2));
        }

        private static ZeroAllocation.Case parallelFor(int threads) {
            ComputePool pool = new ComputePool(threads);
            long[] sink = new long[64];
            ComputePool.IndexedTask task = (i, w) -> sink[i] += i;
            return ZeroAllocation.Case.of("parallelFor threads=" + threads, 2000, () -> pool.parallelFor(64, task));
        }
    }
}
