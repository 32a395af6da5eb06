package dev.graft.core.kernels;

/**
 * Scalar activation math shared by the scalar kernels and the scalar GEMM epilogue.
 *
 * <p>{@code erf} is Abramowitz &amp; Stegun 7.1.26 (max abs error 1.5e-7), evaluated in double; the Vector API
 * version in {@code VectorMath} uses the same polynomial so that the two agree to float rounding.
 *
 * <p>GELU is evaluated through {@code erfc(|x|/√2)} rather than {@code 1 + erf(x/√2)}: for negative x the
 * latter subtracts two numbers close to 1 and loses the small result's digits; the erfc form has no
 * cancellation on either side. Its inputs are clamped to ±{@value #GELU_CLAMP} (where GELU is x or 0 to float
 * precision) so that infinities give {@code +∞ → +∞} and {@code -∞ → -0} rather than {@code ∞ · 0 = NaN}.
 */
public final class ScalarMath {
    // The constants are public so that the Vector API kernels (dev.graft.core.kernels.vector) take their float
    // versions from here: one definition of the approximation. Not part of Graft's API.
    /** A&amp;S 7.1.26: {@code erfc(z) ≈ t·(A1 + t·(A2 + t·(A3 + t·(A4 + t·A5))))·e^{-z²}}, {@code t = 1/(1 + P·z)}. */
    public static final double ERFC_P = 0.3275911;
    public static final double ERFC_A1 = 0.254829592;
    public static final double ERFC_A2 = -0.284496736;
    public static final double ERFC_A3 = 1.421413741;
    public static final double ERFC_A4 = -1.453152027;
    public static final double ERFC_A5 = 1.061405429;
    /** |x| beyond which GELU(x) is x (or 0) to float precision: erfc(20/√2) ≈ 6e-89. */
    public static final double GELU_CLAMP = 20.0;
    /** 1/√2. */
    public static final double INV_SQRT2 = 0.7071067811865476;
    /** 1/√(2π), the normal density's factor (GELU's derivative). */
    public static final double INV_SQRT_2PI = 0.3989422804014327;

    private ScalarMath() {
    }

    /** erf(x), |error| ≤ 1.5e-7. */
    public static double erf(double x) {
        double y = 1.0 - erfcNonNegative(Math.abs(x));
        return x < 0 ? -y : y;
    }

    /** GELU, erf form: {@code x/2 · (1 + erf(x/√2))}, |error| ≤ 2.2e-7 before rounding to float. */
    public static float gelu(float x) {
        double xc = Math.max(-GELU_CLAMP, Math.min(GELU_CLAMP, x)); // NaN stays NaN
        double h = 0.5 * xc * erfcNonNegative(Math.abs(xc) * INV_SQRT2); // x/2 · erfc(|x|/√2)
        return (float) (x >= 0 ? x - h : h);
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

    /** erfc(z) for z ≥ 0 by A&amp;S 7.1.26: {@code t·(a1 + t·(a2 + …)) · exp(-z²)}, t = 1/(1 + p·z). */
    private static double erfcNonNegative(double z) {
        double t = 1.0 / (1.0 + ERFC_P * z);
        double poly = ((((ERFC_A5 * t + ERFC_A4) * t + ERFC_A3) * t + ERFC_A2) * t + ERFC_A1) * t;
        return poly * Math.exp(-z * z);
    }
}
