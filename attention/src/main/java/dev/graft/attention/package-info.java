/**
 * Attention as a pluggable kernel: {@link dev.graft.attention.AttentionKernel} is what a backbone layer calls;
 * each sparsity pattern is one sub-package ({@link dev.graft.attention.dense} first). Implementations are built
 * on {@link dev.graft.core.kernels.Kernels}, so the Vector API stays in core. Depends on {@code core} only.
 */
package dev.graft.attention;
