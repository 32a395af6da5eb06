package dev.graft.core.kernels;

import static dev.graft.core.kernels.KernelTesting.assertAllocatesNothingOnceWarm;
import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.TensorArena;
import dev.graft.core.testing.Numerics;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Once warmed up (C2-compiled), every kernel allocates nothing on the calling thread, on sizes with a partial last
 * vector (so the tails are covered), the backward (training) kernels included: measured by
 * {@link KernelTesting#assertAllocatesNothingOnceWarm} (ThreadMXBean over 1000 calls, retried after a short pause
 * and more warm-up while the JIT catches up).
 */
class KernelAllocationTest {
    private static TensorArena arena;
    private static MemorySegment x;
    private static MemorySegment y;
    private static MemorySegment out;
    private static MemorySegment gamma;
    private static MemorySegment beta;
    private static MemorySegment mask;
    private static MemorySegment keyMask;

    @BeforeAll
    static void setUp() {
        arena = TensorArena.root("kernel-allocation-test");
        Random random = new Random(7);
        x = Numerics.fillUniform(arena.allocateUninitialized(DType.F32, 2100), random, -3, 3).segment();
        y = Numerics.fillUniform(arena.allocateUninitialized(DType.F32, 2100), random, -3, 3).segment();
        out = arena.allocate(DType.F32, 2100).segment();
        gamma = Numerics.fillUniform(arena.allocateUninitialized(DType.F32, 100), random, 0.5f, 1.5f).segment();
        beta = Numerics.fillUniform(arena.allocateUninitialized(DType.F32, 100), random, -1, 1).segment();
        int[] m = Numerics.mask(random, 4 * 5, 0.3);
        java.util.Arrays.fill(m, 5, 10, 0); // sequence 1 of 4 × 5 tokens is all padding
        mask = arena.copyOf(m, m.length).segment();
        keyMask = arena.copyOf(Numerics.mask(random, 100, 0.3), 100).segment();
    }

    @AfterAll
    static void tearDown() {
        arena.close();
        assertThat(arena.allocatedBytes()).isZero();
    }

    static Stream<Arguments> calls() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (String impl : new String[] {"scalar", "vector"}) {
            b.add(Arguments.of(impl, "layerNorm", (Consumer<Kernels>) k ->
                    k.layerNorm(4, 100, x, 3, gamma, 0, beta, 0, 1e-12f, out, 1)));
            b.add(Arguments.of(impl, "gelu", (Consumer<Kernels>) k -> k.gelu(1001, x, 1, out, 2)));
            b.add(Arguments.of(impl, "add", (Consumer<Kernels>) k -> k.add(1001, x, 3, y, 5, out, 0)));
            b.add(Arguments.of(impl, "softmax", (Consumer<Kernels>) k -> k.softmax(3, 95, x, 1, 100, 0.3f, null, 0)));
            b.add(Arguments.of(impl, "softmax masked", (Consumer<Kernels>) k -> k.softmax(3, 95, x, 1, 100, 0.3f, keyMask, 0)));
            b.add(Arguments.of(impl, "meanPool", (Consumer<Kernels>) k -> k.meanPool(4, 5, 100, x, 1, mask, 0, out, 3)));
            b.add(Arguments.of(impl, "meanPool unmasked", (Consumer<Kernels>) k -> k.meanPool(4, 5, 100, x, 1, null, 0, out, 3)));
            b.add(Arguments.of(impl, "l2Normalize", (Consumer<Kernels>) k -> k.l2Normalize(5, 99, x, 2, out, 0)));
            // backward (training)
            for (Activation act : Activation.values()) {
                b.add(Arguments.of(impl, "activationBackward " + act, (Consumer<Kernels>) k ->
                        k.activationBackward(act, 1001, x, 1, y, 3, out, 2)));
            }
            b.add(Arguments.of(impl, "layerNormBackward", (Consumer<Kernels>) k ->
                    k.layerNormBackward(4, 100, x, 3, gamma, 0, 1e-12f, y, 1, out, 2)));
            b.add(Arguments.of(impl, "softmaxBackward", (Consumer<Kernels>) k -> {
                k.softmaxBackward(3, 95, x, 1, 100, 0.3f, out, 2, 97);
                // in place on out: keep its upstream gradient from growing over thousands of calls (restored here
                // rather than through andThen below, whose call site the forward softmax's entries use)
                MemorySegment.copy(y, 0, out, 0, out.byteSize());
            }));
            b.add(Arguments.of(impl, "dropout", (Consumer<Kernels>) k -> k.dropout(1001, x, 1, 0.1f, 42L, 7L, out, 2)));
            b.add(Arguments.of(impl, "dropout across 2^32", (Consumer<Kernels>) k ->
                    k.dropout(1001, x, 1, 0.1f, 42L, (1L << 32) - 500, out, 2)));
            b.add(Arguments.of(impl, "columnSums", (Consumer<Kernels>) k ->
                    k.columnSums(20, 99, x, 1, 100, y, 3, 101, false, out, 0)));
            b.add(Arguments.of(impl, "columnSums two blocks", (Consumer<Kernels>) k ->
                    k.columnSums(70, 19, x, 1, 29, y, 3, 23, false, out, 0)));
            b.add(Arguments.of(impl, "columnSums accumulate, no b", (Consumer<Kernels>) k ->
                    k.columnSums(20, 99, x, 1, 100, null, 0, 0, true, out, 0)));
            b.add(Arguments.of(impl, "transpose", (Consumer<Kernels>) k -> k.transpose(20, 99, x, 1, 100, out, 0, 21)));
            b.add(Arguments.of(impl, "multiply", (Consumer<Kernels>) k -> k.multiply(1001, x, 3, y, 5, out, 0)));
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("calls")
    void allocatesNothingPerCallOnceWarm(String impl, String kernel, Consumer<Kernels> call) throws InterruptedException {
        if (kernel.startsWith("softmax ") || kernel.equals("softmax")) {
            // softmax works in place; keep its input from collapsing to constants over thousands of calls
            call = call.andThen(kk -> MemorySegment.copy(y, 0, x, 0, x.byteSize()));
        }
        assertAllocatesNothingOnceWarm(impl, kernel, call);
    }
}
