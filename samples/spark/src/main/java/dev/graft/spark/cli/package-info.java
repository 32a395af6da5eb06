/**
 * {@code samples/graft spark embed|predict|bench}: the Spark transformers of {@code dev.graft.spark} run from the
 * command line on a local master, with the options and output rules of Graft's other commands
 * ({@code dev.graft.samples.cli}, an optional dependency of this module: a project that uses only the transformers
 * does not get it).
 */
package dev.graft.spark.cli;
