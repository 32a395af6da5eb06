package dev.graft.jmh;

import dev.graft.core.kernels.Activation;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.kernels.PackedB;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.SplittableRandom;

/**
 * GFLOP/s of {@link Kernels#gemm} alone on the exact shapes, strides and flags the MiniLM encoder issues (hidden
 * 384, intermediate 1536, 12 heads of 32), so that a slow shape found by {@link BackboneProfile} can be handed to
 * whoever tunes the GEMM. Weights are row-major [in, out] as in the ONNX file (B not transposed); the attention
 * products read Q/K/V columns of one head in place (leading dimension 384). Weight shapes are also timed with B
 * pre-packed once ({@link Kernels#packB}, as the encoder does by default): columns "packed hot/cold".
 *
 * <pre>
 * java -cp jmh/target/benchmarks.jar [JVM flags] dev.graft.jmh.BertGemmShapes [threads] [seconds per shape] [name prefix]
 * </pre>
 */
public final class BertGemmShapes {
    /** Bytes of distinct B matrices a "cold" run cycles through (more than the last-level cache). */
    static final long COLD_BYTES = 64L << 20;

    /** One GEMM call as the encoder makes it; {@code weight}: B is a weight matrix (else Q/K/V/P, in cache). */
    record Shape(String name, int m, int n, int k, int lda, int ldb, boolean bt, Activation act, boolean acc, int ldc,
                 boolean weight) {
        long flops() {
            return 2L * m * n * k;
        }
    }

    /** A projection of {@code rows} token rows through an [in, out] weight, as BertEncoder.linear issues it. */
    private static Shape linear(String name, int rows, int in, int out, Activation act, boolean acc) {
        return new Shape(name, rows, out, in, in, out, false, act, acc, out, true);
    }

    /** Q·Kᵀ of one (sequence, head): [tokens, d] · [tokens, d]ᵀ, Q and K read in place from [n, 384]. */
    private static Shape scores(String name, int tokens) {
        return new Shape(name, tokens, tokens, 32, 384, 384, true, Activation.NONE, false, tokens, false);
    }

    /** P·V of one (sequence, head): [tokens, tokens] · [tokens, d], written in place into [n, 384]. */
    private static Shape pv(String name, int tokens) {
        return new Shape(name, tokens, 32, tokens, tokens, 384, false, Activation.NONE, false, 384, false);
    }

    static final List<Shape> SHAPES = List.of(
            linear("1x16 Q/K/V, attn-out", 16, 384, 384, Activation.NONE, false),
            linear("1x16 Q/K/V fused [H, 3H]", 16, 384, 1152, Activation.NONE, false),
            linear("1x16 intermediate+GELU", 16, 384, 1536, Activation.GELU, false),
            linear("1x16 FFN output (+C)", 16, 1536, 384, Activation.NONE, true),
            scores("1x16 attn Q·Kᵀ per head", 16),
            pv("1x16 attn P·V per head", 16),
            linear("32x128 Q/K/V, attn-out", 4096, 384, 384, Activation.NONE, false),
            linear("32x128 intermediate+GELU", 4096, 384, 1536, Activation.GELU, false),
            linear("32x128 FFN output (+C)", 4096, 1536, 384, Activation.NONE, true),
            scores("32x128 attn Q·Kᵀ per head", 128),
            pv("32x128 attn P·V per head", 128),
            linear("ref m=8 intermediate (direct)", 8, 384, 1536, Activation.GELU, false));

    private BertGemmShapes() {
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 3;
        String only = args.length > 2 ? args[2] : "";
        try (Kernels kernels = Kernels.create(threads); TensorArena arena = TensorArena.root("gemm-shapes")) {
            System.out.printf("%s × %d threads, %.1f s per shape (after as long a warm-up)%n", kernels.name(),
                    kernels.threads(), seconds);
            System.out.printf("%-30s %5s %5s %5s %3s %10s %9s %10s %9s %10s %9s %10s %9s%n", "shape", "m", "n", "k",
                    "Bᵀ", "hot µs", "GFLOP/s", "cold µs", "GFLOP/s", "pk hot µs", "GFLOP/s", "pk cold µs", "GFLOP/s");
            for (Shape s : SHAPES) {
                if (!s.name().startsWith(only)) {
                    continue;
                }
                try (TensorArena shapeArena = arena.child(s.name())) {
                    System.out.println(measure(kernels, s, shapeArena, seconds));
                }
            }
        }
    }

