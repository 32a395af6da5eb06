package dev.graft.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;

/** Deterministic contents for tensors of every dtype, and a check that two tensors hold the same values. */
final class Fill {
    private Fill() {
    }

    static Tensor pattern(TensorArena arena, DType dtype, long seed, long... shape) {
        Tensor t = arena.allocate(dtype, shape);
        for (long i = 0; i < t.elementCount(); i++) {
            long v = i * 7 + seed * 13 - 11;
            switch (dtype) {
                case F32 -> t.setFloat(i, v * 0.25f);
                case I32 -> t.setInt(i, (int) (v * 1_000_003L));
                case I8 -> t.setByte(i, (byte) v);
            }
        }
        return t;
    }

    static void assertSameValues(Tensor actual, Tensor expected) {
        assertThat(actual.dtype()).isEqualTo(expected.dtype());
        assertThat(actual.shape()).containsExactly(expected.shape());
        switch (expected.dtype()) {
            case F32 -> assertThat(actual.toFloatArray()).containsExactly(expected.toFloatArray());
            case I32 -> assertThat(actual.toIntArray()).containsExactly(expected.toIntArray());
            case I8 -> assertThat(actual.toByteArray()).containsExactly(expected.toByteArray());
        }
    }

    /** Shapes of rank 1..4 with a row axis first. */
    static long[][] shapesOfRank1To4() {
        return new long[][] {{5}, {3, 4}, {2, 3, 5}, {2, 1, 3, 2}};
    }
}
