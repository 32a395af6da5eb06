package dev.graft.backbones.bert;

import dev.graft.core.tensor.Tensor;
import java.util.List;

/**
 * What one encoder pass produces, owned by the arena the caller passed in.
 *
 * @param lastHidden   [batch, tokens, hidden] output of the last layer
 * @param layers       when requested: [batch, tokens, hidden] per stage, index 0 the embeddings' output and index
 *                     i the output of layer i (so {@code layers.get(numLayers)} equals lastHidden); otherwise empty
 */
public record EncoderOutput(Tensor lastHidden, List<Tensor> layers) {
    public EncoderOutput {
        layers = List.copyOf(layers);
    }
}
