package dev.graft.jmh;

import dev.graft.attention.AttentionKernel;
import dev.graft.attention.spec.AttentionKernels;
import dev.graft.attention.spec.AttentionSpec;
import dev.graft.core.kernels.Kernels;
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
 * How attention scales with the sequence length: one call of multi-head attention (batch 1, 12 heads × 32 dims,
 * one thread, no padding) for T = 512 … 16384, with the tiled dense kernel, a sliding window of 256 with 16 global
 * tokens, and BigBird-style block-sparse attention (blocks of 64: 3 window, 2 global, 3 random).
 *
 * <p>One call of dense attention at T = 16384 takes tens of seconds, so iterations are time-bounded (1 s): a slow
 * call makes an iteration of one call. Run (8.5 minutes on two busy cores):
 * <pre>
 * mvn -q -Pbench -pl jmh -am package -DskipTests
 * java -jar jmh/target/benchmarks.jar AttentionBenchmark -rf csv -rff jmh/target/attention.csv
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {JvmFlags.ADD_MODULES, JvmFlags.ADD_OPENS, JvmFlags.NATIVE_ACCESS,
        JvmFlags.UNSAFE_MEMORY, "-Xmx2g"})
public class AttentionBenchmark {
    static final int HEADS = 12;
    static final int HEAD_SIZE = 32;
    static final int WIDTH = HEADS * HEAD_SIZE;

    /** The three patterns, in the {@link AttentionSpec} syntax. */
    public static final String DENSE = "dense";
    public static final String WINDOW = "window(256,global=0..15)";
    public static final String BLOCK_SPARSE = "blocksparse(64,window=3,global=2,random=3)";

    @Param({DENSE, WINDOW, BLOCK_SPARSE})
    public String pattern;

    @Param({"512", "1024", "2048", "4096", "8192", "16384"})
    public int tokens;

    Kernels kernels;
    AttentionKernel kernel;
    Arena arena;
    MemorySegment qkv;
    MemorySegment out;
    float scale;

    @Setup(Level.Trial)
    public void setUp() {
        kernels = Kernels.create(1);
        kernel = kernel(pattern, kernels);
        arena = Arena.ofShared();
        qkv = randomFloats(arena, (long) tokens * 3 * WIDTH, 1);
        out = arena.allocate((long) tokens * WIDTH * Float.BYTES, 64);
        scale = (float) (1 / Math.sqrt(HEAD_SIZE));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        kernels.close();
        arena.close();
    }

    @Benchmark
    public MemorySegment attend() {
        run(kernel, tokens, HEADS, qkv, out, scale);
        return out;
    }

    /** The kernel of a pattern written in the spec syntax. */
    static AttentionKernel kernel(String pattern, Kernels kernels) {
        return AttentionKernels.create(AttentionSpec.parse("all:" + pattern).patternFor(0), kernels);
    }

    /** One call: Q, K, V as column blocks of a fused [T, 3·heads·d] buffer, output [T, heads·d], no mask. */
    static void run(AttentionKernel kernel, int tokens, int heads, MemorySegment qkv, MemorySegment out, float scale) {
        int width = heads * HEAD_SIZE;
        kernel.attend(1, tokens, heads, HEAD_SIZE, scale, qkv, 0, qkv, width, qkv, 2L * width, 3 * width, null, 0, out, 0, width);
    }

    static MemorySegment randomFloats(Arena arena, long n, long seed) {
        MemorySegment s = arena.allocate(n * Float.BYTES, 64);
        SplittableRandom random = new SplittableRandom(seed);
        for (long i = 0; i < n; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (random.nextDouble() * 2 - 1));
        }
        return s;
    }
}
