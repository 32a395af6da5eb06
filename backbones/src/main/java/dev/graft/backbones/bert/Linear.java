package dev.graft.backbones.bert;

import dev.graft.core.tensor.Tensor;

/**
 * A dense layer {@code y = x · W + b} whose weight stays in the layout its file stored it in, so that loading
 * never copies: ONNX MatMul initializers are {@code [in, out]} ({@code outIn = false}), PyTorch/safetensors
 * {@code nn.Linear} weights are {@code [out, in]} ({@code outIn = true}). The GEMM reads either.
 *
 * @param name   the Hugging Face name of the layer, without {@code .weight} ({@code encoder.layer.0.attention.self.query})
 * @param weight {@code [in, out]} or {@code [out, in]}, read-only
 * @param outIn  true when {@code weight} is {@code [out, in]}
 * @param bias   {@code [out]}, read-only
 */
public record Linear(String name, Tensor weight, boolean outIn, Tensor bias) {
    public Linear {
        if (weight.rank() != 2) {
            throw new IllegalArgumentException(name + ".weight must be 2-d, is " + weight.describe());
        }
        long out = outIn ? weight.size(0) : weight.size(1);
        if (bias.rank() != 1 || bias.size(0) != out) {
            throw new IllegalArgumentException(name + ".bias is " + bias.describe() + " but the layer has " + out + " outputs");
        }
    }

    public int in() {
        return outIn ? weight.dim(1) : weight.dim(0);
    }

    public int out() {
        return outIn ? weight.dim(0) : weight.dim(1);
    }

    /** Leading dimension of the stored weight (its row length). */
    public int ld() {
        return weight.dim(1);
    }
}
