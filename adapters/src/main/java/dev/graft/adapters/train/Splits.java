package dev.graft.adapters.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/** Deterministic train/validation splits of example indices. */
public final class Splits {

    /**
     * Two disjoint sets of example indices, each sorted ascending (so feature files are read in order).
     */
    public record Split(int[] train, int[] validation) {
    }

    private Splits() {
    }

    /**
     * A split that keeps every class's share in both parts: each class sends about {@code fraction} of its
     * examples to validation (per-class counts rounded by largest remainder so the total is
     * {@code round(n · fraction)}), chosen by a shuffle seeded with {@code seed}. A class never loses all its
     * examples to validation.
     */
    public static Split stratified(int[] labels, double fraction, long seed) {
        checkFraction(fraction);
        int n = labels.length;
        int classes = 0;
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0) {
                throw new IllegalArgumentException("stratified split: label of example " + i + " is negative: " + labels[i]);
            }
            classes = Math.max(classes, labels[i] + 1);
        }
        List<List<Integer>> members = new ArrayList<>(classes);
        for (int c = 0; c < classes; c++) {
            members.add(new ArrayList<>());
        }
        for (int i = 0; i < n; i++) {
            members.get(labels[i]).add(i);
        }
        int[] take = new int[classes];
        double[] remainder = new double[classes];
        int assigned = 0;
        for (int c = 0; c < classes; c++) {
            double exact = members.get(c).size() * fraction;
            take[c] = (int) Math.floor(exact);
            remainder[c] = exact - take[c];
            assigned += take[c];
        }
        int target = (int) Math.round(n * fraction);
        Integer[] order = new Integer[classes];
        for (int c = 0; c < classes; c++) {
            order[c] = c;
        }
        Arrays.sort(order, (a, b) -> remainder[a] != remainder[b] ? Double.compare(remainder[b], remainder[a]) : Integer.compare(a, b));
        for (int k = 0; assigned < target && k < classes; k++) {
            int c = order[k];
            if (take[c] + 1 < members.get(c).size()) {
                take[c]++;
                assigned++;
            }
        }
        SplittableRandom random = new SplittableRandom(seed);
        boolean[] validation = new boolean[n];
        for (int c = 0; c < classes; c++) {
            int[] idx = members.get(c).stream().mapToInt(Integer::intValue).toArray();
            int limit = Math.min(take[c], Math.max(0, idx.length - 1));
            shuffle(idx, random);
            for (int k = 0; k < limit; k++) {
                validation[idx[k]] = true;
            }
        }
        return collect(validation);
    }

    /** A uniformly random split with {@code round(n · fraction)} validation examples (for regression). */
    public static Split random(int n, double fraction, long seed) {
        checkFraction(fraction);
        if (n < 0) {
            throw new IllegalArgumentException("random split: n must be >= 0, got " + n);
        }
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        shuffle(idx, new SplittableRandom(seed));
        boolean[] validation = new boolean[n];
        int take = (int) Math.min(Math.round(n * fraction), Math.max(0, n - 1));
        for (int k = 0; k < take; k++) {
            validation[idx[k]] = true;
        }
        return collect(validation);
    }

    /** The rows {@code rows} of {@code source} (in that order) as a training set, without copying. */
    public static TrainingSet subset(TrainingSet source, int[] rows) {
        for (int r : rows) {
            if (r < 0 || r >= source.size()) {
                throw new IllegalArgumentException("subset: row " + r + " is outside the " + source.size() + " examples");
            }
        }
        return new SubsetTrainingSet(source, rows.clone());
    }

    /** Fisher–Yates shuffle driven by {@code random}. */
    static void shuffle(int[] a, SplittableRandom random) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    private static Split collect(boolean[] validation) {
        int v = 0;
        for (boolean b : validation) {
            if (b) {
                v++;
            }
        }
        int[] val = new int[v];
        int[] train = new int[validation.length - v];
        int vi = 0;
        int ti = 0;
        for (int i = 0; i < validation.length; i++) {
            if (validation[i]) {
                val[vi++] = i;
            } else {
                train[ti++] = i;
            }
        }
        return new Split(train, val);
    }

    private static void checkFraction(double fraction) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("split: fraction must be in [0, 1), got " + fraction);
        }
    }
}
