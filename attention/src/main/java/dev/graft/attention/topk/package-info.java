/**
 * Top-k attention: every query keeps its k largest scores and renormalises. Depends on {@code core}'s kernels and
 * {@link dev.graft.attention.tiled} only.
 */
package dev.graft.attention.topk;
