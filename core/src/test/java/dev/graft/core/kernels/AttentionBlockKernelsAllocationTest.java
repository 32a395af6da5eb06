package dev.graft.core.kernels;

import static dev.graft.core.kernels.KernelTesting.allocationCase;

import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.TensorArena;
import dev.graft.core.testing.Numerics;
import dev.graft.core.testing.ZeroAllocation;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Once warmed up, the attention block kernels allocate nothing on the calling thread (checked by
 * {@link ZeroAllocation} in a C2-only child JVM, as in {@link KernelAllocationTest}), on sizes with a partial last
 * vector.
 */
class AttentionBlockKernelsAllocationTest {

    @TestFactory
    Stream<DynamicTest> allocatesNothingPerCallOnceWarm() throws Exception {
        return ZeroAllocation.inForkedJvm(Cases.class);
    }

    /** The calls, on operands set up in the child JVM; every call starts from fresh scores and running statistics. */
    static final class Cases implements Supplier<List<ZeroAllocation.Case>> {
        private final TensorArena arena = TensorArena.root("attention-block-kernels-allocation-test");
        private final Random random = new Random(11);
        private final MemorySegment x = arena.allocate(DType.F32, 2100).segment();
        private final MemorySegment source = Numerics.fillUniform(arena.allocateUninitialized(DType.F32, 2100), random, -3, 3).segment();
        private final MemorySegment acc = Numerics.fillUniform(arena.allocateUninitialized(DType.F32, 2100), random, -1, 1).segment();
        private final MemorySegment stats = arena.allocate(DType.F32, 64).segment();
        private final MemorySegment keyMask = arena.copyOf(Numerics.mask(random, 100, 0.3), 100).segment();

        /** Fresh scores (the kernels work in place) and fresh running statistics. */
        private void reset() {
            MemorySegment.copy(source, 0, x, 0, x.byteSize());
            for (int r = 0; r < 8; r++) {
                stats.setAtIndex(ValueLayout.JAVA_FLOAT, r, r % 2 == 0 ? Float.NEGATIVE_INFINITY : 0.5f);
                stats.setAtIndex(ValueLayout.JAVA_FLOAT, 16 + r, r % 2 == 0 ? 0f : 3f);
            }
        }

        @Override
        public List<ZeroAllocation.Case> get() {
            List<ZeroAllocation.Case> b = new ArrayList<>();
            for (String impl : new String[] {"scalar", "vector"}) {
                b.add(allocationCase(impl, "onlineSoftmax", k -> {
                    reset();
                    k.onlineSoftmax(8, 95, x, 1, 100, 0.2f, null, 0, stats, 0, stats, 16, acc, 3, 40, 37);
                }));
                b.add(allocationCase(impl, "onlineSoftmax masked", k -> {
                    reset();
                    k.onlineSoftmax(8, 95, x, 1, 100, 0.2f, keyMask, 0, stats, 0, stats, 16, acc, 3, 40, 37);
                }));
                b.add(allocationCase(impl, "divideRows", k -> {
                    reset();
                    k.divideRows(8, 37, acc, 3, 40, stats, 16, x, 5, 50);
                }));
                b.add(allocationCase(impl, "maskBand", k -> {
                    reset();
                    k.maskBand(8, 95, x, 1, 100, -20, -30, 30, 1);
                }));
                b.add(allocationCase(impl, "maskBand dilated", k -> {
                    reset();
                    k.maskBand(8, 95, x, 1, 100, -20, -30, 30, 3);
                }));
                b.add(allocationCase(impl, "keepTopK", k -> {
                    reset();
                    k.keepTopK(6, 95, x, 1, 100, 8, null, 0);
                }));
                b.add(allocationCase(impl, "keepTopK masked", k -> {
                    reset();
                    k.keepTopK(6, 95, x, 1, 100, 8, keyMask, 0);
                }));
            }
            return b;
        }
    }
}
