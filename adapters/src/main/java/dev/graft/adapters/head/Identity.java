package dev.graft.adapters.head;

import dev.graft.adapters.nn.Layer;
import java.util.List;

/** The network of a head that passes its features through unchanged (an embedding head without projection). */
public record Identity(int size) implements Layer {
    @Override
    public int inputSize() {
        return size;
    }

    @Override
    public int outputSize() {
        return size;
    }

    @Override
    public List<dev.graft.adapters.nn.Parameter> parameters() {
        return List.of();
    }

    @Override
    public void apply(float[] in, int rows, float[] out) {
        System.arraycopy(in, 0, out, 0, rows * size);
    }

    @Override
    public Tape forward(float[] in, int rows, boolean training, long seed) {
        float[] out = new float[rows * size];
        apply(in, rows, out);
        return new Tape() {
            @Override
            public float[] output() {
                return out;
            }

            @Override
            public int rows() {
                return rows;
            }
        };
    }

    @Override
    public float[] backward(Tape tape, float[] gradOut) {
        return gradOut.clone();
    }
}
