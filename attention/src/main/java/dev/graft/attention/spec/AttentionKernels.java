package dev.graft.attention.spec;

import dev.graft.attention.AttentionKernel;
import dev.graft.attention.blocksparse.BlockSparseAttention;
import dev.graft.attention.dense.DenseAttention;
import dev.graft.attention.topk.TopKAttention;
import dev.graft.attention.window.WindowAttention;
import dev.graft.core.kernels.Kernels;

/** Turns a pattern (data) into the kernel that computes it. */
public final class AttentionKernels {
    private AttentionKernels() {
    }

    public static AttentionKernel create(AttentionPattern pattern, Kernels kernels) {
        return switch (pattern) {
            case AttentionPattern.Dense d -> new DenseAttention(kernels);
            case AttentionPattern.Window w -> new WindowAttention(kernels, w.width(), w.dilation(),
                    w.globalTokens().stream().mapToInt(Integer::intValue).toArray());
            case AttentionPattern.BlockSparse s -> new BlockSparseAttention(kernels, s.block(), s.windowBlocks(),
                    s.globalBlocks(), s.randomBlocks(), s.seed());
            case AttentionPattern.TopK t -> new TopKAttention(kernels, t.k());
        };
    }
}
