/**
 * The Vector API kernels — the only package in Graft that imports {@code jdk.incubator.vector}.
 *
 * <p>Nothing outside this package names a class in it except {@link dev.graft.core.kernels.KernelSelection},
 * which loads it reflectively so that Graft still runs (on scalar kernels) where the incubator module is absent.
 */
package dev.graft.core.kernels.vector;
