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
 * Once warmed up, the attention block kernels allocate nothing on the calling thread (measured by
 * {@link KernelTesting#assertAllocatesNothingOnceWarm}, as in {@link KernelAllocationTest}), on sizes with a partial
 * last vector.
 */
class AttentionBlockKernelsAllocationTest {
    private static TensorArena arena;
    private static MemorySegment x;
    private static MemorySegment source;
    private static MemorySegment acc;
    private static MemorySegment stats;
    private static MemorySegment keyMask;

    @BeforeAll
    static void setUp() {
        arena = TensorArena.root("attention-block-kernels-allocation-test");
        Random random = new Random(11);
        x = arena.allocate(DType.F32, 2100).segment();
        source = Numerics.fillUniform(arena.allocateUninitialized(DType.F32, 2100), random, -3, 3).segment();
        acc = Numerics.fillUniform(arena.allocateUninitialized(DType.F32, 2100), random, -1, 1).segment();
        stats = arena.allocate(DType.F32, 64).segment();
        keyMask = arena.copyOf(Numerics.mask(random, 100, 0.3), 100).segment();
    }

    @AfterAll
    static void tearDown() {
        arena.close();
        assertThat(arena.allocatedBytes()).isZero();
    }

    /** Every call starts from fresh scores (the kernels work in place) and fresh running statistics. */
    private static void reset() {
        MemorySegment.copy(source, 0, x, 0, x.byteSize());
        for (int r = 0; r < 8; r++) {
            stats.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, r, r % 2 == 0 ? Float.NEGATIVE_INFINITY : 0.5f);
            stats.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 16 + r, r % 2 == 0 ? 0f : 3f);
        }
    }

    static Stream<Arguments> calls() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (String impl : new String[] {"scalar", "vector"}) {
            b.add(Arguments.of(impl, "onlineSoftmax", (Consumer<Kernels>) k ->
                    k.onlineSoftmax(8, 95, x, 1, 100, 0.2f, null, 0, stats, 0, stats, 16, acc, 3, 40, 37)));
            b.add(Arguments.of(impl, "onlineSoftmax masked", (Consumer<Kernels>) k ->
                    k.onlineSoftmax(8, 95, x, 1, 100, 0.2f, keyMask, 0, stats, 0, stats, 16, acc, 3, 40, 37)));
            b.add(Arguments.of(impl, "divideRows", (Consumer<Kernels>) k ->
                    k.divideRows(8, 37, acc, 3, 40, stats, 16, x, 5, 50)));
            b.add(Arguments.of(impl, "maskBand", (Consumer<Kernels>) k -> k.maskBand(8, 95, x, 1, 100, -20, -30, 30, 1)));
            b.add(Arguments.of(impl, "maskBand dilated", (Consumer<Kernels>) k -> k.maskBand(8, 95, x, 1, 100, -20, -30, 30, 3)));
            b.add(Arguments.of(impl, "keepTopK", (Consumer<Kernels>) k -> k.keepTopK(6, 95, x, 1, 100, 8, null, 0)));
            b.add(Arguments.of(impl, "keepTopK masked", (Consumer<Kernels>) k -> k.keepTopK(6, 95, x, 1, 100, 8, keyMask, 0)));
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("calls")
    void allocatesNothingPerCallOnceWarm(String impl, String kernel, Consumer<Kernels> call) throws InterruptedException {
        assertAllocatesNothingOnceWarm(impl, kernel, kk -> {
            reset();
            call.accept(kk);
        });
    }
}
