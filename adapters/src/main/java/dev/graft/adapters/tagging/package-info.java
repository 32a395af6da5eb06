/**
 * The {@code tagging} head type: token classification at word level. Each word is labelled from the hidden
 * state of its first sub-token (the convention of Hugging Face's token-classification examples); a BIO tag set
 * is decoded into entity spans. Config {@link dev.graft.adapters.tagging.TaggingConfig}, output
 * {@code HeadOutput.Tagging}.
 */
package dev.graft.adapters.tagging;
