package dev.graft.core;

import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;

/** What a user's {@code main} does first: opens an arena and fills a tensor. Run in a child JVM by {@link JvmFlagsTest}. */
public final class JvmFlagsProbe {
    private JvmFlagsProbe() {
    }

    public static void main(String[] args) {
        try (TensorArena arena = TensorArena.root("probe")) {
            Tensor t = arena.allocate(DType.F32, 2, 3);
            System.out.println("arena ok, " + arena.allocatedBytes() + " bytes for " + t);
        }
    }
}
