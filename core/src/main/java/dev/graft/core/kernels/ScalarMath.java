package dev.graft.core.kernels;

/**
 * Scalar activation math shared by the scalar kernels and the Vector API kernels' tails.
 *
 * <p>{@code erf} is Abramowitz &amp; Stegun 7.1.26 (max abs error 1.5e-7), evaluated in double; the Vector API
 * version in {@code VectorMath} uses the same polynomial so that the two agree to float rounding.
 */
public final class ScalarMath {
    static final double P = 0.3275911;
    static final double A1 = 0.254829592;
    static final double A2 = -0.284496736;
    static final double A3 = 1.421413741;
    static final double A4 = -1.453152027;
    static final double A5 = 1.061405429;
    private static final double INV_SQRT2 = 0.7071067811865476;

    private ScalarMath() {
    }

    /** erf(x), |error| ≤ 1.5e-7. */
    public static double erf(double x) {
        double ax = Math.abs(x);
        double t = 1.0 / (1.0 + P * ax);
        double poly = ((((A5 * t + A4) * t + A3) * t + A2) * t + A1) * t;
        double y = 1.0 - poly * Math.exp(-ax * ax);
        return x < 0 ? -y : y;
    }

    /** GELU, erf form: {@code x/2 · (1 + erf(x/√2))}. */
    public static float gelu(float x) {
        return (float) (0.5 * x * (1.0 + erf(x * INV_SQRT2)));
    }

    /** The activation of a GEMM epilogue. */
    public static float apply(Activation act, float x) {
        return switch (act) {
            case NONE -> x;
            case GELU -> gelu(x);
            case RELU -> Math.max(0f, x);
            case TANH -> (float) Math.tanh(x);
        };
    }
}
