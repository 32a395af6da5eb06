/**
 * Tensors over Arrow memory.
 *
 * <p>A {@link dev.graft.core.tensor.Tensor} is an immutable view — shape, {@link dev.graft.core.tensor.DType},
 * and a {@link java.lang.foreign.MemorySegment} over an Arrow buffer. A
 * {@link dev.graft.core.tensor.TensorArena} owns the buffers of one unit of work (a forward pass, a batch):
 * closing it releases them all and invalidates every view, so a use after close throws instead of reading
 * freed memory. Arenas nest; a tensor leaves its arena only by an explicit
 * {@link dev.graft.core.tensor.TensorArena#transfer transfer}.
 *
 * <p>Depends on Arrow's memory and vector modules only.
 */
package dev.graft.core.tensor;
