/**
 * Attention patterns as data and their choice per layer: the sealed {@link dev.graft.attention.spec.AttentionPattern}
 * (dense, window, block-sparse, top-k), {@link dev.graft.attention.spec.AttentionSpec} (layer ranges → pattern, with
 * a text syntax for command lines and provenance), and {@link dev.graft.attention.spec.AttentionKernels}, which
 * makes the kernel of a pattern. Depends on the pattern packages ({@code dense}, {@code window},
 * {@code blocksparse}, {@code topk}) and {@code core}'s kernels.
 */
package dev.graft.attention.spec;
