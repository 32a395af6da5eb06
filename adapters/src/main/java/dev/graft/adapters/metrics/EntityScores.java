package dev.graft.adapters.metrics;

/**
 * Entity-level counts and scores: {@code gold} spans in the reference, {@code predicted} spans in the output, of
 * which {@code correct} match a gold span exactly (same start, end and type). A ratio with a zero denominator is
 * 0, as in seqeval and scikit-learn.
 */
public record EntityScores(long gold, long predicted, long correct) {

    public EntityScores {
        if (gold < 0 || predicted < 0 || correct < 0 || correct > gold || correct > predicted) {
            throw new IllegalArgumentException("inconsistent entity counts: gold " + gold + ", predicted "
                    + predicted + ", correct " + correct);
        }
    }

    /** correct / predicted. */
    public double precision() {
        return predicted == 0 ? 0.0 : (double) correct / predicted;
    }

    /** correct / gold. */
    public double recall() {
        return gold == 0 ? 0.0 : (double) correct / gold;
    }

    /** Harmonic mean of precision and recall, 2·correct / (gold + predicted). */
    public double f1() {
        return gold + predicted == 0 ? 0.0 : 2.0 * correct / (gold + predicted);
    }
}
