package dev.graft.adapters.nn;

import java.util.Arrays;

/**
 * A named trainable array of floats in row-major order, with its gradient buffer. Heads keep their parameters
 * on the Java heap (they are small: a 384 × 77 classifier is 30 k floats) and in the PyTorch layout, so that
 * {@code name → values} is exactly what {@code head.safetensors} holds (a Linear's weight is {@code [out, in]}).
 *
 * <p>{@link #values()} and {@link #grads()} return the live arrays: layers read and write them in place. Once a
 * head is built into a composed model nobody writes its values any more, which is what makes inference
 * thread-safe.
 */
public final class Parameter {
    private final String name;
    private final int[] shape;
    private final float[] values;
    private final float[] grads;
    private final boolean decayed;

    /**
     * @param decayed whether AdamW's weight decay applies (matrices yes; biases, mixing weights and scales no —
     *                the usual convention of Hugging Face's trainer)
     */
    public Parameter(String name, int[] shape, boolean decayed) {
        this.name = name;
        this.shape = shape.clone();
        long size = 1;
        for (int d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException("parameter " + name + ": dimensions must be positive, got " + Arrays.toString(shape));
            }
            size = Math.min(Math.multiplyExact(size, d), Integer.MAX_VALUE); // saturates: too large either way
        }
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("parameter " + name + " " + Arrays.toString(shape) + " is too large for a head");
        }
        ParameterBudget.claim(name, shape, size); // while a saved model is rebuilt: no more than its file holds
        this.values = new float[(int) size];
        this.grads = new float[(int) size];
        this.decayed = decayed;
    }

    public String name() {
        return name;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int size() {
        return values.length;
    }

    /** The live values (not a copy). */
    public float[] values() {
        return values;
    }

    /** The live gradient accumulator (not a copy). */
    public float[] grads() {
        return grads;
    }

    public boolean decayed() {
        return decayed;
    }

    public void zeroGrad() {
        Arrays.fill(grads, 0f);
    }

    /** Replaces the values by {@code source}, which must have exactly this parameter's size. */
    public void load(float[] source) {
        if (source.length != values.length) {
            throw new IllegalArgumentException("parameter " + name + " " + Arrays.toString(shape) + " holds " + values.length
                    + " values, got " + source.length);
        }
        System.arraycopy(source, 0, values, 0, values.length);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
