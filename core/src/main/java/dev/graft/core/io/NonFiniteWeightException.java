package dev.graft.core.io;

import dev.graft.core.tensor.Finite;
import dev.graft.core.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A weights file whose tensor holds a NaN or an infinity: the file is corrupt (or was saved from a diverged
 * training run), and every output computed from it would be NaN. The message names the file, the tensor, the
 * first bad element and its value. Thrown by every loader of weights (safetensors, ONNX initializers, heads,
 * adapters) before anything runs on them.
 */
public final class NonFiniteWeightException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String tensor;
    private final long index;
    private final float value;

    public NonFiniteWeightException(Path file, String tensor, long[] shape, long index, float value) {
        super(file + ": tensor '" + tensor + "' " + Arrays.toString(shape) + " holds " + value + " at index " + index
                + " (element " + Finite.coordinates(index, shape) + "); the weights are corrupt or come from a diverged"
                + " training run, and every result computed from them would be NaN");
        this.file = file;
        this.tensor = tensor;
        this.index = index;
        this.value = value;
    }

    /**
     * Throws unless every element of the f32 tensor {@code t} is finite.
     *
     * @param file the file {@code t} was read from, for the message
     * @param name the tensor's name in that file
     * @return {@code t}
     */
    public static Tensor requireFinite(Path file, String name, Tensor t) throws NonFiniteWeightException {
        long bad = Finite.firstNonFinite(t);
        if (bad >= 0) {
            throw new NonFiniteWeightException(file, name, t.shape(), bad, t.getFloat(bad));
        }
        return t;
    }

    /** The file that holds the bad tensor. */
    public Path file() {
        return file;
    }

    /** The tensor's name in the file. */
    public String tensor() {
        return tensor;
    }

    /** Row-major index of the first non-finite element. */
    public long index() {
        return index;
    }

    /** Its value: NaN, +Inf or -Inf. */
    public float value() {
        return value;
    }
}
