/**
 * Reading and writing tensor files: {@link dev.graft.core.io.Safetensors} (the Hugging Face safetensors
 * format) and the {@link dev.graft.core.io.SafetensorsFile} it opens.
 *
 * <p>Files are treated as untrusted input: every number in a header is checked against the file before any
 * memory is mapped or allocated, and every error names the file and the tensor or field at fault. Tensors
 * read from a file are read-only views into a memory mapping owned by a
 * {@link dev.graft.core.tensor.TensorArena}; nothing is copied. Writes are atomic (temporary file and rename).
 * {@link dev.graft.core.io.SafetensorsFile#finiteTensor} is what weight loaders read through: it also checks the
 * values, and a NaN or infinity is a {@link dev.graft.core.io.NonFiniteWeightException} naming the file, tensor and
 * element (the ONNX importer throws the same).
 *
 * <p>Depends on {@link dev.graft.core.tensor} and Jackson only.
 */
package dev.graft.core.io;
