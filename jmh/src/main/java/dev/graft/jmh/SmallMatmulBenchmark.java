package dev.graft.jmh;

import dev.graft.core.kernels.Activation;
import dev.graft.core.kernels.Kernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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

    private GemmShape s;
    private boolean bTransposed;
    private Arena arena;
    private MemorySegment a;
    private MemorySegment b;
    private MemorySegment c;
    private Kernels kernels;
    private INDArray na;
    private INDArray nb;
    private INDArray nc;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = problem.split(":");
        s = GemmShape.parse(p[0]);
        bTransposed = p[1].equals("nk");
        if (impl.equals("graft-vector")) {
            arena = Arena.ofShared();
            a = GemmBenchmark.random(arena, (long) s.m() * s.k(), 1);
            b = GemmBenchmark.random(arena, (long) s.k() * s.n(), 2);
            c = arena.allocate((long) s.m() * s.n() * Float.BYTES, 64);
            kernels = Kernels.create(1);
            if (kernels.name().equals("scalar")) {
                throw new IllegalStateException("Kernels.create fell back to scalar: check the JVM flags");
            }
        } else {
            Nd4jThreads.set(1);
            na = Nd4j.rand(DataType.FLOAT, s.m(), s.k());
            nb = bTransposed ? Nd4j.rand(DataType.FLOAT, s.n(), s.k()) : Nd4j.rand(DataType.FLOAT, s.k(), s.n());
            nc = Nd4j.create(DataType.FLOAT, s.m(), s.n());
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
}
