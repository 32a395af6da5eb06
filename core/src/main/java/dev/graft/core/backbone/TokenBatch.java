package dev.graft.core.backbone;

import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;

/**
 * A tokenised batch, padded to its longest sequence: the three inputs of a BERT-family encoder.
 *
 * @param inputIds      [batch, tokens] i32 vocabulary ids (padding positions hold the pad id)
 * @param attentionMask [batch, tokens] i32, 1 for a real token, 0 for padding
 * @param tokenTypeIds  [batch, tokens] i32 segment ids (0 for single sentences)
 * @param lengths       real tokens per sequence (the row sums of the mask), including special tokens
 */
public record TokenBatch(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds, int[] lengths) {
    public TokenBatch {
        lengths = lengths.clone();
        for (Tensor t : new Tensor[] {inputIds, attentionMask, tokenTypeIds}) {
            if (t.dtype() != DType.I32 || t.rank() != 2) {
                throw new IllegalArgumentException("token batch tensors must be i32 [batch, tokens], got " + t.describe());
            }
        }
        if (attentionMask.size(0) != inputIds.size(0) || attentionMask.size(1) != inputIds.size(1)
                || tokenTypeIds.size(0) != inputIds.size(0) || tokenTypeIds.size(1) != inputIds.size(1)) {
            throw new IllegalArgumentException("input_ids " + inputIds.describe() + ", attention_mask " + attentionMask.describe()
                    + " and token_type_ids " + tokenTypeIds.describe() + " must have the same shape");
        }
        if (lengths.length != inputIds.size(0)) {
            throw new IllegalArgumentException(lengths.length + " lengths for a batch of " + inputIds.size(0));
        }
    }

    public int batchSize() {
        return inputIds.dim(0);
    }

    /** Padded sequence length. */
    public int tokens() {
        return inputIds.dim(1);
    }
}
