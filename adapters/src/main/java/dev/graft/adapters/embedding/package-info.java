/**
 * The {@code embedding} head type: pooled sentence vectors with an optional learned projection and unit-length
 * normalisation; {@code HeadOutput.Embedding#cosine} compares them. Config
 * {@link dev.graft.adapters.embedding.EmbeddingConfig}.
 */
package dev.graft.adapters.embedding;
