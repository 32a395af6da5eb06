package dev.graft.core.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.graft.core.testing.Numerics;
import org.junit.jupiter.api.Test;

class ScalarMathTest {

    @Test
    void exactErfReferenceMatchesTabulatedValues() {
        // Abramowitz & Stegun table 7.1 / any CAS: the oracle itself must be right before it judges anything.
        assertThat(Numerics.erf(0.5)).isCloseTo(0.5204998778130465, within(1e-15));
        assertThat(Numerics.erf(1.0)).isCloseTo(0.8427007929497149, within(1e-15));
        assertThat(Numerics.erf(2.0)).isCloseTo(0.9953222650189527, within(1e-15));
        assertThat(Numerics.erf(-3.0)).isCloseTo(-0.9999779095030014, within(1e-15));
    }

    @Test
    void erfIsWithinItsStatedBoundEverywhere() {
        double worst = 0;
        for (double x = -8; x <= 8; x += 1e-3) {
            worst = Math.max(worst, Math.abs(ScalarMath.erf(x) - Numerics.erf(x)));
        }
        assertThat(worst).isLessThanOrEqualTo(1.5e-7);
        assertThat(ScalarMath.erf(0)).isCloseTo(0, within(1.5e-7)); // A&S: 1 - (a1+…+a5) = 1e-9
        assertThat(ScalarMath.erf(-0.7)).isEqualTo(-ScalarMath.erf(0.7));
    }

    @Test
    void geluKnownValues() {
        assertThat(ScalarMath.gelu(1f)).isCloseTo(0.8413447f, within(1e-7f));
        assertThat(ScalarMath.gelu(-1f)).isCloseTo(-0.1586553f, within(1e-7f));
        assertThat(ScalarMath.gelu(0f)).isZero();
        assertThat(ScalarMath.gelu(3f)).isCloseTo(2.9959502f, within(1e-6f));
    }

    @Test
    void geluIsWithinOneMillionthOfTheExactErfForm() {
        double worst = 0;
        for (int i = -200_000; i <= 200_000; i++) {
            float x = i * 1e-4f;  // [-20, 20]
            double exact = Numerics.gelu(x);
            double err = Math.abs(ScalarMath.gelu(x) - exact);
            // beyond |x| = 8 a float cannot hold GELU(x) to 1e-6; one ulp is the most anyone can ask there
            worst = Math.max(worst, err / Math.max(1e-6, Math.ulp((float) exact)));
        }
        assertThat(worst).isLessThanOrEqualTo(1.0);
    }

    @Test
    void geluOfNonFiniteInputs() {
        assertThat(ScalarMath.gelu(Float.POSITIVE_INFINITY)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(ScalarMath.gelu(Float.NEGATIVE_INFINITY)).isZero();
        assertThat(ScalarMath.gelu(Float.NaN)).isNaN();
        assertThat(ScalarMath.gelu(-1e30f)).isZero();
        assertThat(ScalarMath.gelu(1e30f)).isEqualTo(1e30f);
    }

    @Test
    void applyDispatchesEveryActivation() {
        assertThat(ScalarMath.apply(Activation.NONE, -2.5f)).isEqualTo(-2.5f);
        assertThat(ScalarMath.apply(Activation.RELU, -2.5f)).isZero();
        assertThat(ScalarMath.apply(Activation.RELU, 2.5f)).isEqualTo(2.5f);
        assertThat(ScalarMath.apply(Activation.TANH, 0.5f)).isCloseTo(0.46211716f, within(1e-7f));
        assertThat(ScalarMath.apply(Activation.GELU, -1f)).isEqualTo(ScalarMath.gelu(-1f));
    }
}
