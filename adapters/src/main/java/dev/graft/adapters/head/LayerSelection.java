package dev.graft.adapters.head;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * Which of the backbone's hidden states a head reads. Stage 0 is the embeddings' output and stage {@code i} the
 * output of layer {@code i}, so a 6-layer backbone has 7 stages and {@code last} is stage 6. Syntax lives in the
 * middle layers, topic and intent near the top: a {@link Mix} lets training pick.
 */
public sealed interface LayerSelection {

    /** The stages read, ascending, for a backbone of {@code numLayers} layers. */
    int[] stages(int numLayers);

    /** The command-line / JSON spelling: {@code last}, {@code mix} or the layer number. */
    @JsonValue
    String spec();

    /** The output of the last layer (the default). */
    record Last() implements LayerSelection {
        @Override
        public int[] stages(int numLayers) {
            return new int[] {numLayers};
        }

        @Override
        public String spec() {
            return "last";
        }
    }

    /** The output of one layer: 1..numLayers, or 0 for the embeddings. */
    record Layer(int index) implements LayerSelection {
        public Layer {
            if (index < 0) {
                throw new IllegalArgumentException("layer must be ≥ 0 (0 = embeddings), got " + index);
            }
        }

        @Override
        public int[] stages(int numLayers) {
            if (index > numLayers) {
                throw new IllegalArgumentException("layer " + index + " does not exist: the backbone has " + numLayers
                        + " layers (choose 0.." + numLayers + ", last or mix)");
            }
            return new int[] {index};
        }

        @Override
        public String spec() {
            return Integer.toString(index);
        }
    }

    /** A learned softmax-weighted sum of every stage, scaled by a learned γ (ELMo's scalar mix). */
    record Mix() implements LayerSelection {
        @Override
        public int[] stages(int numLayers) {
            int[] all = new int[numLayers + 1];
            for (int i = 0; i <= numLayers; i++) {
                all[i] = i;
            }
            return all;
        }

        @Override
        public String spec() {
            return "mix";
        }
    }

    LayerSelection LAST = new Last();
    LayerSelection MIX = new Mix();

    /** Parses {@code last}, {@code mix} or a layer number. */
    @JsonCreator
    static LayerSelection parse(String spec) {
        String s = spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT);
        return switch (s) {
            case "last" -> LAST;
            case "mix" -> MIX;
            default -> {
                try {
                    yield new Layer(Integer.parseInt(s));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("layers must be last, mix or a layer number, got '" + spec + "'");
                }
            }
        };
    }
}