    /** One table row: hot (one B) and, for weights, cold (B cycled through {@link #COLD_BYTES}) timings. */
    private static String measure(Kernels kernels, Shape s, TensorArena arena, double seconds) {
        MemorySegment a = random(arena, (long) s.m() * s.lda());
        long bFloats = s.bt() ? (long) s.n() * s.ldb() : (long) s.k() * s.ldb();
        int copies = s.weight() ? (int) Math.max(2, COLD_BYTES / (bFloats * Float.BYTES)) : 1;
        MemorySegment[] b = new MemorySegment[copies];
        for (int i = 0; i < copies; i++) {
            b[i] = random(arena, bFloats);
        }
        MemorySegment bias = random(arena, s.n());
        MemorySegment c = random(arena, (long) s.m() * s.ldc());
        MemorySegment[] hot = {b[0]};
        run(kernels, s, a, hot, bias, c, seconds); // warm-up
        double us = run(kernels, s, a, hot, bias, c, seconds);
        String row = String.format("%-30s %5d %5d %5d %3s %10.2f %9.1f", s.name(), s.m(), s.n(), s.k(),
                s.bt() ? "y" : "n", us, s.flops() / us / 1e3);
        if (copies > 1) {
            double coldUs = run(kernels, s, a, b, bias, c, seconds);
            row += String.format(" %10.2f %9.1f", coldUs, s.flops() / coldUs / 1e3);
            PackedB[] packed = new PackedB[copies];
            for (int i = 0; i < copies; i++) {
                packed[i] = kernels.packB(s.k(), s.n(), b[i], 0, s.ldb(), s.bt(),
                        (bytes, align) -> arena.allocateUninitialized(DType.I8, bytes).segment());
            }
            PackedB[] hotPacked = {packed[0]};
            runPacked(kernels, s, a, hotPacked, bias, c, seconds); // warm-up
            double pkHot = runPacked(kernels, s, a, hotPacked, bias, c, seconds);
            double pkCold = runPacked(kernels, s, a, packed, bias, c, seconds);
            row += String.format(" %10.2f %9.1f %10.2f %9.1f", pkHot, s.flops() / pkHot / 1e3, pkCold,
                    s.flops() / pkCold / 1e3);
        }
        return row;
    }

    /** Mean µs per call over about {@code seconds}. */
    private static double run(Kernels kernels, Shape s, MemorySegment a, MemorySegment[] b, MemorySegment bias,
                              MemorySegment c, double seconds) {
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        long calls = 0;
        long t0 = System.nanoTime();
        do {
            for (int i = 0; i < 10; i++) {
                kernels.gemm(s.m, s.n, s.k, a, 0, s.lda, b[(int) (calls + i) % b.length], 0, s.ldb, s.bt,
                        s.weight ? bias : null, 0, s.act, s.acc, c, 0, s.ldc);
            }
            calls += 10;
            if (s.acc) {
                c.fill((byte) 0); // keep accumulated values finite
            }
        } while (System.nanoTime() < deadline);
        return (System.nanoTime() - t0) / 1e3 / calls;
    }

    /** {@link #run} with pre-packed B. */
    private static double runPacked(Kernels kernels, Shape s, MemorySegment a, PackedB[] b, MemorySegment bias,
                                    MemorySegment c, double seconds) {
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        long calls = 0;
        long t0 = System.nanoTime();
        do {
            for (int i = 0; i < 10; i++) {
                kernels.gemm(s.m, a, 0, s.lda, b[(int) (calls + i) % b.length], bias, 0, s.act, s.acc, c, 0, s.ldc);
            }
            calls += 10;
            if (s.acc) {
                c.fill((byte) 0);
            }
        } while (System.nanoTime() < deadline);
        return (System.nanoTime() - t0) / 1e3 / calls;
    }

    private static MemorySegment random(TensorArena arena, long n) {
        Tensor t = arena.allocateUninitialized(DType.F32, n);
        SplittableRandom r = new SplittableRandom(n);
        for (long i = 0; i < n; i++) {
            t.setFloat(i, (float) (r.nextDouble() - 0.5));
        }
        return t.segment();
    }
}
