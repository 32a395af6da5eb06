package dev.graft.backbones.eval;

/**
 * Spearman's rank correlation: the Pearson correlation of the two samples' ranks, ties sharing the average of the
 * ranks they span (so it equals {@code scipy.stats.spearmanr}). The usual STS-B metric: it asks only whether the
 * model orders pairs as annotators did, not whether cosine values match the 0–5 scale.
 */
public final class Spearman {
    private Spearman() {
    }

    /**
     * Spearman's ρ of {@code x} and {@code y}.
     *
     * @return ρ in [-1, 1], or NaN if either sample is constant (the correlation is undefined, as in scipy)
     * @throws IllegalArgumentException different lengths, fewer than 2 values, or a NaN value
     */
    public static double correlation(double[] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("samples differ in length: " + x.length + " vs " + y.length);
        }
        if (x.length < 2) {
            throw new IllegalArgumentException("need at least 2 values, got " + x.length);
        }
        return pearson(ranks(x), ranks(y));
    }

    /**
     * 1-based ranks of {@code values}; equal values get the mean of the ranks they occupy
     * (e.g. {@code [10, 20, 20, 30]} → {@code [1, 2.5, 2.5, 4]}).
     */
    public static double[] ranks(double[] values) {
        int n = values.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            if (Double.isNaN(values[i])) {
                throw new IllegalArgumentException("value " + i + " is NaN");
            }
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(values[a], values[b]));
        double[] ranks = new double[n];
        for (int start = 0; start < n; ) {
            int end = start + 1;
            while (end < n && values[order[end]] == values[order[start]]) {
                end++;
            }
            double rank = (start + 1 + end) / 2.0; // mean of the 1-based ranks start+1 .. end
            for (int k = start; k < end; k++) {
                ranks[order[k]] = rank;
            }
            start = end;
        }
        return ranks;
    }

    /** Pearson's r of two equal-length samples; NaN if either is constant. */
    public static double pearson(double[] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("samples differ in length: " + x.length + " vs " + y.length);
        }
        int n = x.length;
        double mx = 0;
        double my = 0;
        for (int i = 0; i < n; i++) {
            mx += x[i];
            my += y[i];
        }
        mx /= n;
        my /= n;
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < n; i++) {
            double dx = x[i] - mx;
            double dy = y[i] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        if (sxx == 0 || syy == 0) {
            return Double.NaN;
        }
        return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
    }
}
