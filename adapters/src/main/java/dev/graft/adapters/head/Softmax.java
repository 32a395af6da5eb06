package dev.graft.adapters.head;

/** Row-wise softmax for turning logits into probabilities at inference (max-subtracted, so it never overflows). */
public final class Softmax {
    private Softmax() {
    }

    /** Softmax of {@code row} of {@code cols} logits starting at {@code offset}, into a new array. */
    public static float[] row(float[] logits, int offset, int cols) {
        float max = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < cols; c++) {
            max = Math.max(max, logits[offset + c]);
        }
        float[] p = new float[cols];
        double sum = 0;
        for (int c = 0; c < cols; c++) {
            double e = Math.exp(logits[offset + c] - max);
            p[c] = (float) e;
            sum += e;
        }
        for (int c = 0; c < cols; c++) {
            p[c] = (float) (p[c] / sum);
        }
        return p;
    }
}
