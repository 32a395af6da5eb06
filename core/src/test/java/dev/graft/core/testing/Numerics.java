package dev.graft.core.testing;

import dev.graft.core.tensor.Tensor;
import java.util.Random;

/**
 * Small numeric helpers for kernel tests: seeded random data, element-wise error measures, and an exact
 * (double-precision, independent of Graft's approximation) {@code erf}.
 */
public final class Numerics {
    private Numerics() {
    }

    /** {@code n} floats uniform in [lo, hi). */
    public static float[] uniform(Random random, int n, float lo, float hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = lo + (hi - lo) * random.nextFloat();
        }
        return v;
    }

    /** A 0/1 mask of {@code n} ints where each entry is 0 with probability {@code pZero}. */
    public static int[] mask(Random random, int n, double pZero) {
        int[] m = new int[n];
        for (int i = 0; i < n; i++) {
            m[i] = random.nextDouble() < pZero ? 0 : 1;
        }
        return m;
    }

    /** Fills {@code t} (f32) with floats uniform in [lo, hi). */
    public static Tensor fillUniform(Tensor t, Random random, float lo, float hi) {
        return t.copyFrom(uniform(random, Math.toIntExact(t.elementCount()), lo, hi));
    }

    /** max |a[i] - b[i]| (NaN if either holds a NaN where the other does not). */
    public static double maxAbsDiff(float[] a, float[] b) {
        requireSameLength(a, b);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            if (Float.isNaN(a[i]) != Float.isNaN(b[i])) {
                return Double.NaN;
            }
            if (!Float.isNaN(a[i])) {
                max = Math.max(max, Math.abs((double) a[i] - b[i]));
            }
        }
        return max;
    }

    /**
     * max over i of {@code |actual[i] - expected[i]| / max(floor, |expected[i]|)}: relative error, measured against
     * {@code floor} where the expected value is smaller than it.
     */
    public static double maxRelDiff(float[] actual, double[] expected, double floor) {
        if (actual.length != expected.length) {
            throw new IllegalArgumentException("lengths differ: " + actual.length + " vs " + expected.length);
        }
        double max = 0;
        for (int i = 0; i < actual.length; i++) {
            double err = Math.abs(actual[i] - expected[i]) / Math.max(floor, Math.abs(expected[i]));
            if (Double.isNaN(err)) {
                return Double.NaN;
            }
            max = Math.max(max, err);
        }
        return max;
    }

    /** As {@link #maxRelDiff(float[], double[], double)} against float expectations. */
    public static double maxRelDiff(float[] actual, float[] expected, double floor) {
        double[] e = new double[expected.length];
        for (int i = 0; i < e.length; i++) {
            e[i] = expected[i];
        }
        return maxRelDiff(actual, e, floor);
    }

    /**
     * erf(x) to ~1e-16, from the everywhere-convergent series
     * {@code erf(x) = 2/√π · e^(-x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1))}, whose terms are all positive (no
     * cancellation). |x| &gt; 6 returns ±1 (erfc(6) ≈ 2e-17).
     */
    public static double erf(double x) {
        double ax = Math.abs(x);
        if (Double.isNaN(x)) {
            return Double.NaN;
        }
        if (ax > 6) {
            return Math.signum(x);
        }
        double term = ax;
        double sum = ax;
        double twoX2 = 2 * ax * ax;
        for (int n = 1; n < 1000 && term > 1e-18 * sum; n++) {
            term *= twoX2 / (2 * n + 1);
            sum += term;
        }
        double r = 2 / Math.sqrt(Math.PI) * Math.exp(-ax * ax) * sum;
        return x < 0 ? -r : r;
    }

    /** GELU in its exact erf form, in double. */
    public static double gelu(double x) {
        if (Double.isInfinite(x)) {
            return x > 0 ? x : 0;
        }
        return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }

    private static void requireSameLength(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("lengths differ: " + a.length + " vs " + b.length);
        }
    }
}
