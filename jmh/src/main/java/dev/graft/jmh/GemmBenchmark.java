package dev.graft.jmh;

import dev.graft.core.kernels.Activation;
import dev.graft.core.kernels.Kernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * GEMM of the shapes a MiniLM-L6 forward pass runs over 32 sequences × 128 tokens (M = 4096 rows; Q/K/V/output
 * projections 384→384, FFN up 384→1536, FFN down 1536→384) plus the classic 1024³, Graft's Vector API kernel
 * beside ND4J 1.0.0-M2.1 (OpenBLAS), on 1 thread and on 2 (all cores of the reference machine).
 *
 * <p>Time per product (ms); GFLOP/s = 2·M·N·K / time ({@link GemmTable} turns the CSV result into the table of
 * docs/BENCHMARKS.md). The {@link ThreadCpu} counters add the benchmark thread's CPU time per product, which is
 * robust to a busy machine for the single-threaded runs. {@code layout}: {@code kn} is B as [K×N] (ONNX MatMul), {@code nk} is B as [N×K] (PyTorch
 * Linear), multiplied without a copy by both libraries. Inputs are allocated once per trial; the timed method only
 * multiplies into a preallocated C. Graft's scalar reference is in {@link GemmScalarBenchmark} (same run, fewer
 * iterations: it is ~100× slower).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {JvmFlags.ADD_MODULES, JvmFlags.ADD_OPENS, JvmFlags.NATIVE_ACCESS,
        JvmFlags.UNSAFE_MEMORY, "-Xmx4g"})
public class GemmBenchmark {
    @Param({"4096x384x384", "4096x1536x384", "4096x384x1536", "1024x1024x1024"})
    public String shape;

    @Param({"graft-vector", "nd4j"})
    public String impl;

    @Param({"1", "2"})
    public int threads;

    @Param({"kn", "nk"})
    public String layout;

    private GemmShape s;
    private boolean bTransposed;
    // Graft
    private Arena arena;
    private MemorySegment a;
    private MemorySegment b;
    private MemorySegment c;
    private Kernels kernels;
    // ND4J
    private INDArray na;
    private INDArray nb;
    private INDArray nc;

    @Setup(Level.Trial)
    public void setUp() {
        s = GemmShape.parse(shape);
        bTransposed = switch (layout) {
            case "kn" -> false;
            case "nk" -> true;
            default -> throw new IllegalArgumentException("layout must be kn or nk, was " + layout);
        };
        switch (impl) {
            case "graft-vector" -> {
                arena = Arena.ofShared();
                a = random(arena, (long) s.m() * s.k(), 1);
                b = random(arena, (long) s.k() * s.n(), 2);
                c = arena.allocate((long) s.m() * s.n() * Float.BYTES, 64);
                kernels = Kernels.create(threads);
                if (kernels.name().equals("scalar")) {
                    throw new IllegalStateException("Kernels.create fell back to scalar: check the JVM flags");
                }
            }
            case "nd4j" -> {
                Nd4jThreads.set(threads);
                Nd4j.getRandom().setSeed(1);
                na = Nd4j.rand(DataType.FLOAT, s.m(), s.k());
                nb = bTransposed ? Nd4j.rand(DataType.FLOAT, s.n(), s.k()) : Nd4j.rand(DataType.FLOAT, s.k(), s.n());
                nc = Nd4j.create(DataType.FLOAT, s.m(), s.n());
            }
            default -> throw new IllegalArgumentException("impl must be graft-vector or nd4j, was " + impl);
        }
    }

    @Benchmark
    public Object gemm(ThreadCpu cpu) {
        cpu.begin();
        Object result;
        if (kernels != null) {
            kernels.gemm(s.m(), s.n(), s.k(), a, 0, s.k(), b, 0, bTransposed ? s.k() : s.n(), bTransposed,
                    null, 0, Activation.NONE, false, c, 0, s.n());
            result = c;
        } else {
            result = Nd4j.gemm(na, nb, nc, false, bTransposed, 1.0, 0.0);
        }
        cpu.end();
        return result;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (kernels != null) {
            kernels.close();
            arena.close();
        }
    }

    static MemorySegment random(Arena arena, long floats, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        MemorySegment seg = arena.allocate(floats * Float.BYTES, 64);
        for (long i = 0; i < floats; i++) {
            seg.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rnd.nextDouble());
        }
        return seg;
    }
}
