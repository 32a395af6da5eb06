package dev.graft.adapters.head;

import dev.graft.adapters.nn.Activation;
import dev.graft.adapters.nn.Dropout;
import dev.graft.adapters.nn.Layer;
import dev.graft.adapters.nn.LayerMix;
import dev.graft.adapters.nn.Linear;
import dev.graft.adapters.nn.Sequential;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The network every built-in head is made of, spelled once: {@code [mix] → [dropout] → [hidden → activation →
 * dropout] → output}. Parameter names are stable — {@code mix.weights}, {@code mix.gamma}, {@code hidden.weight},
 * {@code hidden.bias}, {@code <output>.weight}, {@code <output>.bias} — because they are the names in
 * {@code head.safetensors}.
 */
public final class HeadNetworks {
    private HeadNetworks() {
    }

    /**
     * @param layers     which stages are read; more than one adds a learned {@link LayerMix}
     * @param hidden     width of the optional hidden layer (0: a linear head)
     * @param activation of the hidden layer ({@code gelu}, {@code relu}, {@code tanh})
     * @param dropout    dropout probability before each linear layer during training (0: none)
     * @param outputName name of the output layer ({@code classifier}, {@code regressor}, {@code projection})
     * @param outputs    width of the output (classes, 1 for a score, the projection size)
     */
    public static Layer build(BackboneInfo backbone, LayerSelection layers, int hidden, String activation, float dropout,
                              String outputName, int outputs, long seed) {
        if (hidden < 0 || outputs <= 0) {
            throw new IllegalArgumentException("hidden size must be ≥ 0 and outputs > 0, got " + hidden + " and " + outputs);
        }
        if (!(dropout >= 0 && dropout < 1)) { // NaN too
            throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        }
        Random init = new Random(seed);
        int stages = layers.stages(backbone.numLayers()).length;
        int width = backbone.hiddenSize();
        List<Layer> steps = new ArrayList<>();
        if (stages > 1) {
            steps.add(new LayerMix("mix", stages, width));
        }
        if (dropout > 0) {
            steps.add(new Dropout(dropout, width));
        }
        if (hidden > 0) {
            steps.add(new Linear("hidden", width, hidden, init));
            steps.add(activation(activation, hidden));
            if (dropout > 0) {
                steps.add(new Dropout(dropout, hidden));
            }
            width = hidden;
        }
        steps.add(new Linear(outputName, width, outputs, init));
        return steps.size() == 1 ? steps.getFirst() : new Sequential(steps);
    }

    /** {@code gelu}, {@code relu} or {@code tanh}, for rows of {@code size}. */
    public static Activation activation(String name, int size) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "gelu" -> Activation.gelu(size);
            case "relu" -> Activation.relu(size);
            case "tanh" -> Activation.tanh(size);
            default -> throw new IllegalArgumentException("unknown activation '" + name + "' (expected gelu, relu or tanh)");
        };
    }
}
