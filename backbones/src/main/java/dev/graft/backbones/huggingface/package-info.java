/**
 * Hugging Face model directories ({@code config.json} + {@code model.safetensors} + {@code tokenizer.json}):
 * {@link dev.graft.backbones.huggingface.HfBertDirectory} loads one into a
 * {@link dev.graft.backbones.bert.BertCheckpoint} without copying the weights, and writes one from any loaded
 * BERT checkpoint (the converter from the embedded ONNX models to the format every other tool reads).
 *
 * <p>Depends on {@link dev.graft.backbones.bert}, {@code dev.graft.core.io} (safetensors),
 * {@code dev.graft.core.tensor} and Jackson.
 */
package dev.graft.backbones.huggingface;
