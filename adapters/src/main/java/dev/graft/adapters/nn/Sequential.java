package dev.graft.adapters.nn;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Layers applied one after the other. Checks at construction that each layer's output size is the next one's
 * input size and that parameter names are unique. Each layer's training randomness is seeded from the step seed
 * and the layer's position, so two dropout layers never share a mask.
 */
public final class Sequential implements Layer {
    private final List<Layer> layers;
    private final List<Parameter> parameters;

    public Sequential(List<? extends Layer> layers) {
        if (layers == null || layers.isEmpty()) {
            throw new IllegalArgumentException("sequential: needs at least one layer");
        }
        this.layers = List.copyOf(layers);
        List<Parameter> all = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < this.layers.size(); i++) {
            Layer layer = this.layers.get(i);
            if (i > 0 && this.layers.get(i - 1).outputSize() != layer.inputSize()) {
                throw new IllegalArgumentException("sequential: layer " + (i - 1) + " (" + this.layers.get(i - 1) + ") outputs "
                        + this.layers.get(i - 1).outputSize() + " floats per row but layer " + i + " (" + layer + ") takes "
                        + layer.inputSize());
            }
            for (Parameter p : layer.parameters()) {
                if (!names.add(p.name())) {
                    throw new IllegalArgumentException("sequential: parameter name " + p.name() + " is used twice");
                }
                all.add(p);
            }
        }
        this.parameters = List.copyOf(all);
    }

    public static Sequential of(Layer... layers) {
        return new Sequential(List.of(layers));
    }

    public List<Layer> layers() {
        return layers;
    }

    @Override
    public int inputSize() {
        return layers.getFirst().inputSize();
    }

    @Override
    public int outputSize() {
        return layers.getLast().outputSize();
    }

    @Override
    public List<Parameter> parameters() {
        return parameters;
    }

    @Override
    public void apply(float[] in, int rows, float[] out) {
        Shapes.check("sequential", in, rows, inputSize(), out, outputSize());
        float[] current = in;
        for (int i = 0; i < layers.size() - 1; i++) {
            Layer layer = layers.get(i);
            float[] next = new float[rows * layer.outputSize()];
            layer.apply(current, rows, next);
            current = next;
        }
        layers.getLast().apply(current, rows, out);
    }

    @Override
    public Tape forward(float[] in, int rows, boolean training, long seed) {
        List<Tape> tapes = new ArrayList<>(layers.size());
        float[] current = in;
        for (int i = 0; i < layers.size(); i++) {
            Tape tape = layers.get(i).forward(current, rows, training, Shapes.mix(seed, i));
            tapes.add(tape);
            current = tape.output();
        }
        return new SequentialTape(current, rows, List.copyOf(tapes));
    }

    @Override
    public float[] backward(Tape tape, float[] gradOut) {
        return backward(tape, gradOut, true);
    }

    @Override
    public float[] backward(Tape tape, float[] gradOut, boolean inputGradient) {
        if (!(tape instanceof SequentialTape(float[] out, int rows, List<Tape> tapes)) || tapes.size() != layers.size()) {
            throw new IllegalArgumentException("sequential: not a tape of this network");
        }
        float[] grad = gradOut;
        for (int i = layers.size() - 1; i >= 0; i--) {
            grad = layers.get(i).backward(tapes.get(i), grad, i > 0 || inputGradient);
        }
        return grad;
    }

    @Override
    public String toString() {
        return "Sequential" + layers;
    }

    private record SequentialTape(float[] output, int rows, List<Tape> tapes) implements Tape {
    }
}
