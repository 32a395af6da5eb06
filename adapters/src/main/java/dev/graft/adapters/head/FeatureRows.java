package dev.graft.adapters.head;

import java.util.BitSet;

/**
 * Rows of features for one {@link FeatureKind} over one call's inputs, on the heap.
 *
 * @param data      {@code rows × rowSize} floats, row-major
 * @param rows      number of rows (texts for pooled features, words for word features: the words of each input up
 *                  to the last one the backbone saw — words past the token limit have no row)
 * @param rowSize   floats per row
 * @param starts    {@code inputs + 1} offsets: the rows of input {@code i} are {@code [starts[i], starts[i + 1])}
 * @param withoutToken the word rows whose word has no token of its own in what the backbone saw — cut off by the
 *                  token limit, or made only of characters the tokenizer drops. Their features are a stand-in
 *                  (another token's), so a head must not report a prediction for them. Empty for pooled rows.
 */
public record FeatureRows(float[] data, int rows, int rowSize, int[] starts, BitSet withoutToken) {

    public FeatureRows {
        if ((long) rows * rowSize != data.length) {
            throw new IllegalArgumentException(rows + " rows of " + rowSize + " floats but " + data.length + " floats");
        }
        if (starts.length == 0 || starts[0] != 0 || starts[starts.length - 1] != rows) {
            throw new IllegalArgumentException("row offsets must run from 0 to " + rows);
        }
        withoutToken = withoutToken == null ? new BitSet() : (BitSet) withoutToken.clone();
        if (withoutToken.length() > rows) {
            throw new IllegalArgumentException("row " + (withoutToken.length() - 1) + " is marked without a token, but there are "
                    + rows + " rows");
        }
    }

    /** Rows whose every word (or text) was seen by the backbone. */
    public FeatureRows(float[] data, int rows, int rowSize, int[] starts) {
        this(data, rows, rowSize, starts, null);
    }

    /** A copy of the rows without a token of their own. */
    @Override
    public BitSet withoutToken() {
        return (BitSet) withoutToken.clone();
    }

    /** Whether row {@code row} has a token of its own (its features are its word's). */
    public boolean hasToken(int row) {
        return !withoutToken.get(row);
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
