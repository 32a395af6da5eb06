package dev.graft.adapters.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

/**
 * Checks a layer's backward pass against central finite differences of the scalar {@code f = Σ output · g} for a
 * random {@code g}, accumulated in double. Every input value and every parameter value is perturbed by
 * ±{@link #EPS}; the difference quotient uses the actually representable perturbation. A gradient passes when
 * {@code |analytic − numeric| ≤ ATOL + RTOL · max(|analytic|, |numeric|)}: float forward passes make the quotient
 * noisy at about 1e-5, and the O(ε²) truncation of smooth layers is about 1e-5, far inside the tolerance.
 */
final class GradientCheck {
    static final double EPS = 1e-2;
    static final double RTOL = 1e-2;
    static final double ATOL = 1e-3;

    private GradientCheck() {
    }

    static void check(Layer layer, float[] input, int rows, boolean training, long seed) {
        Random random = new Random(99);
        for (Parameter p : layer.parameters()) {
            p.zeroGrad();
        }
        Layer.Tape tape = layer.forward(input, rows, training, seed);
        float[] g = new float[tape.output().length];
        for (int i = 0; i < g.length; i++) {
            g[i] = (float) random.nextGaussian();
        }
        float[] dIn = layer.backward(tape, g);
        assertThat(dIn).hasSize(rows * layer.inputSize());
        for (int i = 0; i < rows * layer.inputSize(); i++) {
            double numeric = numeric(layer, input, i, input, rows, training, seed, g);
            assertClose("d input[" + i + "] of " + layer, dIn[i], numeric);
        }
        for (Parameter p : layer.parameters()) {
            float[] analytic = p.grads().clone();
            for (int i = 0; i < p.size(); i++) {
                double numeric = numeric(layer, p.values(), i, input, rows, training, seed, g);
                assertClose("d " + p.name() + "[" + i + "]", analytic[i], numeric);
            }
        }
    }

    private static double numeric(Layer layer, float[] target, int i, float[] input, int rows, boolean training, long seed,
                                  float[] g) {
        float saved = target[i];
        float plus = (float) (saved + EPS);
        float minus = (float) (saved - EPS);
        target[i] = plus;
        double fPlus = objective(layer.forward(input, rows, training, seed).output(), g);
        target[i] = minus;
        double fMinus = objective(layer.forward(input, rows, training, seed).output(), g);
        target[i] = saved;
        return (fPlus - fMinus) / ((double) plus - minus);
    }

    static double objective(float[] out, float[] g) {
        double f = 0;
        for (int i = 0; i < out.length; i++) {
            f += (double) out[i] * g[i];
        }
        return f;
    }

    static void assertClose(String what, double analytic, double numeric) {
        double tol = ATOL + RTOL * Math.max(Math.abs(analytic), Math.abs(numeric));
        assertThat(Math.abs(analytic - numeric)).as("%s: analytic %s vs numeric %s", what, analytic, numeric).isLessThanOrEqualTo(tol);
    }

    static float[] gaussian(int n, long seed, double scale) {
        Random random = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (random.nextGaussian() * scale);
        }
        return a;
    }

    /** Gaussian values pushed at least {@code margin} away from 0 (for ReLU's kink). */
    static float[] awayFromZero(int n, long seed, double margin) {
        float[] a = gaussian(n, seed, 1.0);
        for (int i = 0; i < n; i++) {
            if (Math.abs(a[i]) < margin) {
                a[i] = (float) (a[i] >= 0 ? margin + a[i] : -margin + a[i]);
            }
        }
        return a;
    }
}
