package dev.graft.adapters.nn;

/**
 * The error function and its complement, accurate to float precision (relative error below 1.2e-7), for the
 * exact GELU. The JDK has no {@code erf}.
 *
 * <p>{@link #erfc} uses the Chebyshev-fitted rational form {@code t·exp(−z² + P(t))}, {@code t = 1/(1 + z/2)}
 * (Press et al., <i>Numerical Recipes</i>, §6.2), whose fractional error is below 1.2e-7 for every argument, so
 * the GELU's tail (where {@code 1 + erf(x)} is tiny) keeps its relative accuracy. {@link #erf} uses the Maclaurin
 * series near zero, where {@code 1 − erfc} would lose relative precision.
 */
public final class Erf {
    private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);

    private Erf() {
    }

    /** {@code erfc(x) = 1 − erf(x)}. */
    public static double erfc(double x) {
        double z = Math.abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
                + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
        double r = t * Math.exp(-z * z + poly);
        return x >= 0 ? r : 2.0 - r;
    }

    /** {@code erf(x)}. */
    public static double erf(double x) {
        if (Math.abs(x) < 0.5) {
            // erf(x) = 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1)); |x| < 0.5 makes 12 terms exact to double precision.
            double x2 = x * x;
            double term = x;
            double sum = x;
            for (int n = 1; n < 12; n++) {
                term *= -x2 / n;
                sum += term / (2 * n + 1);
            }
            return TWO_OVER_SQRT_PI * sum;
        }
        return 1.0 - erfc(x);
    }
}
