package dev.graft.core.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.core.kernels.vector.VectorKernels;
import dev.graft.core.parallel.ComputePool;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import dev.graft.core.testing.ZeroAllocation;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What the kernel tests of this package share: the two implementations under test, a fresh arena per test (which
 * must end at 0 bytes), operands padded with a sentinel that a kernel must not overwrite outside its output, and
 * the zero-allocation cases of warm kernels.
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

    /** Calls per allocation measurement. */
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
     * The zero-allocation case {@code "impl kernel"} ({@link ZeroAllocation}): {@code call} on the implementation
     * {@code impl}, 1000 calls per measurement.
     */
    static ZeroAllocation.Case allocationCase(String impl, String kernel, Consumer<Kernels> call) {
        return ZeroAllocation.Case.of(impl + " " + kernel, MEASURED, call, kernels(impl));
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
