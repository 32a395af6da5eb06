/**
 * {@link dev.graft.core.parallel.ComputePool}: a fixed set of worker threads, sized by the caller, that kernels
 * split work over. Threads are started once; a call hands out work without allocating or spawning threads.
 */
package dev.graft.core.parallel;
