package dev.graft.adapters.train;

/**
 * A {@link TrainingSet} held in a {@code float[]} on the heap: for tests and small data sets (a few hundred
 * megabytes at most; large feature sets belong in a mapped file).
 */
public final class ArrayTrainingSet implements TrainingSet {
    private final float[] features;
    private final int featureSize;
    private final int size;
    private final int[] labels;
    private final float[] targets;

    private ArrayTrainingSet(float[] features, int featureSize, int size, int[] labels, float[] targets) {
        this.features = features;
        this.featureSize = featureSize;
        this.size = size;
        this.labels = labels;
        this.targets = targets;
    }

    /** Rows of {@code featureSize} floats (row-major in {@code features}) with one class label each. */
    public static ArrayTrainingSet classification(float[] features, int featureSize, int[] labels) {
        int size = rows(features, featureSize, labels.length);
        for (int i = 0; i < size; i++) {
            if (labels[i] < 0) {
                throw new IllegalArgumentException("training set: label of row " + i + " is negative: " + labels[i]);
            }
        }
        return new ArrayTrainingSet(features, featureSize, size, labels.clone(), null);
    }

    /** Rows of {@code featureSize} floats (row-major in {@code features}) with one regression target each. */
    public static ArrayTrainingSet regression(float[] features, int featureSize, float[] targets) {
        int size = rows(features, featureSize, targets.length);
        return new ArrayTrainingSet(features, featureSize, size, null, targets.clone());
    }

    private static int rows(float[] features, int featureSize, int count) {
        if (featureSize <= 0) {
            throw new IllegalArgumentException("training set: featureSize must be positive, got " + featureSize);
        }
        if (features.length != (long) count * featureSize) {
            throw new IllegalArgumentException("training set: " + count + " rows × " + featureSize + " features need "
                    + (long) count * featureSize + " floats, got " + features.length);
        }
        return count;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int featureSize() {
        return featureSize;
    }

    @Override
    public void features(int row, float[] dst, int offset) {
        System.arraycopy(features, row * featureSize, dst, offset, featureSize);
    }

    @Override
    public int label(int row) {
        if (labels == null) {
            throw new UnsupportedOperationException("this training set has regression targets, not class labels");
        }
        return labels[row];
    }

    @Override
    public float target(int row) {
        if (targets == null) {
            return TrainingSet.super.target(row);
        }
        return targets[row];
    }
}
