/**
 * Text to {@link dev.graft.core.backbone.TokenBatch}: {@link dev.graft.backbones.tokenizer.BertTokenizer} wraps a
 * Hugging Face {@code tokenizer.json} (through DJL's Rust tokenizers, native library shipped inside the DJL jar and
 * extracted once to the DJL cache directory; nothing is downloaded) and checks it against the model it feeds:
 * vocabulary size against the embedding table, sequence length against the position table.
 *
 * <p>Depends on {@code core} (tensors, {@code TokenBatch}), DJL tokenizers and Jackson; nothing else in Graft.
 */
package dev.graft.backbones.tokenizer;
