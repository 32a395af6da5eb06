package dev.graft.adapters.train;

/**
 * Examples a head trains on: fixed-size feature rows (frozen backbone outputs, usually read from a mapped
 * Arrow feature file) with a class label or a regression target each.
 */
public interface TrainingSet {

    /** Number of examples. */
    int size();

    /** Floats per example (e.g. hidden, or layers × hidden for a layer mix). */
    int featureSize();

    /** Copies example {@code row}'s features into {@code dst[offset, offset + featureSize())}. */
    void features(int row, float[] dst, int offset);

    /** Class index of example {@code row} (classification). */
    int label(int row);

    /** Regression target of example {@code row}; classification sets may throw. */
    default float target(int row) {
        throw new UnsupportedOperationException("this training set has class labels, not regression targets");
    }
}
