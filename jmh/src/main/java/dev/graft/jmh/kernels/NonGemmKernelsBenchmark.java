package dev.graft.jmh.kernels;

import dev.graft.core.kernels.Kernels;
import dev.graft.core.kernels.ScalarKernels;
import dev.graft.core.kernels.vector.VectorKernels;
import dev.graft.core.parallel.ComputePool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The non-GEMM kernels, scalar vs Vector API, at one BERT-small forward pass's sizes (MiniLM-L6: hidden 384,
 * intermediate 1536, 12 heads, 128 tokens; a batch of 8 for pooling).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class NonGemmKernelsBenchmark {
    static final int TOKENS = 128;
    static final int HIDDEN = 384;
    static final int INTER = 1536;
    static final int HEADS = 12;
    static final int BATCH = 8;

    @Param({"scalar", "vector"})
    public String impl;

    Kernels kernels;
    Arena arena;
    MemorySegment x;
    MemorySegment y;
    MemorySegment out;
    MemorySegment gamma;
    MemorySegment beta;
    MemorySegment scores;
    MemorySegment keyMask;
    MemorySegment tokenMask;

    @Setup(Level.Trial)
    public void setUp() {
        kernels = impl.equals("scalar") ? new ScalarKernels(new ComputePool(1)) : new VectorKernels(new ComputePool(1));
        arena = Arena.ofShared();
        Random random = new Random(1);
        long big = (long) BATCH * TOKENS * HIDDEN;
        x = floats(random, Math.max(big, (long) TOKENS * INTER), -2, 2);
        y = floats(random, Math.max(big, (long) TOKENS * INTER), -2, 2);
        out = floats(random, Math.max(big, (long) TOKENS * INTER), 0, 1);
        gamma = floats(random, HIDDEN, 0.5f, 1.5f);
        beta = floats(random, HIDDEN, -1, 1);
        scores = floats(random, (long) HEADS * TOKENS * TOKENS, -8, 8);
        keyMask = arena.allocate(4L * TOKENS, 64);
        for (int j = 0; j < TOKENS; j++) {
            keyMask.setAtIndex(ValueLayout.JAVA_INT, j, j < 100 ? 1 : 0); // 28 padding tokens
        }
        tokenMask = arena.allocate(4L * BATCH * TOKENS, 64);
        for (int i = 0; i < BATCH * TOKENS; i++) {
            tokenMask.setAtIndex(ValueLayout.JAVA_INT, i, i % TOKENS < 90 ? 1 : 0);
        }
    }

    private MemorySegment floats(Random random, long n, float lo, float hi) {
        MemorySegment s = arena.allocate(4 * n, 64);
        for (long i = 0; i < n; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, lo + (hi - lo) * random.nextFloat());
        }
        return s;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        kernels.close();
        arena.close();
    }

    /** 128 × 384. */
    @Benchmark
    public MemorySegment layerNorm() {
        kernels.layerNorm(TOKENS, HIDDEN, x, 0, gamma, 0, beta, 0, 1e-12f, out, 0);
        return out;
    }

    /** 128 × 1536. */
    @Benchmark
    public MemorySegment gelu() {
        kernels.gelu((long) TOKENS * INTER, x, 0, out, 0);
        return out;
    }

    /** 128 × 384. */
    @Benchmark
    public MemorySegment add() {
        kernels.add((long) TOKENS * HIDDEN, x, 0, y, 0, out, 0);
        return out;
    }

    /** 12 heads × 128 × 128, key mask with 28 padding columns (in place; the rows stay valid scores). */
    @Benchmark
    public MemorySegment softmaxMasked() {
        kernels.softmax(HEADS * TOKENS, TOKENS, scores, 0, TOKENS, 0.125f, keyMask, 0);
        return scores;
    }

    /** 12 heads × 128 × 128, no mask. */
    @Benchmark
    public MemorySegment softmax() {
        kernels.softmax(HEADS * TOKENS, TOKENS, scores, 0, TOKENS, 0.125f, null, 0);
        return scores;
    }

    /** 8 × 128 × 384 with 90 real tokens per sequence. */
    @Benchmark
    public MemorySegment meanPool() {
        kernels.meanPool(BATCH, TOKENS, HIDDEN, x, 0, tokenMask, 0, out, 0);
        return out;
    }

    /** 128 × 384. */
    @Benchmark
    public MemorySegment l2Normalize() {
        kernels.l2Normalize(TOKENS, HIDDEN, x, 0, out, 0);
        return out;
    }
}
