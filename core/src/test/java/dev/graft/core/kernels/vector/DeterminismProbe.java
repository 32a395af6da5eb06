package dev.graft.core.kernels.vector;

import dev.graft.core.kernels.Activation;
import dev.graft.core.parallel.ComputePool;
import dev.graft.core.testing.CompiledCode;
import dev.graft.core.testing.JitMode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Runs every {@link VectorKernels} kernel once on fixed pseudo-random inputs (shapes with vector tails, masks,
 * -∞ scores, every GEMM path and activation) and fingerprints the output bits per kernel. {@link
 * DeterminismTest} compares fingerprints taken in different execution modes; {@link #main} prints them from a
 * child JVM in a forced {@link JitMode}, once every kernel it calls is verified to run in that mode.
 */
final class DeterminismProbe {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    /** The methods of this class that call the kernels: excluded from compilation, so the kernels compile on their own. */
    static final List<String> CALLERS = List.of("run", "gemm", "prepacked", "backward");
    /** The kernels {@link #run} calls ({@link CompiledCode.Entry#method} form). */
    static final List<String> KERNELS = Stream.of("gemm", "packB", "softmax", "onlineSoftmax", "layerNorm",
            "l2Normalize", "gelu", "meanPool", "activationBackward", "layerNormBackward", "softmaxBackward", "dropout",
            "columnSums", "transpose", "multiply").map(k -> VectorKernels.class.getName() + "." + k).toList();
    /** A bound on the runs before a kernel that is still not compiled is reported. */
    private static final int MAX_RUNS = 2000;
    /** The line that precedes the fingerprints, with what was verified. */
    static final String VERIFIED = "@@verified";

    private DeterminismProbe() {
    }

    /**
     * {@code args[0]}: the {@link JitMode} this JVM must run in. Runs the probe until every kernel has code of the
     * mode's level (none for {@link JitMode#INTERPRETED}) and a run changes no compiled code, then prints the
     * fingerprints of that run, one {@code name hex} line per kernel, after a {@link #VERIFIED} line. Exits with 3,
     * naming the kernels, if they never reach the mode.
     */
    public static void main(String[] args) {
        JitMode mode = JitMode.valueOf(args[0]);
        CompiledCode.requireMode(mode);
        for (int runs = 1; runs <= MAX_RUNS; runs++) {
            CompiledCode before = CompiledCode.now();
            Map<String, Long> prints = run();
            CompiledCode after = CompiledCode.now();
            List<String> wrong = mode == JitMode.INTERPRETED
                    ? List.copyOf(after.methodsStartingWith("dev.graft."))
                    : after.missing(KERNELS, mode.level());
            if (wrong.isEmpty() && after.changesSince(before).isEmpty()) {
                System.out.println(VERIFIED + " " + mode + " after " + runs + " runs: "
                        + (mode == JitMode.INTERPRETED ? "no compiled Graft code" : "every kernel at level " + mode.level()));
                prints.forEach((name, print) -> System.out.println(name + " " + Long.toHexString(print)));
                return;
            }
            if (runs == MAX_RUNS) {
                System.out.println("after " + runs + " runs in mode " + mode + ", not at level " + mode.level() + ": " + wrong);
            }
        }
        System.exit(3);
    }

    /** Kernel name → fingerprint of its output bits, in a fixed order. */
    static Map<String, Long> run() {
        Map<String, Long> prints = new LinkedHashMap<>();
        try (Arena arena = Arena.ofConfined(); VectorKernels kernels = new VectorKernels(new ComputePool(1))) {
            gemm(kernels, arena, prints, "gemm-packed-nn-gelu", 130, 70, 50, false, Activation.GELU);
            gemm(kernels, arena, prints, "gemm-direct-nn-gelu", 5, 70, 50, false, Activation.GELU);
            gemm(kernels, arena, prints, "gemm-direct-nt-tanh", 6, 70, 50, true, Activation.TANH);
            gemm(kernels, arena, prints, "gemm-direct-nt1-gelu", 1, 70, 51, true, Activation.GELU);
            gemm(kernels, arena, prints, "gemm-packed-nt-tanh", 20, 70, 50, true, Activation.TANH);
            gemm(kernels, arena, prints, "gemm-packed-nn-relu", 130, 33, 20, false, Activation.RELU);
            prepacked(kernels, arena, prints, "gemm-prepacked-8rows-gelu", 7, 70, 50, Activation.GELU);
            prepacked(kernels, arena, prints, "gemm-prepacked-12+4rows", 16, 70, 50, Activation.NONE);
            prepacked(kernels, arena, prints, "gemm-prepacked-2strips-gelu", 29, 70, 50, Activation.GELU);

            int rows = 5;
            int cols = 77;
            MemorySegment mask = arena.allocate(4L * cols, 64);
            for (int j = 0; j < cols; j++) {
                mask.setAtIndex(I, j, j % 7 == 3 || j > 70 ? 0 : 1);
            }
            MemorySegment x = floats(arena, 1, (long) rows * cols, -30, 30);
            x.setAtIndex(F, 4, Float.NEGATIVE_INFINITY);
            x.setAtIndex(F, 40, Float.NEGATIVE_INFINITY);
            kernels.softmax(rows, cols, x, 0, cols, 0.37f, null, 0);
            prints.put("softmax", print(x));
            x = floats(arena, 2, (long) rows * cols, -30, 30);
            kernels.softmax(rows, cols, x, 0, cols, 0.37f, mask, 0);
            prints.put("softmax-masked", print(x));

            MemorySegment scores = floats(arena, 3, (long) rows * cols, -10, 10);
            MemorySegment max = floats(arena, 4, rows, -2, 2);
            MemorySegment sum = floats(arena, 5, rows, 1, 3);
            MemorySegment acc = floats(arena, 6, (long) rows * 40, -1, 1);
            max.setAtIndex(F, 0, Float.NEGATIVE_INFINITY);
            kernels.onlineSoftmax(rows, cols, scores, 0, cols, 0.5f, mask, 0, max, 0, sum, 0, acc, 0, 40, 40);
            prints.put("onlineSoftmax", print(scores) * 31 + print(max) * 17 + print(sum) * 7 + print(acc));

            MemorySegment h = floats(arena, 7, 3L * 390, 95, 105);
            MemorySegment gamma = floats(arena, 8, 390, 0.5f, 1.5f);
            MemorySegment beta = floats(arena, 9, 390, -1, 1);
            MemorySegment out = arena.allocate(4L * 3 * 390, 64);
            kernels.layerNorm(3, 390, h, 0, gamma, 0, beta, 0, 1e-12f, out, 0);
            prints.put("layerNorm", print(out));
            kernels.l2Normalize(3, 390, h, 0, out, 0);
            prints.put("l2Normalize", print(out));
            MemorySegment g = floats(arena, 10, 203, -12, 12);
            kernels.gelu(203, g, 0, out, 0);
            prints.put("gelu", print(out.asSlice(0, 4L * 203)));
            MemorySegment tokens = arena.allocate(4L * 2 * 9, 64);
            for (int t = 0; t < 18; t++) {
                tokens.setAtIndex(I, t, t % 9 < 6 ? 1 : 0);
            }
            MemorySegment pooled = arena.allocate(4L * 2 * 70, 64);
            kernels.meanPool(2, 9, 70, floats(arena, 11, 2L * 9 * 70, -3, 3), 0, tokens, 0, pooled, 0);
            prints.put("meanPool", print(pooled));

            backward(kernels, arena, prints);
        }
        return prints;
    }

    /** The backward (training) kernels, on shapes with vector tails; dropout's indices straddle 2³². */
    private static void backward(VectorKernels kernels, Arena arena, Map<String, Long> prints) {
        int n = 203;
        MemorySegment x = floats(arena, 20, n, -12, 12);
        MemorySegment dy = floats(arena, 21, n, -2, 2);
        MemorySegment dx = arena.allocate(4L * n, 64);
        for (Activation act : Activation.values()) {
            kernels.activationBackward(act, n, x, 0, dy, 0, dx, 0);
            prints.put("activationBackward-" + act.name().toLowerCase(java.util.Locale.ROOT), print(dx));
        }

        int rows = 3;
        int cols = 390;
        MemorySegment h = floats(arena, 22, (long) rows * cols, 95, 105);
        MemorySegment gamma = floats(arena, 23, cols, 0.5f, 1.5f);
        MemorySegment g = floats(arena, 24, (long) rows * cols, -1, 1);
        MemorySegment out = arena.allocate(4L * rows * cols, 64);
        kernels.layerNormBackward(rows, cols, h, 0, gamma, 0, 1e-12f, g, 0, out, 0);
        prints.put("layerNormBackward", print(out));

        int sRows = 16;
        int sCols = 301;
        MemorySegment y = floats(arena, 25, (long) sRows * sCols, -30, 30);
        kernels.softmax(sRows, sCols, y, 0, sCols, 0.05f, null, 0); // flat enough that every term of Σ dy·y counts
        MemorySegment grad = floats(arena, 26, (long) sRows * 304, -1, 1);
        kernels.softmaxBackward(sRows, sCols, y, 0, sCols, 0.05f, grad, 0, 304);
        prints.put("softmaxBackward", print(grad));

        kernels.dropout(n, x, 0, 0.3f, 0x5EED_1234_5678L, (1L << 32) - 100, dx, 0);
        prints.put("dropout", print(dx));

        MemorySegment a = floats(arena, 27, 70L * 80, -2, 2);
        MemorySegment b = floats(arena, 28, 70L * 81, -1, 1);
        MemorySegment sums = floats(arena, 29, 77, -1, 1);
        kernels.columnSums(70, 77, a, 0, 80, b, 0, 81, true, sums, 0);
        long both = print(sums);
        kernels.columnSums(70, 77, a, 0, 80, null, 0, 0, false, sums, 0);
        prints.put("columnSums", both * 31 + print(sums));

        MemorySegment t = arena.allocate(4L * 77 * 13, 64);
        kernels.transpose(13, 77, a, 0, 80, t, 0, 13);
        prints.put("transpose", print(t));
        kernels.multiply(n, x, 0, dy, 0, dx, 0);
        prints.put("multiply", print(dx));
    }

    private static void gemm(VectorKernels kernels, Arena arena, Map<String, Long> prints, String name,
                             int m, int n, int k, boolean bTransposed, Activation act) {
        MemorySegment a = floats(arena, m * 31L + n, (long) m * k, -1, 1);
        MemorySegment b = floats(arena, n * 17L + k, (long) n * k, -1, 1);
        MemorySegment bias = floats(arena, k * 13L, n, -1, 1);
        MemorySegment c = arena.allocate(4L * m * n, 64);
        kernels.gemm(m, n, k, a, 0, k, b, 0, bTransposed ? k : n, bTransposed, bias, 0, act, false, c, 0, n);
        prints.put(name, print(c));
    }

    /** The pre-packed-B GEMM (packB once, then the small-m strip kernels). */
    private static void prepacked(VectorKernels kernels, Arena arena, Map<String, Long> prints, String name,
                                  int m, int n, int k, Activation act) {
        MemorySegment a = floats(arena, m * 29L + n, (long) m * k, -1, 1);
        MemorySegment b = floats(arena, n * 19L + k, (long) n * k, -1, 1);
        MemorySegment bias = floats(arena, k * 11L, n, -1, 1);
        MemorySegment c = arena.allocate(4L * m * n, 64);
        dev.graft.core.kernels.PackedB packed = kernels.packB(k, n, b, 0, n, false, arena);
        kernels.gemm(m, a, 0, k, packed, bias, 0, act, false, c, 0, n);
        prints.put(name, print(c));
    }

    private static MemorySegment floats(Arena arena, long seed, long n, float lo, float hi) {
        SplittableRandom random = new SplittableRandom(seed);
        MemorySegment s = arena.allocate(4 * n, 64);
        for (long i = 0; i < n; i++) {
            s.setAtIndex(F, i, lo + (hi - lo) * (float) random.nextDouble());
        }
        return s;
    }

    /** A 64-bit fingerprint of the bits of every float in s, position-sensitive. */
    static long print(MemorySegment s) {
        long h = 1125899906842597L;
        for (long i = 0; i < s.byteSize() / 4; i++) {
            h = 31 * h + Float.floatToRawIntBits(s.getAtIndex(F, i));
            h ^= h >>> 29;
        }
        return h;
    }
}
