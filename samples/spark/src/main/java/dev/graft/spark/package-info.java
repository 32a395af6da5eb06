/**
 * Graft on Apache Spark: Spark ML {@link org.apache.spark.ml.Transformer}s that embed a text column
 * ({@link dev.graft.spark.GraftEmbedder}) or run the heads of a saved composed model on it
 * ({@link dev.graft.spark.GraftPredictor}), each executor JVM sharing one backbone among all its tasks
 * ({@link dev.graft.spark.GraftModels}) and each partition running in token-budget batches.
 *
 * <p>Depends on Graft's core, backbones and adapters, and on Spark (provided: the cluster brings it). Nothing in the
 * other Graft modules depends on this package.
 */
package dev.graft.spark;
