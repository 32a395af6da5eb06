package dev.graft.jmh;

import dev.graft.core.kernels.Activation;
import dev.graft.core.kernels.ScalarGemm;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
 * Graft's scalar reference GEMM ({@link ScalarGemm}: plain loops, double accumulation, one thread) on the smallest
 * MiniLM shape of {@link GemmBenchmark} — the baseline the Vector API kernel is measured against. Single-shot
 * timing with few iterations, because one product takes seconds.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {JvmFlags.ADD_MODULES, JvmFlags.ADD_OPENS, JvmFlags.NATIVE_ACCESS,
        JvmFlags.UNSAFE_MEMORY, "-Xmx4g"})
public class GemmScalarBenchmark {
    @Param({"4096x384x384"})
    public String shape;

    @Param({"kn"})
    public String layout;

    private GemmShape s;
    private boolean bTransposed;
    private Arena arena;
    private MemorySegment a;
    private MemorySegment b;
    private MemorySegment c;

    @Setup(Level.Trial)
    public void setUp() {
        s = GemmShape.parse(shape);
        bTransposed = layout.equals("nk");
        arena = Arena.ofShared();
        a = GemmBenchmark.random(arena, (long) s.m() * s.k(), 1);
        b = GemmBenchmark.random(arena, (long) s.k() * s.n(), 2);
        c = arena.allocate((long) s.m() * s.n() * Float.BYTES, 64);
    }

    @Benchmark
    public Object gemm(ThreadCpu cpu) {
        cpu.begin();
        ScalarGemm.gemm(s.m(), s.n(), s.k(), a, 0, s.k(), b, 0, bTransposed ? s.k() : s.n(), bTransposed,
                null, 0, Activation.NONE, false, c, 0, s.n());
        cpu.end();
        return c;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }
}
