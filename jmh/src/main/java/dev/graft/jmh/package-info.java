/**
 * JMH benchmarks that put Graft beside its peers in one run (built into {@code jmh/target/benchmarks.jar} with
 * {@code -Pbench}), and the small tools around them: {@link dev.graft.jmh.JvmFlags} (the flags every fork needs),
 * {@link dev.graft.jmh.ThreadCpu} (a CPU-time counter), {@link dev.graft.jmh.Nd4jThreads} /
 * {@link dev.graft.jmh.Nd4jThreadCheck} (capping and verifying ND4J's threads), {@link dev.graft.jmh.GemmTable}
 * (CSV result → the Markdown table of docs/BENCHMARKS.md).
 *
 * <p>May depend on any Graft module and on the peer libraries (ND4J); nothing depends on it.
 */
package dev.graft.jmh;
