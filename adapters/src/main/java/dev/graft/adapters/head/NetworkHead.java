package dev.graft.adapters.head;

import dev.graft.adapters.nn.Layer;
import dev.graft.core.tensor.Finite;
import dev.graft.core.tensor.NonFiniteOutputException;
import java.util.Objects;

/**
 * The common shape of Graft's heads: read one {@link FeatureKind}, run the network over its rows, turn the raw
 * outputs into a typed {@link HeadOutput}. Subclasses say only the last step.
 */
public abstract class NetworkHead implements Head {
    private final String type;
    private final HeadConfig config;
    private final BackboneInfo backbone;
    private final FeatureKind input;
    private final Layer network;

    protected NetworkHead(String type, HeadConfig config, BackboneInfo backbone, FeatureKind input, Layer network) {
        this.type = Objects.requireNonNull(type, "type");
        this.config = Objects.requireNonNull(config, "config");
        this.backbone = Objects.requireNonNull(backbone, "backbone");
        this.input = Objects.requireNonNull(input, "input");
        this.network = Objects.requireNonNull(network, "network");
        int expected = input.rowSize(backbone);
        if (network.inputSize() != expected) {
            throw new IllegalArgumentException(type + " head: network reads " + network.inputSize()
                    + " floats per row but " + input + " gives " + expected + " on " + backbone.describe());
        }
    }

    @Override
    public final String type() {
        return type;
    }

    @Override
    public HeadConfig config() {
        return config;
    }

    @Override
    public final BackboneInfo backbone() {
        return backbone;
    }

    @Override
    public final FeatureKind input() {
        return input;
    }

    @Override
    public final Layer network() {
        return network;
    }

    @Override
    public final HeadOutput apply(Features features) {
        FeatureRows rows = features.rows(input);
        float[] out = new float[rows.rows() * network.outputSize()];
        if (rows.rows() > 0) {
            network.apply(rows.data(), rows.rows(), out);
        }
        int bad = Finite.firstNonFinite(out); // rows × outputs floats: cheap next to the backbone
        if (bad >= 0) {
            int row = bad / network.outputSize();
            int input = inputOf(rows, row);
            String text = input < features.texts().size() ? features.texts().get(input) : "";
            throw new NonFiniteOutputException("the " + type + " head's output", input, text,
                    bad - (long) rows.starts()[input] * network.outputSize(), out[bad]);
        }
        return output(out, rows, features);
    }

    /** The input row {@code row} belongs to. */
    private static int inputOf(FeatureRows rows, int row) {
        int[] starts = rows.starts();
        int i = java.util.Arrays.binarySearch(starts, row);
        if (i < 0) {
            return -i - 2;
        }
        while (i + 1 < starts.length - 1 && starts[i + 1] == row) { // inputs without rows share a start
            i++;
        }
        return i;
    }

    /**
     * Turns the network's raw outputs into the head's result. {@link #apply} has checked that every one is finite
     * (else it threw a {@link NonFiniteOutputException} naming the input).
     *
     * @param out  {@code rows × network().outputSize()} raw outputs
     * @param rows the feature rows they came from (row offsets per input)
     */
    protected abstract HeadOutput output(float[] out, FeatureRows rows, Features features);

    @Override
    public String toString() {
        return type + "(" + config + ", " + parameterCount() + " parameters, on " + backbone.describe() + ")";
    }
}
