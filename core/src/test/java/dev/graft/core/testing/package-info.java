/**
 * Test helpers shared by Graft's test suites (published in core's test-jar): seeded random data, error measures and
 * exact reference math for kernel tests ({@link dev.graft.core.testing.Numerics}); weights files damaged in place
 * ({@link dev.graft.core.testing.CorruptWeights}); and checks that depend on what the JIT compiled, made independent
 * of how busy the machine is: a child JVM with a forced, blocking JIT mode ({@link dev.graft.core.testing.ForkedJvm},
 * {@link dev.graft.core.testing.JitMode}), what it compiled ({@link dev.graft.core.testing.CompiledCode}), and the
 * zero-allocation check of warm calls built on them ({@link dev.graft.core.testing.ZeroAllocation}). Depends on
 * {@code dev.graft.core.tensor} and {@code dev.graft.core.io} only. JIT- or allocation-dependent checks go through
 * these classes: never a retry-with-sleep loop in the test JVM.
 */
package dev.graft.core.testing;
