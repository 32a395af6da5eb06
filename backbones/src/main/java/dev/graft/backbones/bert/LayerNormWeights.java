package dev.graft.backbones.bert;

import dev.graft.core.tensor.Tensor;

/**
 * @param name  Hugging Face name without {@code .weight}/{@code .bias} ({@code embeddings.LayerNorm})
 * @param gamma {@code [hidden]} scale
 * @param beta  {@code [hidden]} shift
 */
public record LayerNormWeights(String name, Tensor gamma, Tensor beta) {
    public LayerNormWeights {
        if (gamma.rank() != 1 || beta.rank() != 1 || gamma.size(0) != beta.size(0)) {
            throw new IllegalArgumentException(name + ": weight " + gamma.describe() + " and bias " + beta.describe()
                    + " must both be [hidden]");
        }
    }

    public int width() {
        return gamma.dim(0);
    }
}
