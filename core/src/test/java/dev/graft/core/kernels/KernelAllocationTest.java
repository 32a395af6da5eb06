package dev.graft.core.kernels;

import static dev.graft.core.kernels.KernelTesting.allocationCase;

import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.TensorArena;
import dev.graft.core.testing.Numerics;
import dev.graft.core.testing.ZeroAllocation;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Once warmed up (C2-compiled), every kernel allocates nothing on the calling thread, on sizes with a partial last
 * vector (so the tails are covered), the backward (training) kernels included: checked by {@link ZeroAllocation} in
 * a C2-only child JVM with blocking compilation (1000 calls measured once the call is verified C2-compiled), so a
 * busy machine cannot leave a kernel at a lower tier while it is measured.
 */
class KernelAllocationTest {

    @TestFactory
    Stream<DynamicTest> allocatesNothingPerCallOnceWarm() throws Exception {
        return ZeroAllocation.inForkedJvm(Cases.class);
    }

    /** The calls, on operands set up in the child JVM (its arena lives as long as the child). */
    static final class Cases implements Supplier<List<ZeroAllocation.Case>> {
        @Override
        public List<ZeroAllocation.Case> get() {
            TensorArena arena = TensorArena.root("kernel-allocation-test");
            Random random = new Random(7);
            MemorySegment x = Numerics.fillUniform(arena.allocateUninitialized(DType.F32, 2100), random, -3, 3).segment();
            MemorySegment y = Numerics.fillUniform(arena.allocateUninitialized(DType.F32, 2100), random, -3, 3).segment();
            MemorySegment out = arena.allocate(DType.F32, 2100).segment();
            MemorySegment gamma = Numerics.fillUniform(arena.allocateUninitialized(DType.F32, 100), random, 0.5f, 1.5f).segment();
            MemorySegment beta = Numerics.fillUniform(arena.allocateUninitialized(DType.F32, 100), random, -1, 1).segment();
            int[] m = Numerics.mask(random, 4 * 5, 0.3);
            java.util.Arrays.fill(m, 5, 10, 0); // sequence 1 of 4 × 5 tokens is all padding
            MemorySegment mask = arena.copyOf(m, m.length).segment();
            MemorySegment keyMask = arena.copyOf(Numerics.mask(random, 100, 0.3), 100).segment();
            // sgmv: segments of 3, 0, 5 and 2 rows, ranks 8, 4, 1 and none, in = 97, out = 101
            int[] starts = {0, 3, 3, 8, 10};
            int[] ranks = {8, 4, 1, 0};
            float[] scales = {2f, 0.5f, 1f, 0f};
            MemorySegment[] loraA = new MemorySegment[4];
            MemorySegment[] loraBt = new MemorySegment[4];
            for (int s = 0; s < 3; s++) {
                loraA[s] = Numerics.fillUniform(arena.allocateUninitialized(DType.F32, ranks[s], 97), random, -1, 1).segment();
                loraBt[s] = Numerics.fillUniform(arena.allocateUninitialized(DType.F32, ranks[s], 101), random, -1e-3f, 1e-3f).segment();
            }
            MemorySegment sgmvX = Numerics.fillUniform(arena.allocateUninitialized(DType.F32, 10, 100), random, -1, 1).segment();
            MemorySegment sgmvY = arena.allocate(DType.F32, 10, 103).segment();
            MemorySegment sgmvT = arena.allocate(DType.F32, 40).segment();
            List<ZeroAllocation.Case> b = new ArrayList<>();
            for (String impl : new String[] {"scalar", "vector"}) {
                b.add(allocationCase(impl, "layerNorm", k -> k.layerNorm(4, 100, x, 3, gamma, 0, beta, 0, 1e-12f, out, 1)));
                b.add(allocationCase(impl, "gelu", k -> k.gelu(1001, x, 1, out, 2)));
                b.add(allocationCase(impl, "add", k -> k.add(1001, x, 3, y, 5, out, 0)));
                // softmax works in place; keep its input from collapsing to constants over thousands of calls
                b.add(allocationCase(impl, "softmax", k -> {
                    k.softmax(3, 95, x, 1, 100, 0.3f, null, 0);
                    MemorySegment.copy(y, 0, x, 0, x.byteSize());
                }));
                b.add(allocationCase(impl, "softmax masked", k -> {
                    k.softmax(3, 95, x, 1, 100, 0.3f, keyMask, 0);
                    MemorySegment.copy(y, 0, x, 0, x.byteSize());
                }));
                b.add(allocationCase(impl, "meanPool", k -> k.meanPool(4, 5, 100, x, 1, mask, 0, out, 3)));
                b.add(allocationCase(impl, "meanPool unmasked", k -> k.meanPool(4, 5, 100, x, 1, null, 0, out, 3)));
                b.add(allocationCase(impl, "l2Normalize", k -> k.l2Normalize(5, 99, x, 2, out, 0)));
                // backward (training)
                for (Activation act : Activation.values()) {
                    b.add(allocationCase(impl, "activationBackward " + act, k ->
                            k.activationBackward(act, 1001, x, 1, y, 3, out, 2)));
                }
                b.add(allocationCase(impl, "layerNormBackward", k ->
                        k.layerNormBackward(4, 100, x, 3, gamma, 0, 1e-12f, y, 1, out, 2)));
                b.add(allocationCase(impl, "softmaxBackward", k -> {
                    k.softmaxBackward(3, 95, x, 1, 100, 0.3f, out, 2, 97);
                    // in place on out: keep its upstream gradient from growing over thousands of calls
                    MemorySegment.copy(y, 0, out, 0, out.byteSize());
                }));
                b.add(allocationCase(impl, "dropout", k -> k.dropout(1001, x, 1, 0.1f, 42L, 7L, out, 2)));
                b.add(allocationCase(impl, "dropout across 2^32", k -> k.dropout(1001, x, 1, 0.1f, 42L, (1L << 32) - 500, out, 2)));
                b.add(allocationCase(impl, "columnSums", k -> k.columnSums(20, 99, x, 1, 100, y, 3, 101, false, out, 0)));
                b.add(allocationCase(impl, "columnSums two blocks", k -> k.columnSums(70, 19, x, 1, 29, y, 3, 23, false, out, 0)));
                b.add(allocationCase(impl, "columnSums accumulate, no b", k ->
                        k.columnSums(20, 99, x, 1, 100, null, 0, 0, true, out, 0)));
                b.add(allocationCase(impl, "transpose", k -> k.transpose(20, 99, x, 1, 100, out, 0, 21)));
                b.add(allocationCase(impl, "multiply", k -> k.multiply(1001, x, 3, y, 5, out, 0)));
                b.add(allocationCase(impl, "sgmv", k -> k.sgmv(4, starts, 97, 101, sgmvX, 1, 100, loraA, loraBt, ranks,
                        scales, sgmvY, 2, 103, sgmvT, 0)));
            }
            return b;
        }
    }
}
