package dev.graft.backbones.eval;

/**
 * The outcome of an STS evaluation.
 *
 * @param spearman  Spearman's ρ between cosine similarity and gold score (the headline STS-B metric)
 * @param pearson   Pearson's r between the same two (reported for completeness)
 * @param pairs     pairs scored
 * @param sentences distinct sentences embedded
 */
public record StsResult(double spearman, double pearson, int pairs, int sentences) {
}
