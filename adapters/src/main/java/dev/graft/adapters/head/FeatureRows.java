package dev.graft.adapters.head;

/**
 * Rows of features for one {@link FeatureKind} over one call's inputs, on the heap.
 *
 * @param data    {@code rows × rowSize} floats, row-major
 * @param rows    number of rows (texts for pooled features, words for word features)
 * @param rowSize floats per row
 * @param starts  {@code inputs + 1} offsets: the rows of input {@code i} are {@code [starts[i], starts[i + 1])}
 */
public record FeatureRows(float[] data, int rows, int rowSize, int[] starts) {

    public FeatureRows {
        if ((long) rows * rowSize != data.length) {
            throw new IllegalArgumentException(rows + " rows of " + rowSize + " floats but " + data.length + " floats");
        }
        if (starts.length == 0 || starts[0] != 0 || starts[starts.length - 1] != rows) {
            throw new IllegalArgumentException("row offsets must run from 0 to " + rows);
        }
    }

    /** Number of inputs the rows belong to. */
    public int inputs() {
        return starts.length - 1;
    }

    /** Rows of input {@code i}. */
    public int rowsOf(int i) {
        return starts[i + 1] - starts[i];
    }
}
