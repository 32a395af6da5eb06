package dev.graft.adapters.nn;

/** Softmax for inference: logits to class probabilities, row by row, stable against large logits. */
public final class Softmax {
    private Softmax() {
    }

    /** {@code rows × classes} probabilities; each row sums to 1. */
    public static float[] probabilities(float[] logits, int rows, int classes) {
        if (rows < 0 || classes < 1 || logits.length < (long) rows * classes) {
            throw new IllegalArgumentException("softmax: need " + rows + " rows × " + classes + " logits, got " + logits.length);
        }
        float[] p = new float[rows * classes];
        double[] e = new double[classes];
        for (int r = 0; r < rows; r++) {
            int o = r * classes;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                max = Math.max(max, logits[o + c]);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                e[c] = Math.exp(logits[o + c] - max);
                sum += e[c];
            }
            for (int c = 0; c < classes; c++) {
                p[o + c] = (float) (e[c] / sum);
            }
        }
        return p;
    }

    /** Index of the largest of {@code classes} values starting at {@code offset} (the first on ties). */
    public static int argmax(float[] values, int offset, int classes) {
        int best = 0;
        float bestValue = values[offset];
        for (int c = 1; c < classes; c++) {
            if (values[offset + c] > bestValue) {
                bestValue = values[offset + c];
                best = c;
            }
        }
        return best;
    }
}
