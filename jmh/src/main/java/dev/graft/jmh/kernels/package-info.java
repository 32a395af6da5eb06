/**
 * Benchmarks of the non-GEMM kernels (layerNorm, gelu, add, softmax, meanPool, l2Normalize), scalar reference vs
 * Vector API, at the sizes of one small BERT forward pass. Depends on {@code dev.graft.core.kernels} only.
 */
package dev.graft.jmh.kernels;
