package dev.graft.adapters.nn;

/**
 * What a loss computed over a batch.
 *
 * @param loss     the (weighted) mean loss over the batch
 * @param weight   the mean's denominator (rows; the sum of the rows' class weights when weighted; rows × outputs
 *                 for MSE), so that batch losses combine into an exact epoch mean: {@code Σ loss·weight / Σ weight}
 * @param gradient {@code dLoss/dOutput}, same layout as the network's output
 */
public record LossResult(double loss, double weight, float[] gradient) {
}
