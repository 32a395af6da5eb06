package dev.graft.core.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.core.kernels.vector.VectorKernels;
import dev.graft.core.parallel.ComputePool;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What the kernel tests of this package share: the two implementations under test, a fresh arena per test (which
 * must end at 0 bytes), operands padded with a sentinel that a kernel must not overwrite outside its output, and
 * the allocation measurement of warm kernels.
 */
final class KernelTesting {
    /**
     * The scalar reference and the Vector API kernels, each on a one-thread pool. Such a pool starts no thread and
     * holds no memory, so one instance of each serves every test class and is never closed.
     */
    static final Kernels SCALAR = new ScalarKernels(new ComputePool(1));
    static final Kernels VECTOR = new VectorKernels(new ComputePool(1));
    /** What padding holds; -777.25 is exact in float, so a bitwise comparison and {@code ==} agree. */
    static final float SENTINEL = -777.25f;
    /** Sentinels after an operand: more than a vector of the widest species, so a tail that stores too far shows. */
    static final int PAD = 29;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final int FIRST_WARMUP = 20_000;
    private static final int MORE_WARMUP = 5_000;
    private static final int ROUNDS = 40;
    private static final int JIT_PAUSE_MS = 50;
    private static final int MEASURED = 1_000;

    private KernelTesting() {
    }

    /** {@link #SCALAR} for "scalar", else {@link #VECTOR} (the parameter of tests run on both). */
    static Kernels kernels(String name) {
        return name.equals("scalar") ? SCALAR : VECTOR;
    }

    static float[] filled(int n, float value) {
        float[] a = new float[n];
        Arrays.fill(a, value);
        return a;
    }

    /** The raw bits of each float (NaN payloads and the sign of zero included). */
    static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = Float.floatToRawIntBits(a[i]);
        }
        return b;
    }

    /** Elements [off, off + n) of t. */
    static float[] region(Tensor t, int off, int n) {
        return Arrays.copyOfRange(t.toFloatArray(), off, off + n);
    }

    /** t has the length {@link TestArena#padded} gives it, and every element outside [off, off + n) is the sentinel. */
    static void assertUntouchedOutside(Tensor t, int off, int n) {
        float[] all = t.toFloatArray();
        assertThat(all.length).isEqualTo(off + n + PAD);
        for (int i = 0; i < all.length; i++) {
            if (i < off || i >= off + n) {
                assertThat(Float.floatToRawIntBits(all[i])).as("element %s outside the region [%s, %s)", i, off, off + n)
                        .isEqualTo(Float.floatToRawIntBits(SENTINEL));
            }
        }
    }

    /** A kernel of the form out ← a ∘ b over n floats ({@link Kernels#add}, {@link Kernels#multiply}). */
    @FunctionalInterface
    interface ElementWise {
        void apply(Kernels k, long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out,
                   long outOff);
    }

    /** What the scalar reference and the Vector API kernels wrote. */
    record Outputs(float[] scalar, float[] vector) {
    }

    /**
     * {@code op} on both implementations, out of place, operands and output at nonzero offsets inside sentinels;
     * asserts that neither writes outside its output.
     */
    static Outputs runBoth(TestArena arena, ElementWise op, float[] as, float[] bs) {
        int n = as.length;
        Tensor a = arena.padded(as, 7);
        Tensor b = arena.padded(bs, 2);
        Tensor s = arena.sentinels(n, 9);
        Tensor v = arena.sentinels(n, 9);
        op.apply(SCALAR, n, a.segment(), 7, b.segment(), 2, s.segment(), 9);
        op.apply(VECTOR, n, a.segment(), 7, b.segment(), 2, v.segment(), 9);
        assertUntouchedOutside(s, 9, n);
        assertUntouchedOutside(v, 9, n);
        return new Outputs(region(s, 9, n), region(v, 9, n));
    }

    /**
     * {@code op} on the Vector API kernels gives the scalar reference's bits ({@link #runBoth}), and the same bits
     * in place (out = a, out = b) without writing outside its output.
     */
    static void assertVectorEqualsScalarBitForBit(TestArena arena, ElementWise op, float[] as, float[] bs) {
        int n = as.length;
        Outputs out = runBoth(arena, op, as, bs);
        int[] expected = bits(out.scalar());
        assertThat(bits(out.vector())).as("out of place").containsExactly(expected);
        Tensor a = arena.padded(as, 7);
        Tensor b = arena.padded(bs, 2);
        op.apply(VECTOR, n, a.segment(), 7, b.segment(), 2, a.segment(), 7);
        assertThat(bits(region(a, 7, n))).as("in place, out = a").containsExactly(expected);
        assertUntouchedOutside(a, 7, n);
        op.apply(VECTOR, n, arena.padded(as, 7).segment(), 7, b.segment(), 2, b.segment(), 2);
        assertThat(bits(region(b, 2, n))).as("in place, out = b").containsExactly(expected);
        assertUntouchedOutside(b, 2, n);
    }

    /**
     * Runs {@code call} on the implementation {@code impl} until it is warm (C2-compiled), then asserts that 1000
     * more calls allocate nothing on this thread ({@link com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes()}).
     * The JIT compiles in the background, so after the first 20,000 warm-up calls the measurement is retried after a
     * short pause and further warm-up rounds (bounded) until it reads 0; a kernel that still allocates after all
     * rounds fails, with its bytes per call.
     */
    static void assertAllocatesNothingOnceWarm(String impl, String kernel, Consumer<Kernels> call)
            throws InterruptedException {
        Kernels k = kernels(impl);
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

    /**
     * A fresh {@link TensorArena} for each test, closed after it; the test fails unless the arena then holds 0 bytes.
     * Register it as an instance field: {@code @RegisterExtension final TestArena arena = new TestArena("name");}.
     */
    static final class TestArena implements BeforeEachCallback, AfterEachCallback {
        private final String name;
        private TensorArena arena;

        TestArena(String name) {
            this.name = name;
        }

        @Override
        public void beforeEach(ExtensionContext context) {
            arena = TensorArena.root(name);
        }

        @Override
        public void afterEach(ExtensionContext context) {
            arena.close();
            assertThat(arena.allocatedBytes()).as("bytes left in arena %s", name).isZero();
        }

        Tensor copyOf(float[] values, long... shape) {
            return arena.copyOf(values, shape);
        }

        Tensor copyOf(int[] values, long... shape) {
            return arena.copyOf(values, shape);
        }

        Tensor allocate(DType dtype, long... shape) {
            return arena.allocate(dtype, shape);
        }

        /** An f32 tensor of off + values.length + {@link #PAD} elements: sentinels, values at off, sentinels. */
        Tensor padded(float[] values, int off) {
            float[] all = filled(off + values.length + PAD, SENTINEL);
            System.arraycopy(values, 0, all, off, values.length);
            return arena.copyOf(all, all.length);
        }

        /** An output of n elements at off, the sentinel everywhere (so an element a kernel does not write shows). */
        Tensor sentinels(int n, int off) {
            return padded(filled(n, SENTINEL), off);
        }

        /** An i32 tensor of off + values.length + {@link #PAD} elements: 7s, values at off, 7s. */
        Tensor paddedInts(int[] values, int off) {
            int[] all = new int[off + values.length + PAD];
            Arrays.fill(all, 7);
            System.arraycopy(values, 0, all, off, values.length);
            return arena.copyOf(all, all.length);
        }
    }
}
