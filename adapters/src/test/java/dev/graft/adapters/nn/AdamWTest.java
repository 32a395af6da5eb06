package dev.graft.adapters.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.List;
import org.junit.jupiter.api.Test;

class AdamWTest {

    /** θ·(1 − lr·λ) − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε), computed in double. */
    private static double[] reference(double[] theta, double[][] grads, double lr, double wd, boolean decayed) {
        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-8;
        double[] p = theta.clone();
        double[] m = new double[p.length];
        double[] v = new double[p.length];
        for (int t = 1; t <= grads.length; t++) {
            for (int i = 0; i < p.length; i++) {
                double g = grads[t - 1][i];
                if (decayed) {
                    p[i] *= 1 - lr * wd;
                }
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double mHat = m[i] / (1 - Math.pow(b1, t));
                double denom = Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(b2, t)) + eps;
                p[i] -= lr * mHat / denom;
            }
        }
        return p;
    }

    @Test
    void oneStepMatchesTheHandComputation() {
        Parameter w = new Parameter("w", new int[] {3}, true);
        Parameter b = new Parameter("b", new int[] {3}, false);
        float[] init = {0.5f, -1.25f, 2f};
        float[] g = {0.1f, -3f, 1e-4f};
        w.load(init);
        b.load(init);
        System.arraycopy(g, 0, w.grads(), 0, 3);
        System.arraycopy(g, 0, b.grads(), 0, 3);
        AdamW adam = new AdamW(0.01, 0.1);
        adam.step(List.of(w, b));
        double[] theta = {0.5, -1.25, 2};
        double[][] grads = {{0.1, -3, 1e-4}};
        double[] decayed = reference(theta, grads, 0.01, 0.1, true);
        double[] plain = reference(theta, grads, 0.01, 0.1, false);
        for (int i = 0; i < 3; i++) {
            assertThat((double) w.values()[i]).isCloseTo(decayed[i], offset(1e-6));
            assertThat((double) b.values()[i]).isCloseTo(plain[i], offset(1e-6));
        }
        // first Adam step moves each value by about lr·sign(g); decay shrinks only the weight
        assertThat(b.values()[0]).isCloseTo(0.49f, offset(1e-6f));
        assertThat(w.values()[0]).isCloseTo(0.5f * (1 - 0.001f) - 0.01f, offset(1e-6f));
        assertThat(adam.steps(w)).isEqualTo(1);
    }

    @Test
    void severalStepsWithAChangingLearningRateTrackTheReference() {
        Parameter w = new Parameter("w", new int[] {2}, true);
        w.load(new float[] {1f, -1f});
        double[][] grads = {{0.5, 0.2}, {-0.1, 0.3}, {0.05, -0.4}};
        AdamW adam = new AdamW(0.1, 0.01);
        double[] p = {1, -1};
        double[] m = new double[2];
        double[] v = new double[2];
        double[] lrs = {0.1, 0.05, 0.02};
        for (int t = 1; t <= 3; t++) {
            adam.learningRate(lrs[t - 1]);
            for (int i = 0; i < 2; i++) {
                w.grads()[i] = (float) grads[t - 1][i];
                double g = grads[t - 1][i];
                p[i] *= 1 - lrs[t - 1] * 0.01;
                m[i] = 0.9 * m[i] + 0.1 * g;
                v[i] = 0.999 * v[i] + 0.001 * g * g;
                p[i] -= lrs[t - 1] / (1 - Math.pow(0.9, t)) * m[i] / (Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(0.999, t)) + 1e-8);
            }
            adam.step(List.of(w));
        }
        assertThat((double) w.values()[0]).isCloseTo(p[0], offset(1e-6));
        assertThat((double) w.values()[1]).isCloseTo(p[1], offset(1e-6));
        assertThat(reference(new double[] {1, -1}, grads, 0.1, 0.01, true)[0]).isNotEqualTo(p[0]); // the lr changes matter
    }

    @Test
    void stepDoesNotZeroGradients() {
        Parameter w = new Parameter("w", new int[] {2}, true);
        w.grads()[0] = 1f;
        new AdamW(0.1, 0).step(List.of(w));
        assertThat(w.grads()[0]).isEqualTo(1f);
        AdamW.zeroGrad(List.of(w));
        assertThat(w.grads()).containsOnly(0f);
    }

    @Test
    void clipGradNormScalesToTheGlobalNorm() {
        Parameter a = new Parameter("a", new int[] {2}, true);
        Parameter b = new Parameter("b", new int[] {1}, false);
        a.grads()[0] = 3f;
        a.grads()[1] = 0f;
        b.grads()[0] = 4f;
        double norm = AdamW.clipGradNorm(List.of(a, b), 1.0);
        assertThat(norm).isCloseTo(5.0, offset(1e-9));
        assertThat(a.grads()[0]).isCloseTo(0.6f, offset(1e-6f));
        assertThat(b.grads()[0]).isCloseTo(0.8f, offset(1e-6f));
        assertThat(AdamW.clipGradNorm(List.of(a, b), 10.0)).isCloseTo(1.0, offset(1e-5));
        assertThat(b.grads()[0]).isCloseTo(0.8f, offset(1e-6f));
    }

    @Test
    void rejectsBadHyperparameters() {
        assertThatThrownBy(() -> new AdamW(-1, 0)).hasMessageContaining("learning rate");
        assertThatThrownBy(() -> new AdamW(0.1, 1.0, 0.9, 1e-8, 0)).hasMessageContaining("betas");
    }
}
