package dev.graft.core.kernels.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Activation math on whole vectors, shared by the GEMM epilogue and the element-wise kernels. Static and small
 * so that C2 inlines it (a vector passed to a method that is not inlined gets boxed and allocates).
 *
 * <p>erf is Abramowitz &amp; Stegun 7.1.26, the polynomial {@code dev.graft.core.kernels.ScalarMath} uses, and
 * GELU goes through {@code erfc(|x|/√2)} as there (no cancellation for negative x; inputs clamped to ±20 so that
 * infinities do not become NaN).
 */
final class VectorMath {
    private static final float P = 0.3275911f;
    private static final float A1 = 0.254829592f;
    private static final float A2 = -0.284496736f;
    private static final float A3 = 1.421413741f;
    private static final float A4 = -1.453152027f;
    private static final float A5 = 1.061405429f;
    private static final float INV_SQRT2 = 0.70710678f;
    private static final float GELU_CLAMP = 20f;

    private VectorMath() {
    }

    /** erf of every lane, |error| ≤ 4e-7 (A&amp;S 7.1.26's 1.5e-7 plus float rounding of {@code 1 - erfc}). */
    static FloatVector erf(FloatVector x) {
        FloatVector ax = x.abs();
        FloatVector t = ax.fma(P, 1f);
        t = t.broadcast(1f).div(t);
        FloatVector poly = t.fma(A5, A4).fma(t, t.broadcast(A3)).fma(t, t.broadcast(A2)).fma(t, t.broadcast(A1)).mul(t);
        FloatVector e = ax.mul(ax).neg().lanewise(VectorOperators.EXP);
        FloatVector y = poly.neg().fma(e, x.broadcast(1f));
        return y.lanewise(VectorOperators.NEG, x.compare(VectorOperators.LT, 0f));
    }

    /** GELU (erf form) of every lane, |error| ≤ 1e-6 (or one float ulp beyond |x| = 8). */
    static FloatVector gelu(FloatVector x) {
        FloatVector xc = x.max(-GELU_CLAMP).min(GELU_CLAMP);
        FloatVector z = xc.abs().mul(INV_SQRT2);
        FloatVector t = z.fma(P, 1f);
        t = t.broadcast(1f).div(t);
        FloatVector poly = t.fma(A5, A4).fma(t, t.broadcast(A3)).fma(t, t.broadcast(A2)).fma(t, t.broadcast(A1)).mul(t);
        FloatVector erfc = poly.mul(z.mul(z).neg().lanewise(VectorOperators.EXP)); // erfc(|x|/√2)
        FloatVector h = xc.mul(0.5f).mul(erfc);                                     // x/2 · erfc(|x|/√2)
        return x.sub(h).blend(h, x.compare(VectorOperators.LT, 0f));                // x - h for x ≥ 0, h below
    }

    /** tanh of every lane. */
    static FloatVector tanh(FloatVector x) {
        return x.lanewise(VectorOperators.TANH);
    }

    /** max(0, x) of every lane. */
    static FloatVector relu(FloatVector x) {
        return x.max(0f);
    }
}
