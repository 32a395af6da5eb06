package dev.graft.adapters.nn;

import java.util.List;

/**
 * One differentiable step of a head: rows of {@link #inputSize()} floats in, rows of {@link #outputSize()} out.
 *
 * <p>Two paths. {@link #apply} is inference: a pure function of the input and the current parameter values, safe
 * to call from many threads at once. {@link #forward}/{@link #backward} are training: {@code forward} returns a
 * {@link Tape} holding what the backward pass needs, {@code backward} adds the parameter gradients into
 * {@link Parameter#grads()} and returns the gradient with respect to the input. {@code apply} and a
 * non-training {@code forward} compute bit-identical outputs.
 */
public interface Layer {

    int inputSize();

    int outputSize();

    /** This layer's parameters (empty for parameter-free layers), names unique within a network. */
    List<Parameter> parameters();

    /** Inference: {@code out[rows × outputSize] = f(in[rows × inputSize])}. Thread-safe; keeps no state. */
    void apply(float[] in, int rows, float[] out);

    /**
     * Training forward pass over {@code rows} rows.
     *
     * @param training whether dropout (and anything else that differs in training) is active
     * @param seed     seed for this step's randomness (dropout masks), so a run is reproducible bit for bit
     */
    Tape forward(float[] in, int rows, boolean training, long seed);

    /**
     * Backward pass for a tape this layer produced: accumulates parameter gradients and returns
     * {@code dLoss/dInput} ({@code rows × inputSize}).
     */
    float[] backward(Tape tape, float[] gradOut);

    /**
     * Backward pass that may skip the input gradient: with {@code inputGradient == false} a layer only accumulates
     * its parameter gradients and may return {@code null}. The trainer uses this for a network's first layer, whose
     * input (frozen backbone features) needs no gradient; for a layer mix over 7 × 384 features that saves a third
     * of the layer's work. The default computes the input gradient anyway.
     */
    default float[] backward(Tape tape, float[] gradOut, boolean inputGradient) {
        return backward(tape, gradOut);
    }

    /** What a training forward pass produced: the output and whatever the layer keeps for backward. */
    interface Tape {
        float[] output();

        int rows();
    }
}
