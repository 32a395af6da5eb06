package dev.graft.jmh;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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

    private GemmProblem problem;

    @Setup(Level.Trial)
    public void setUp() {
        boolean bTransposed = switch (layout) {
            case "kn" -> false;
            case "nk" -> true;
            default -> throw new IllegalArgumentException("layout must be kn or nk, was " + layout);
        };
        problem = new GemmProblem(impl, GemmShape.parse(shape), bTransposed, threads);
    }

    @Benchmark
    public Object gemm(ThreadCpu cpu) {
        cpu.begin();
        Object result = problem.run();
        cpu.end();
        return result;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        problem.close();
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
