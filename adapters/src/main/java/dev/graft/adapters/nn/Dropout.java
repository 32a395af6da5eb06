package dev.graft.adapters.nn;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Inverted dropout: in training, each value is zeroed with probability {@code p} and the survivors are scaled by
 * {@code 1/(1 − p)}, so inference is the identity. The mask is drawn from the step's seed, which makes a training
 * run reproducible bit for bit.
 */
public final class Dropout implements Layer {
    private final double p;
    private final int size;

    public Dropout(double p, int size) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout: p must be in [0, 1), got " + p);
        }
        if (size <= 0) {
            throw new IllegalArgumentException("dropout: size must be positive, got " + size);
        }
        this.p = p;
        this.size = size;
    }

    public double p() {
        return p;
    }

    @Override
    public int inputSize() {
        return size;
    }

    @Override
    public int outputSize() {
        return size;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }

    @Override
    public void apply(float[] in, int rows, float[] out) {
        Shapes.check("dropout", in, rows, size, out, size);
        System.arraycopy(in, 0, out, 0, rows * size);
    }

    @Override
    public Tape forward(float[] in, int rows, boolean training, long seed) {
        Shapes.check("dropout", in, rows, size, null, size);
        int n = rows * size;
        float[] out = new float[n];
        if (!training || p == 0) {
            System.arraycopy(in, 0, out, 0, n);
            return new DropoutTape(out, rows, null);
        }
        float scale = (float) (1.0 / (1.0 - p));
        float[] mask = new float[n];
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            mask[i] = random.nextDouble() < p ? 0f : scale;
            out[i] = in[i] * mask[i];
        }
        return new DropoutTape(out, rows, mask);
    }

    @Override
    public float[] backward(Tape tape, float[] gradOut) {
        if (!(tape instanceof DropoutTape(float[] out, int rows, float[] mask)) || out.length != rows * size) {
            throw new IllegalArgumentException("dropout: not a tape of this layer");
        }
        Shapes.checkGrad("dropout", gradOut, rows, size);
        int n = rows * size;
        float[] dx = new float[n];
        if (mask == null) {
            System.arraycopy(gradOut, 0, dx, 0, n);
        } else {
            for (int i = 0; i < n; i++) {
                dx[i] = gradOut[i] * mask[i];
            }
        }
        return dx;
    }

    @Override
    public String toString() {
        return "Dropout[" + p + "]";
    }

    /** {@code mask == null} means identity (inference or p = 0). */
    private record DropoutTape(float[] output, int rows, float[] mask) implements Tape {
    }
}
