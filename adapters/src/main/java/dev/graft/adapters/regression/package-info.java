/**
 * The {@code regression} head type: a score per text, or per text pair encoded as one sequence. Trained with
 * mean squared error. Config {@link dev.graft.adapters.regression.RegressionConfig}.
 */
package dev.graft.adapters.regression;
