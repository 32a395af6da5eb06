/**
 * Attention as a pluggable kernel: {@link dev.graft.attention.AttentionKernel} is what a backbone layer calls.
 * Sub-packages: {@code tiled} (the engine: query-block tasks, online-softmax sweeps over key blocks), one package
 * per pattern ({@code dense}, {@code window}, {@code blocksparse}, {@code topk}), and {@code spec} (patterns as
 * data, chosen per layer, with a text syntax). Everything is built on {@link dev.graft.core.kernels.Kernels}, so the
 * Vector API stays in core. Depends on {@code core} only.
 */
package dev.graft.attention;
