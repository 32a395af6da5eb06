/**
 * Text to {@link dev.graft.core.backbone.TokenBatch}: {@link dev.graft.backbones.tokenizer.BertTokenizer} wraps a
 * Hugging Face {@code tokenizer.json} (through DJL's Rust tokenizers, native library shipped inside the DJL jar and
 * extracted once to the DJL cache directory; nothing is downloaded) and checks it against the model it feeds:
 * vocabulary size against the embedding table, sequence length against the position table. Files the native
 * tokenizer would fail on at encode time (a WordPiece vocabulary without its unknown token: DJL's batch encoder
 * then panics and aborts the JVM) are rejected when opened, naming the file and field, and inputs are encoded one at
 * a time so that a native error is a Java exception naming the input. Long texts cost work bounded by the token
 * limit: only an exact prefix is handed to the native tokenizer ({@code PrefixCuts}).
 *
 * <p>Depends on {@code core} (tensors, {@code TokenBatch}), DJL tokenizers and Jackson; nothing else in Graft.
 */
package dev.graft.backbones.tokenizer;
