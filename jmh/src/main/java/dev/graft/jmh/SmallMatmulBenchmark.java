package dev.graft.jmh;

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
 * Single-threaded GEMMs of the small shapes inference meets besides the big batched projections: batch-1 rows
 * (m = 1, 16) through MiniLM's 384→1536 and 384→384 layers, one 128-token sequence through 384→1536, and one
 * attention head of a 128-token sequence (Q·Kᵀ = 128×128×32 with K as [N×K], P·V = 128×32×128 with V as
 * [K×N]). Graft against ND4J (OpenBLAS, one thread), contiguous operands for both. Time per product in ms;
 * {@link GemmTable} reads the CSV ({@code -p layout} is fixed per shape, so the table shows it).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {JvmFlags.ADD_MODULES, JvmFlags.ADD_OPENS, JvmFlags.NATIVE_ACCESS,
        JvmFlags.UNSAFE_MEMORY, "-Xmx2g"})
public class SmallMatmulBenchmark {
    /** MxNxK:layout, layout kn = B [K×N], nk = B [N×K]. */
    @Param({"1x1536x384:kn", "1x1536x384:nk", "16x384x384:kn", "16x384x384:nk", "128x1536x384:kn",
            "128x1536x384:nk", "128x128x32:nk", "128x32x128:kn"})
    public String problem;

    @Param({"graft-vector", "nd4j"})
    public String impl;

    private GemmProblem gemm;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = problem.split(":");
        gemm = new GemmProblem(impl, GemmShape.parse(p[0]), p[1].equals("nk"), 1);
    }

    @Benchmark
    public Object gemm(ThreadCpu cpu) {
        cpu.begin();
        Object result = gemm.run();
        cpu.end();
        return result;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        gemm.close();
    }
}
