package dev.graft.adapters.train;

/** The rows {@code rows[i]} of another training set, as a training set (a validation split is one). */
final class SubsetTrainingSet implements TrainingSet {
    private final TrainingSet source;
    private final int[] rows;

    SubsetTrainingSet(TrainingSet source, int[] rows) {
        this.source = source;
        this.rows = rows;
    }

    @Override
    public int size() {
        return rows.length;
    }

    @Override
    public int featureSize() {
        return source.featureSize();
    }

    @Override
    public void features(int row, float[] dst, int offset) {
        source.features(rows[row], dst, offset);
    }

    @Override
    public int label(int row) {
        return source.label(rows[row]);
    }

    @Override
    public float target(int row) {
        return source.target(rows[row]);
    }
}
