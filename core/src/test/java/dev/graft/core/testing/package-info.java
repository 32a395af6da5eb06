/**
 * Test helpers shared by Graft's test suites (published in core's test-jar): seeded random data, error
 * measures and exact reference math for kernel tests, and {@link dev.graft.core.testing.CorruptWeights} (weights files damaged in
 * place). Depends on {@code dev.graft.core.tensor} and {@code dev.graft.core.io} only.
 */
package dev.graft.core.testing;
