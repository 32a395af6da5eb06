package dev.graft.core.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.core.kernels.vector.VectorGemm;
import dev.graft.core.parallel.ComputePool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link VectorGemm} against the {@link ScalarGemm} oracle on awkward sizes (1, 3, 17, 383, 384, 1000 and the
 * small-m / attention shapes), both B layouts, every activation, with and without bias and accumulation, nonzero
 * offsets and padded leading dimensions, on 1 and 2 threads.
 *
 * <p>Tolerance: {@code |vector - scalar| <= 1e-5 · (sqrt(k) · max|a| · max|b| + 1)} per element. The oracle sums
 * in double; the vector kernel sums in float in blocked order, whose rounding error grows like sqrt(k) times the
 * typical product; the {@code + 1} covers the bias and C terms (|x| ≤ 1) and the activation approximations.
 * Every float of C outside the m×n matrix (offset, row padding, tail) must be left untouched.
 */
class GemmConformanceTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final float SENTINEL = -12345.5f;

    private static ComputePool pool1;
    private static ComputePool pool2;

    @BeforeAll
    static void pools() {
        pool1 = new ComputePool(1);
        pool2 = new ComputePool(2);
    }

    @AfterAll
    static void closePools() {
        pool1.close();
        pool2.close();
    }

    /** (m, n, k) shapes: each awkward size in each role, and the shapes that pick each code path. */
    static Stream<Arguments> shapes() {
        int[][] s = {
                {1, 1, 1}, {1, 3, 17}, {3, 1, 1000}, {3, 3, 3}, {17, 17, 17},
                {1, 384, 384}, {1, 383, 1000}, {3, 1000, 17}, {8, 383, 383}, {9, 384, 383}, {16, 17, 384},
                {17, 383, 384}, {17, 1000, 3}, {383, 17, 17}, {383, 3, 384}, {384, 384, 384}, {1000, 1, 1000},
                {1000, 130, 1000}, {1000, 1000, 3}, {100, 200, 1000}, {128, 128, 32}, {128, 32, 128}, {1, 1536, 384}, {64, 1536, 383},
                {130, 1000, 2100}, // packed: two k blocks and two column blocks
        };
        List<Arguments> out = new ArrayList<>();
        for (int[] sh : s) {
            out.add(Arguments.of(sh[0], sh[1], sh[2]));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "m={0} n={1} k={2}")
    @MethodSource("shapes")
    void vectorMatchesScalarOnEveryVariant(int m, int n, int k) {
        long work = (long) m * n * k;
        int variant = 0;
        for (boolean bTransposed : new boolean[] {false, true}) {
            for (Activation act : Activation.values()) {
                for (boolean withBias : new boolean[] {false, true}) {
                    for (boolean accumulate : new boolean[] {false, true}) {
                        variant++;
                        // The scalar oracle costs a few ns per multiply-add: the largest shapes run a quarter of the
                        // variants (which quarter depends on the shape, so that together they cover all).
                        if (work > 5_000_000 && variant % 4 != (m + n + k) % 4) {
                            continue;
                        }
                        boolean padded = variant % 2 == 0;
                        check(new Case(m, n, k, bTransposed, act, withBias, accumulate, padded, variant),
                                new VectorGemm(pool1), new VectorGemm(pool2));
                    }
                }
            }
        }
    }

    /** Attention shapes: Q·Kᵀ and P·V reading heads out of a fused QKV buffer (row stride 3 × 384 = 1152). */
    @Test
    void attentionShapesWithWideStrides() {
        for (int ld : new int[] {384, 1152}) {
            for (ComputePool pool : new ComputePool[] {pool1, pool2}) {
                check(new Case(128, 128, 32, true, Activation.NONE, false, false, ld, ld, 128 + 5, 7, 0), pool);
                check(new Case(128, 32, 128, false, Activation.NONE, false, false, 128 + 3, ld, ld, 11, 0), pool);
                check(new Case(4, 128, 32, true, Activation.NONE, false, false, ld, ld, 128, 2, 0), pool);
            }
        }
    }

    @Test
    void confinedSegmentsRunOnTheCallerAlone() {
        // Workers may not touch a confined arena's memory: the call must still succeed, single-threaded.
        check(new Case(200, 300, 100, false, Activation.TANH, true, false, 103, 305, 302, 4, 9, true), pool2);
        check(new Case(200, 300, 100, true, Activation.NONE, false, true, 103, 105, 302, 4, 9, true), pool2);
    }

    @Test
    void calledFromManyThreadsAtOnce() throws Exception {
        VectorGemm gemm = new VectorGemm(pool2);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 6; t++) {
            int seed = t;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int rep = 0; rep < 3; rep++) {
                        int m = 40 + 31 * seed;
                        check(new Case(m, 200 + seed, 150, seed % 2 == 0, Activation.GELU, true, seed % 3 == 0,
                                true, seed * 10 + rep), gemm);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void rejectsBadArgumentsWithAClearMessage() {
        VectorGemm gemm = new VectorGemm(pool1);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment small = arena.allocate(16L * Float.BYTES);
            MemorySegment big = arena.allocate(1024L * Float.BYTES);
            assertThatThrownBy(() -> gemm.gemm(4, 4, 4, small, 1, 4, big, 0, 4, false, null, 0,
                    Activation.NONE, false, big, 0, 4))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("A").hasMessageContaining("17");
            assertThatThrownBy(() -> gemm.gemm(4, 4, 4, big, 0, 3, big, 0, 4, false, null, 0,
                    Activation.NONE, false, big, 0, 4))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("leading dimension 3");
            assertThatThrownBy(() -> gemm.gemm(4, 8, 4, big, 0, 4, small, 0, 4, true, null, 0,
                    Activation.NONE, false, big, 0, 8))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("B (transposed");
            assertThatThrownBy(() -> gemm.gemm(4, 4, 4, big, 0, 4, big, 0, 4, false, small, 13,
                    Activation.NONE, false, big, 0, 4))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bias");
            assertThatThrownBy(() -> gemm.gemm(-1, 4, 4, big, 0, 4, big, 0, 4, false, null, 0,
                    Activation.NONE, false, big, 0, 4))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
        }
    }

    @Test
    void zeroSizedDimensionsAreHandled() {
        VectorGemm gemm = new VectorGemm(pool1);
        // k = 0: C = act(bias) (+ C).
        check(new Case(5, 40, 0, false, Activation.RELU, true, true, true, 1), gemm);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(4);
            gemm.gemm(0, 5, 5, s, 0, 5, s, 0, 5, false, null, 0, Activation.NONE, false, s, 0, 5);
            gemm.gemm(5, 0, 5, s, 0, 5, s, 0, 5, false, null, 0, Activation.NONE, false, s, 0, 5);
        }
    }

    /** One GEMM problem: sizes, layout, epilogue, and where the operands sit in their segments. */
    record Case(int m, int n, int k, boolean bTransposed, Activation act, boolean withBias, boolean accumulate,
                int lda, int ldb, int ldc, int offset, long seed, boolean confined) {
        Case(int m, int n, int k, boolean bTransposed, Activation act, boolean withBias, boolean accumulate,
             int lda, int ldb, int ldc, int offset, long seed) {
            this(m, n, k, bTransposed, act, withBias, accumulate, lda, ldb, ldc, offset, seed, false);
        }

        Case(int m, int n, int k, boolean bTransposed, Activation act, boolean withBias, boolean accumulate,
             boolean padded, long seed) {
            this(m, n, k, bTransposed, act, withBias, accumulate,
                    k + (padded ? 3 : 0), (bTransposed ? k : n) + (padded ? 5 : 0), n + (padded ? 2 : 0),
                    padded ? 7 : 0, seed);
        }
    }

    private static void check(Case cs, ComputePool pool) {
        check(cs, new VectorGemm(pool));
    }

    private static void check(Case cs, VectorGemm... gemms) {
        SplittableRandom rnd = new SplittableRandom(cs.seed() * 31 + cs.m() * 7919L + cs.n() * 104729L + cs.k());
        int m = cs.m();
        int n = cs.n();
        int k = cs.k();
        int off = cs.offset();
        int bRows = cs.bTransposed() ? n : k;
        int bCols = cs.bTransposed() ? k : n;
        try (Arena arena = cs.confined() ? Arena.ofConfined() : Arena.ofShared()) {
            MemorySegment a = random(arena, off + (long) m * cs.lda() + 3, rnd);
            MemorySegment b = random(arena, off + (long) bRows * cs.ldb() + 3, rnd);
            MemorySegment bias = cs.withBias() ? random(arena, off + n + 3, rnd) : null;
            long cLen = off + (long) m * cs.ldc() + 3;
            MemorySegment c0 = random(arena, cLen, rnd);
            for (long i = 0; i < cLen; i++) { // everything outside the matrix is a sentinel
                long rel = i - off;
                if (rel < 0 || rel / cs.ldc() >= m || rel % cs.ldc() >= n) {
                    c0.setAtIndex(F32, i, SENTINEL);
                }
            }
            MemorySegment expected = arena.allocate(cLen * Float.BYTES).copyFrom(c0);
            ScalarGemm.gemm(m, n, k, a, off, cs.lda(), b, off, cs.ldb(), cs.bTransposed(), bias, off, cs.act(),
                    cs.accumulate(), expected, off, cs.ldc());
            double maxA = maxAbs(a, off, m, k, cs.lda());
            double maxB = maxAbs(b, off, bRows, bCols, cs.ldb());
            double tol = 1e-5 * (Math.sqrt(k) * maxA * maxB + 1);
            MemorySegment actual = arena.allocate(cLen * Float.BYTES);
            for (VectorGemm gemm : gemms) {
                actual.copyFrom(c0);
                gemm.gemm(m, n, k, a, off, cs.lda(), b, off, cs.ldb(), cs.bTransposed(), bias, off, cs.act(),
                        cs.accumulate(), actual, off, cs.ldc());
                for (long i = 0; i < cLen; i++) {
                    float e = expected.getAtIndex(F32, i);
                    float v = actual.getAtIndex(F32, i);
                    if (!(Math.abs(e - v) <= tol)) {
                        long rel = i - off;
                        throw new AssertionError(cs + " " + gemm + ": C[" + rel / cs.ldc() + "," + rel % cs.ldc()
                                + "] (flat " + i + ") vector " + v + " scalar " + e + " tol " + tol);
                    }
                }
            }
        }
    }

    private static MemorySegment random(Arena arena, long floats, SplittableRandom rnd) {
        MemorySegment s = arena.allocate(floats * Float.BYTES, 64);
        for (long i = 0; i < floats; i++) {
            s.setAtIndex(F32, i, (float) (rnd.nextDouble() * 2 - 1));
        }
        return s;
    }

    private static double maxAbs(MemorySegment s, long off, int rows, int cols, int ld) {
        double max = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, Math.abs(s.getAtIndex(F32, off + (long) r * ld + c)));
            }
        }
        return max;
    }
}
