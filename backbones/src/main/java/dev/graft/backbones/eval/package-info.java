/**
 * Real evaluation data and metrics: readers for the shared data sets (STS Benchmark first), Spearman rank
 * correlation, and {@link dev.graft.backbones.eval.StsEvaluator}, which scores any sentence embedder on STS-B.
 *
 * <p>Depends only on the JDK: an embedder is a plain function from sentences to vectors, so Graft's encoder and
 * reference runtimes (ONNX Runtime, in tests) are evaluated the same way.
 */
package dev.graft.backbones.eval;
