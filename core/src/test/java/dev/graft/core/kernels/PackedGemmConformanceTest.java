package dev.graft.core.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.core.kernels.vector.VectorKernels;
import dev.graft.core.parallel.ComputePool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The pre-packed GEMM ({@link Kernels#packB} then {@link Kernels#gemm(int, MemorySegment, long, int, PackedB,
 * MemorySegment, long, Activation, boolean, MemorySegment, long, int) gemm}) of the Vector API kernels, on 1 and 2
 * threads, against the unpacked scalar GEMM (the oracle), on awkward shapes (m = 1, 9, 12, 13, 16, 17, 28, 32 and large; n not a
 * multiple of 16 or 64; odd k; k above one k block), both B layouts, every activation, with and without bias and
 * accumulation, nonzero offsets and padded leading dimensions. Also: a B packed by one implementation gives the
 * same result in the other, {@link PackedB#get} returns B's elements, and C outside the m×n matrix is untouched.
 *
 * <p>Tolerance as in {@link GemmConformanceTest}: {@code 1e-5 · (sqrt(k) · max|a| · max|b| + 1)} per element.
 */
class PackedGemmConformanceTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final float SENTINEL = -12345.5f;

    static Stream<Arguments> shapes() {
        int[][] s = {
                {1, 1, 1}, {1, 17, 3}, {16, 384, 384}, {16, 1536, 385}, {16, 383, 1536}, {1, 100, 33},
                {17, 47, 129}, {6, 16, 16}, {7, 33, 8}, {5, 64, 2}, {200, 130, 97}, {130, 200, 2100},
                // strips of 9–12 rows (12-row kernel only), 13–16 (12 + 4), a second strip of 12, two full strips
                {9, 70, 40}, {12, 65, 31}, {13, 130, 17}, {28, 64, 50}, {32, 96, 19},
        };
        List<Arguments> out = new ArrayList<>();
        for (int[] sh : s) {
            out.add(Arguments.of(sh[0], sh[1], sh[2]));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "m={0} n={1} k={2}")
    @MethodSource("shapes")
    void packedVectorMatchesScalar(int m, int n, int k) {
        long work = (long) m * n * k;
        try (Kernels v1 = new VectorKernels(new ComputePool(1)); Kernels v2 = new VectorKernels(new ComputePool(2));
             Kernels scalar = new ScalarKernels(new ComputePool(1))) {
            int variant = 0;
            for (boolean bTransposed : new boolean[] {false, true}) {
                for (Activation act : Activation.values()) {
                    for (boolean withBias : new boolean[] {false, true}) {
                        for (boolean accumulate : new boolean[] {false, true}) {
                            variant++;
                            if (work > 2_000_000 && variant % 4 != (m + n + k) % 4) {
                                continue; // the oracle is slow: the largest shapes run a quarter of the variants
                            }
                            Kernels packer = variant % 3 == 0 ? scalar : v1; // cross-implementation now and then
                            for (Kernels k2 : new Kernels[] {v1, v2}) {
                                check(m, n, k, bTransposed, act, withBias, accumulate, variant, packer, k2);
                            }
                        }
                    }
                }
            }
            // The scalar kernels read the vector panel layout too.
            check(m, n, k, true, Activation.GELU, true, true, 99, v1, scalar);
        }
    }

    @Test
    void packedBHoldsBsElementsInEitherLayout() {
        try (Arena arena = Arena.ofConfined(); Kernels v = new VectorKernels(new ComputePool(1));
             Kernels s = new ScalarKernels(new ComputePool(1))) {
            int k = 7;
            int n = 70;
            MemorySegment b = arena.allocate((long) k * n * Float.BYTES);
            for (int i = 0; i < k * n; i++) {
                b.setAtIndex(F32, i, i * 0.5f);
            }
            for (Kernels kern : new Kernels[] {v, s}) {
                PackedB direct = kern.packB(k, n, b, 0, n, false, arena);
                PackedB fromTransposed = kern.packB(k, n, transpose(arena, b, k, n), 0, k, true, arena);
                assertThat(direct.byteSize()).isEqualTo(PackedB.floats(k, n, direct.lanes()) * Float.BYTES);
                for (int p = 0; p < k; p++) {
                    for (int j = 0; j < n; j++) {
                        assertThat(direct.get(p, j)).isEqualTo((p * n + j) * 0.5f);
                        assertThat(fromTransposed.get(p, j)).isEqualTo((p * n + j) * 0.5f);
                    }
                }
            }
        }
    }

    @Test
    void rejectsBadArgumentsWithAClearMessage() {
        try (Arena arena = Arena.ofConfined(); Kernels v = new VectorKernels(new ComputePool(1))) {
            MemorySegment small = arena.allocate(16L * Float.BYTES);
            MemorySegment big = arena.allocate(1024L * Float.BYTES);
            assertThatThrownBy(() -> v.packB(8, 8, small, 0, 8, false, arena))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("packB: B (k×n)");
            PackedB b = v.packB(8, 8, big, 0, 8, false, arena);
            assertThatThrownBy(() -> v.gemm(4, small, 0, 8, b, null, 0, Activation.NONE, false, big, 0, 8))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gemm: A");
            assertThatThrownBy(() -> v.gemm(4, big, 0, 8, b, small, 10, Activation.NONE, false, big, 0, 8))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bias");
            assertThatThrownBy(() -> new PackedB(8, 8, 16, small))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs");
        }
    }

    private static MemorySegment transpose(Arena arena, MemorySegment b, int k, int n) {
        MemorySegment t = arena.allocate((long) k * n * Float.BYTES);
        for (int p = 0; p < k; p++) {
            for (int j = 0; j < n; j++) {
                t.setAtIndex(F32, (long) j * k + p, b.getAtIndex(F32, (long) p * n + j));
            }
        }
        return t;
    }

    private static void check(int m, int n, int k, boolean bTransposed, Activation act, boolean withBias,
                              boolean accumulate, int seed, Kernels packer, Kernels kernels) {
        SplittableRandom rnd = new SplittableRandom(seed * 31L + m * 7L + n * 3L + k);
        boolean padded = seed % 2 == 0;
        int lda = k + (padded ? 3 : 0);
        int ldc = n + (padded ? 5 : 0);
        int ldb = (bTransposed ? k : n) + (padded ? 2 : 0);
        long aOff = padded ? 7 : 0;
        long bOff = padded ? 5 : 0;
        long cOff = padded ? 9 : 0;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = random(arena, aOff + (long) m * lda, rnd);
            MemorySegment b = random(arena, bOff + (long) (bTransposed ? n : k) * ldb, rnd);
            MemorySegment bias = withBias ? random(arena, n + 2, rnd) : null;
            long cSize = cOff + (long) m * ldc + 4;
            MemorySegment cInit = random(arena, cSize, rnd);
            for (long i = 0; i < cSize; i++) { // everything outside the matrix is a sentinel
                long r = (i - cOff) / ldc;
                long col = (i - cOff) % ldc;
                if (i < cOff || r >= m || col >= n) {
                    cInit.setAtIndex(F32, i, SENTINEL);
                }
            }
            MemorySegment expected = arena.allocate(cSize * Float.BYTES).copyFrom(cInit);
            MemorySegment actual = arena.allocate(cSize * Float.BYTES).copyFrom(cInit);
            ScalarGemm.gemm(m, n, k, a, aOff, lda, b, bOff, ldb, bTransposed, bias, 1, act, accumulate,
                    expected, cOff, ldc);
            PackedB packed = packer.packB(k, n, b, bOff, ldb, bTransposed, arena);
            kernels.gemm(m, a, aOff, lda, packed, bias, 1, act, accumulate, actual, cOff, ldc);
            double tol = 1e-5 * (Math.sqrt(k) + 1);
            for (long i = 0; i < cSize; i++) {
                float e = expected.getAtIndex(F32, i);
                float got = actual.getAtIndex(F32, i);
                assertThat((double) got)
                        .as("m=%d n=%d k=%d bT=%s act=%s bias=%s acc=%s packer=%s kernels=%s threads=%d: C[%d]",
                                m, n, k, bTransposed, act, withBias, accumulate, packer.name(), kernels.name(),
                                kernels.threads(), i)
                        .isCloseTo(e, org.assertj.core.data.Offset.offset(tol));
            }
        }
    }

    /** Uniform in [-1, 1). */
    private static MemorySegment random(Arena arena, long floats, SplittableRandom rnd) {
        MemorySegment s = arena.allocate(Math.max(floats, 1) * Float.BYTES, 64);
        for (long i = 0; i < floats; i++) {
            s.setAtIndex(F32, i, (float) (rnd.nextDouble() * 2 - 1));
        }
        return s;
    }
}
