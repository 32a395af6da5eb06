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
 * <p>Tensors leave and enter Arrow without copies: {@link dev.graft.core.tensor.TensorColumns} turns a tensor into
 * a column of the canonical {@code arrow.fixed_shape_tensor} extension type
 * ({@link dev.graft.core.tensor.FixedShapeTensorType}) and back; {@link dev.graft.core.tensor.TensorFiles} writes
 * such columns to Arrow IPC files atomically and reads them memory-mapped (layout: {@code docs/ARROW-LAYOUT.md}).
 *
 * <p>{@link dev.graft.core.tensor.Finite} finds NaN and infinities in one cheap pass (weights when loaded, model
 * outputs when returned); a model output that holds one is a {@link dev.graft.core.tensor.NonFiniteOutputException}
 * naming the input.
 *
 * <p>Depends on Arrow's memory, vector and format modules, and Jackson (the extension type's JSON metadata).
 */
package dev.graft.core.tensor;
