/**
 * Sliding-window attention (optionally dilated) with global tokens, Longformer-style: cost and memory grow with
 * T · width, not T². Depends on {@code core}'s kernels and {@link dev.graft.attention.tiled} only.
 */
package dev.graft.attention.window;
