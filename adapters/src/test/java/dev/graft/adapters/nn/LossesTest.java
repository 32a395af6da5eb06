package dev.graft.adapters.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

class LossesTest {

    @Test
    void crossEntropyMatchesAHandComputation() {
        // row 0: logits (0, ln 3) → p = (1/4, 3/4), label 1 → −ln(3/4); row 1: (2, 2) → −ln(1/2)
        float ln3 = (float) Math.log(3);
        LossResult r = new SoftmaxCrossEntropy(2).compute(new float[] {0, ln3, 2, 2}, 2, new int[] {1, 0});
        double expected = (-Math.log(0.75) - Math.log(0.5)) / 2;
        assertThat(r.loss()).isCloseTo(expected, offset(1e-7));
        assertThat(r.weight()).isEqualTo(2.0);
        assertThat(r.gradient()).containsExactly(new float[] {0.125f, -0.125f, -0.25f, 0.25f}, offset(1e-7f));
    }

    @Test
    void weightedCrossEntropyIsTheWeightedMeanLikePyTorch() {
        float[] logits = {1, 2, 0.5f, -1, 0, 3, 2, 2, 2};
        int[] labels = {0, 2, 2};
        float[] w = {2, 1, 0.5f};
        LossResult r = new SoftmaxCrossEntropy(w).compute(logits, 3, labels);
        double num = 0;
        double den = 0;
        for (int i = 0; i < 3; i++) {
            double z = 0;
            for (int c = 0; c < 3; c++) {
                z += Math.exp(logits[i * 3 + c]);
            }
            double nll = Math.log(z) - logits[i * 3 + labels[i]];
            num += w[labels[i]] * nll;
            den += w[labels[i]];
        }
        assertThat(r.loss()).isCloseTo(num / den, offset(1e-7));
        assertThat(r.weight()).isCloseTo(3.0, offset(1e-9));
        checkGradient(logits, l -> new SoftmaxCrossEntropy(w).compute(l, 3, labels).loss(), r.gradient());
    }

    @Test
    void crossEntropyGradientMatchesFiniteDifferences() {
        float[] logits = GradientCheck.gaussian(5 * 4, 3, 2.0);
        int[] labels = {0, 3, 1, 1, 2};
        SoftmaxCrossEntropy ce = new SoftmaxCrossEntropy(4);
        checkGradient(logits, l -> ce.compute(l, 5, labels).loss(), ce.compute(logits, 5, labels).gradient());
    }

    @Test
    void crossEntropyIsStableForHugeLogits() {
        LossResult r = new SoftmaxCrossEntropy(3).compute(new float[] {1000, -1000, 0, 1e30f, -1e30f, 0}, 2, new int[] {1, 0});
        assertThat(r.loss()).isCloseTo(1000.0, offset(1e-3));
        assertThat(r.gradient()).doesNotContain(Float.NaN);
        assertThat(r.gradient()[0]).isCloseTo(0.5f, offset(1e-6f));
        assertThat(r.gradient()[1]).isCloseTo(-0.5f, offset(1e-6f));
    }

    @Test
    void crossEntropyRejectsLabelsOutsideTheClasses() {
        assertThatThrownBy(() -> new SoftmaxCrossEntropy(3).compute(new float[6], 2, new int[] {0, 3}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("label 3 of row 1");
        assertThatThrownBy(() -> new SoftmaxCrossEntropy(new float[] {1, -1})).hasMessageContaining("class weight 1");
    }

    @Test
    void meanSquaredErrorAndItsGradient() {
        float[] y = {1, 2, 3, 4};
        float[] t = {0, 2, 5, 3};
        MeanSquaredError mse = new MeanSquaredError(2);
        LossResult r = mse.compute(y, 2, t);
        assertThat(r.loss()).isCloseTo((1 + 0 + 4 + 1) / 4.0, offset(1e-9));
        assertThat(r.gradient()).containsExactly(0.5f, 0f, -1f, 0.5f);
        checkGradient(y, p -> mse.compute(p, 2, t).loss(), r.gradient());
    }

    @Test
    void softmaxProbabilitiesSumToOne() {
        float[] p = Softmax.probabilities(new float[] {1, 2, 3, 1000, 0, -1000}, 2, 3);
        assertThat(p[0] + p[1] + p[2]).isCloseTo(1f, offset(1e-6f));
        assertThat(p[2] / p[1]).isCloseTo((float) Math.E, offset(1e-5f));
        assertThat(p[3]).isEqualTo(1f);
        assertThat(Softmax.argmax(new float[] {0, 5, 5, 1}, 0, 4)).isEqualTo(1);
    }

    private static void checkGradient(float[] x, ToDoubleFunction<float[]> loss, float[] analytic) {
        double eps = 1e-3;
        for (int i = 0; i < x.length; i++) {
            float saved = x[i];
            float plus = (float) (saved + eps);
            float minus = (float) (saved - eps);
            x[i] = plus;
            double fp = loss.applyAsDouble(x);
            x[i] = minus;
            double fm = loss.applyAsDouble(x);
            x[i] = saved;
            double numeric = (fp - fm) / ((double) plus - minus);
            GradientCheck.assertClose("d loss / d x[" + i + "]", analytic[i], numeric);
        }
    }
}
