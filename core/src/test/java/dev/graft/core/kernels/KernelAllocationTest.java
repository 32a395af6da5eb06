package dev.graft.core.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.core.kernels.vector.VectorKernels;
import dev.graft.core.parallel.ComputePool;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.TensorArena;
import dev.graft.core.testing.Numerics;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Once warmed up (C2-compiled), every kernel allocates nothing on the calling thread: measured with
 * {@link com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes()} over 1000 calls, on sizes with a
 * partial last vector (so the tails are covered), the backward (training) kernels included. The JIT compiles in
 * the background, so after the first 20,000 warm-up calls the measurement is retried after a short pause and further
 * warm-up rounds (bounded) until it reads 0; a kernel that still allocates after all rounds fails, with its bytes
 * per call.
 */
class KernelAllocationTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final int FIRST_WARMUP = 20_000;
    private static final int MORE_WARMUP = 5_000;
    private static final int ROUNDS = 40;
    private static final int JIT_PAUSE_MS = 50;
    private static final int MEASURED = 1_000;

    private static TensorArena arena;
    private static Kernels scalar;
    private static Kernels vector;
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
        scalar = new ScalarKernels(new ComputePool(1));
        vector = new VectorKernels(new ComputePool(1));
    }

    @AfterAll
    static void tearDown() {
        scalar.close();
        vector.close();
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
        Kernels k = impl.equals("scalar") ? scalar : vector;
        if (kernel.startsWith("softmax ") || kernel.equals("softmax")) {
            // softmax works in place; keep its input from collapsing to constants over thousands of calls
            call = call.andThen(kk -> MemorySegment.copy(y, 0, x, 0, x.byteSize()));
        }
        long bytes = -1;
        int round = 0;
        repeat(call, k, FIRST_WARMUP);
        while (round++ < ROUNDS) {
            bytes = measure(call, k);
            if (bytes == 0) {
                break;
            }
            // A starved JIT (a busy machine) keeps a method at tier 2, where Vector API calls are their allocating
            // fallbacks, until the C2 queue drains: give the compiler threads the CPU before warming up further.
            Thread.sleep(JIT_PAUSE_MS);
            repeat(call, k, MORE_WARMUP);
        }
        System.out.printf("%s %s: %d bytes over %d calls after %d measurement round(s)%n", impl, kernel, bytes, MEASURED, round);
        assertThat(bytes).as("%s %s: bytes allocated over %d warm calls (%.2f per call)", impl, kernel, MEASURED,
                bytes / (double) MEASURED).isZero();
    }

    private static long measure(Consumer<Kernels> call, Kernels k) {
        long before = THREADS.getCurrentThreadAllocatedBytes();
        repeat(call, k, MEASURED);
        long after = THREADS.getCurrentThreadAllocatedBytes();
        long overhead = THREADS.getCurrentThreadAllocatedBytes() - after; // what one reading costs, normally 0
        return after - before - overhead;
    }

    private static void repeat(Consumer<Kernels> call, Kernels k, int times) {
        for (int i = 0; i < times; i++) {
            call.accept(k);
        }
    }
}
