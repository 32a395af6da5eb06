/**
 * Reading weights out of ONNX model files without copying them.
 *
 * <p>{@link dev.graft.backbones.onnx.OnnxModelFile} maps a {@code .onnx} file read-only and parses its
 * protobuf with classes that protoc generates at build time from {@code src/main/protobuf/.../onnx_subset.proto}
 * (a minimal subset of the ONNX spec, written for Graft). The large {@code raw_data} payloads are never
 * copied: the parser skips them and records their byte offsets, and each weight becomes a read-only
 * {@link dev.graft.core.tensor.Tensor} view of the mapping. {@link dev.graft.backbones.onnx.OnnxBertImporter}
 * recognises a BERT encoder exported by PyTorch (the graph of the sentence-transformers models) and builds
 * {@link dev.graft.backbones.bert.BertWeights}.
 *
 * <p>Depends on {@code core} (tensors, arenas), {@code backbones.bert} and protobuf-java; nothing else.
 */
package dev.graft.backbones.onnx;
