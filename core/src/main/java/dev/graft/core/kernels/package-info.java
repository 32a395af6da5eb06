/**
 * Numeric kernels: the {@link dev.graft.core.kernels.Kernels} interface, its scalar reference
 * {@link dev.graft.core.kernels.ScalarKernels}, and {@link dev.graft.core.kernels.Kernels#create(int)}, which
 * picks the Vector API implementation in {@link dev.graft.core.kernels.vector} when the JVM has it and falls
 * back to scalar — logging once why — when it does not.
 *
 * <p>The scalar kernels are the test oracle: every Vector API kernel is checked against them.
 * Depends on {@link dev.graft.core.parallel} only.
 */
package dev.graft.core.kernels;
