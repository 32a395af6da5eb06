package dev.graft.adapters.head;

import dev.graft.adapters.nn.Layer;
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
        return output(out, rows, features);
    }

    /**
     * Turns the network's raw outputs into the head's result.
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
