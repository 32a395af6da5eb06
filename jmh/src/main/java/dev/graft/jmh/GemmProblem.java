package dev.graft.jmh;

import dev.graft.core.kernels.Activation;
import dev.graft.core.kernels.Kernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One GEMM problem ready to run on Graft's vector kernels or on ND4J: random operands allocated once, C
 * preallocated, {@link #run()} multiplies without allocating. Shared by {@link GemmBenchmark} and
 * {@link SmallMatmulBenchmark}.
 */
final class GemmProblem implements AutoCloseable {
    private final GemmShape s;
    private final boolean bTransposed;
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

    /**
     * @param impl        {@code graft-vector} or {@code nd4j}
     * @param bTransposed B as [N×K] (PyTorch Linear) rather than [K×N] (ONNX MatMul)
     */
    GemmProblem(String impl, GemmShape s, boolean bTransposed, int threads) {
        this.s = s;
        this.bTransposed = bTransposed;
        switch (impl) {
            case "graft-vector" -> {
                arena = Arena.ofShared();
                a = GemmBenchmark.random(arena, (long) s.m() * s.k(), 1);
                b = GemmBenchmark.random(arena, (long) s.k() * s.n(), 2);
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

    /** C = A·B (or A·Bᵀ); returns C so the benchmark can hand it to JMH. */
    Object run() {
        if (kernels != null) {
            kernels.gemm(s.m(), s.n(), s.k(), a, 0, s.k(), b, 0, bTransposed ? s.k() : s.n(), bTransposed,
                    null, 0, Activation.NONE, false, c, 0, s.n());
            return c;
        }
        return Nd4j.gemm(na, nb, nc, false, bTransposed, 1.0, 0.0);
    }

    @Override
    public void close() {
        if (kernels != null) {
            kernels.close();
            arena.close();
        }
    }
}
