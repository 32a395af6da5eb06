/**
 * The engine every attention pattern runs on: {@link dev.graft.attention.tiled.TiledAttention} splits a call into
 * (sequence, head, query block) tasks over the kernels' compute pool, and a {@link dev.graft.attention.tiled.Sweep}
 * runs one query tile over the key blocks a pattern chooses — scores by GEMM, exclusions as -∞, an online softmax,
 * values by GEMM — so that no pattern ever materialises a T × T score matrix. Per-thread scratch is reused, so a
 * warm call allocates nothing. Depends on {@code core} (kernels, compute pool) and {@link dev.graft.attention} only.
 */
package dev.graft.attention.tiled;
