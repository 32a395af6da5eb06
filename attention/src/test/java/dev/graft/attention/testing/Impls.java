package dev.graft.attention.testing;

import dev.graft.core.kernels.Kernels;
import dev.graft.core.kernels.ScalarKernels;
import dev.graft.core.kernels.vector.VectorKernels;
import dev.graft.core.parallel.ComputePool;
import java.util.List;

/** The kernel implementations attention is tested on: Vector API and scalar, one thread; Vector API, two threads. */
public final class Impls {
    public static final Kernels VECTOR = new VectorKernels(new ComputePool(1));
    public static final Kernels SCALAR = new ScalarKernels(new ComputePool(1));
    public static final Kernels VECTOR_2 = new VectorKernels(new ComputePool(2));

    private Impls() {
    }

    /**
     * Names for parameterized tests (JUnit closes AutoCloseable arguments after each invocation, so tests take a
     * name and look the kernels up with {@link #get}).
     */
    public static List<String> names() {
        return List.of("vector", "scalar", "vector×2");
    }

    public static Kernels get(String name) {
        return switch (name) {
            case "vector" -> VECTOR;
            case "scalar" -> SCALAR;
            case "vector×2" -> VECTOR_2;
            default -> throw new IllegalArgumentException(name);
        };
    }
}
