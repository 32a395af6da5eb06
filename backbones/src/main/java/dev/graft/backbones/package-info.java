/**
 * Frozen pre-trained backbones, one package per architecture ({@link dev.graft.backbones.bert} first), and
 * the ways weights get in: ONNX initializers, Hugging Face model directories, the models embedded in Maven
 * artifacts. Depends on {@code core} and {@code attention}.
 */
package dev.graft.backbones;
