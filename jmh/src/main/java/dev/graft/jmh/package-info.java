/**
 * Attention benchmarks and their report: {@link dev.graft.jmh.AttentionBenchmark} (tiled dense vs sliding window vs
 * block-sparse as T grows), {@link dev.graft.jmh.AttentionScratch} (working memory per call) and
 * {@link dev.graft.jmh.PlotAttention} (the log-log plot of a run, for docs/ATTENTION.md). Depends on
 * {@code core} and {@code attention}.
 */
package dev.graft.jmh;
