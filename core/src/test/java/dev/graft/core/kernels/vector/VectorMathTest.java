package dev.graft.core.kernels.vector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.core.kernels.Activation;
import dev.graft.core.kernels.ScalarMath;
import dev.graft.core.testing.Numerics;
import java.util.function.UnaryOperator;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/**
 * The vector activation math (which the GEMM epilogue also uses) lane by lane against exact values and against
 * {@link ScalarMath}: erf within 4e-7 of exact, GELU within 1e-6 (one ulp beyond |x| = 8), tanh and relu equal to
 * the scalar ones to float rounding.
 */
class VectorMathTest {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** Applies {@code op} to xs a vector at a time (the last one padded with zeros) and returns the lanes. */
    private static float[] lanes(float[] xs, UnaryOperator<FloatVector> op) {
        int n = F.loopBound(xs.length) + (xs.length % F.length() == 0 ? 0 : F.length());
        float[] in = java.util.Arrays.copyOf(xs, n);
        float[] out = new float[n];
        for (int i = 0; i < n; i += F.length()) {
            op.apply(FloatVector.fromArray(F, in, i)).intoArray(out, i);
        }
        return java.util.Arrays.copyOf(out, xs.length);
    }

    private static float[] grid(float from, float to, float step) {
        int n = (int) ((to - from) / step) + 1;
        float[] xs = new float[n];
        for (int i = 0; i < n; i++) {
            xs[i] = from + i * step;
        }
        return xs;
    }

    @Test
    void erfIsWithin4e7OfExact() {
        float[] xs = grid(-6f, 6f, 1e-3f);
        float[] got = lanes(xs, VectorMath::erf);
        double worst = 0;
        for (int i = 0; i < xs.length; i++) {
            worst = Math.max(worst, Math.abs(got[i] - Numerics.erf(xs[i])));
        }
        assertThat(worst).isLessThanOrEqualTo(4e-7);
    }

    @Test
    void geluIsWithinOneMillionthOfExact() {
        float[] xs = grid(-25f, 25f, 2.5e-4f);
        float[] got = lanes(xs, VectorMath::gelu);
        double worst = 0;
        for (int i = 0; i < xs.length; i++) {
            double exact = Numerics.gelu(xs[i]);
            worst = Math.max(worst, Math.abs(got[i] - exact) / Math.max(1e-6, Math.ulp((float) exact)));
        }
        assertThat(worst).as("error in units of max(1e-6, ulp)").isLessThanOrEqualTo(1.0);
    }

    @Test
    void geluOfNonFiniteLanes() {
        float[] got = lanes(new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, -1e30f, 1e30f},
                VectorMath::gelu);
        assertThat(got[0]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(got[1]).isZero();
        assertThat(got[2]).isNaN();
        assertThat(got[3]).isZero();
        assertThat(got[4]).isEqualTo(1e30f);
    }

    @Test
    void tanhAndReluMatchTheScalarEpilogue() {
        float[] xs = grid(-12f, 12f, 1e-3f);
        float[] tanh = lanes(xs, VectorMath::tanh);
        float[] relu = lanes(xs, VectorMath::relu);
        for (int i = 0; i < xs.length; i++) {
            float t = ScalarMath.apply(Activation.TANH, xs[i]);
            assertThat(Math.abs(tanh[i] - t)).as("tanh(%s)", xs[i]).isLessThanOrEqualTo(2 * Math.ulp(t));
            assertThat(relu[i]).isEqualTo(ScalarMath.apply(Activation.RELU, xs[i]));
        }
    }
}
