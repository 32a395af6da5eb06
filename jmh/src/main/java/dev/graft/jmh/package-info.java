/**
 * JMH benchmarks that put Graft beside its peers in one run (built into {@code jmh/target/benchmarks.jar} with
 * {@code -Pbench}), and the small tools around them:
 * <ul>
 *   <li>GEMM vs ND4J/OpenBLAS: {@link dev.graft.jmh.GemmBenchmark}, with {@link dev.graft.jmh.JvmFlags} (the flags
 *       every fork needs), {@link dev.graft.jmh.ThreadCpu} (a CPU-time counter), {@link dev.graft.jmh.Nd4jThreads} /
 *       {@link dev.graft.jmh.Nd4jThreadCheck} (capping and verifying ND4J's threads) and {@link dev.graft.jmh.GemmTable}
 *       (CSV result → the Markdown table of docs/BENCHMARKS.md);</li>
 *   <li>attention patterns as T grows: {@link dev.graft.jmh.AttentionBenchmark}, {@link dev.graft.jmh.AttentionScratch}
 *       (working memory per call) and {@link dev.graft.jmh.PlotAttention} (the log-log plot of docs/ATTENTION.md).</li>
 * </ul>
 *
 * <p>May depend on any Graft module and on the peer libraries (ND4J, ONNX Runtime); nothing depends on it.
 */
package dev.graft.jmh;
