package dev.graft.adapters.metrics;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ClassificationMetricsTest {

    private static final double EPS = 1e-12;

    /**
     * gold 0 0 1 1 2 2, predicted 0 1 1 1 0 0, four classes (class 3 never occurs).
     * class 0: tp 1, fp 2, fn 1 → P 1/3, R 1/2, F1 2/5; class 1: tp 2, fp 1, fn 0 → P 2/3, R 1, F1 4/5;
     * class 2 (never predicted): P 0, R 0, F1 0. Macro-F1 over the three present classes = (0.4 + 0.8 + 0) / 3
     * = 0.4 — what sklearn.metrics.f1_score(gold, predicted, average="macro") gives.
     */
    @Test
    void handComputedExampleWithAClassNeverPredicted() {
        var m = ClassificationMetrics.of(new int[]{0, 0, 1, 1, 2, 2}, new int[]{0, 1, 1, 1, 0, 0}, 4);
        assertThat(m.total()).isEqualTo(6);
        assertThat(m.correct()).isEqualTo(3);
        assertThat(m.accuracy()).isCloseTo(0.5, within(EPS));

        assertThat(m.precision(0)).isCloseTo(1.0 / 3, within(EPS));
        assertThat(m.recall(0)).isCloseTo(0.5, within(EPS));
        assertThat(m.f1(0)).isCloseTo(0.4, within(EPS));
        assertThat(m.precision(1)).isCloseTo(2.0 / 3, within(EPS));
        assertThat(m.recall(1)).isCloseTo(1.0, within(EPS));
        assertThat(m.f1(1)).isCloseTo(0.8, within(EPS));
        assertThat(m.precision(2)).isZero();
        assertThat(m.recall(2)).isZero();
        assertThat(m.f1(2)).isZero();

        assertThat(m.present(2)).isTrue();
        assertThat(m.present(3)).isFalse();
        assertThat(m.presentClasses()).isEqualTo(3);
        assertThat(m.macroF1()).isCloseTo(0.4, within(EPS));
        assertThat(m.macroPrecision()).isCloseTo((1.0 / 3 + 2.0 / 3 + 0) / 3, within(EPS));
        assertThat(m.macroRecall()).isCloseTo((0.5 + 1.0 + 0) / 3, within(EPS));

        assertThat(m.support(2)).isEqualTo(2);
        assertThat(m.predictedCount(0)).isEqualTo(3);
        assertThat(m.count(2, 0)).isEqualTo(2);
        assertThat(m.confusion()).isDeepEqualTo(new long[][]{{1, 1, 0, 0}, {0, 2, 0, 0}, {2, 0, 0, 0}, {0, 0, 0, 0}});
    }

    /** A class only ever predicted (never gold) also counts in the macro mean, with F1 0. */
    @Test
    void classOnlyPredictedCountsInTheMacroMean() {
        var m = ClassificationMetrics.of(new int[]{0, 0}, new int[]{0, 1}, 2);
        assertThat(m.f1(0)).isCloseTo(2.0 / 3, within(EPS));
        assertThat(m.f1(1)).isZero();
        assertThat(m.macroF1()).isCloseTo(1.0 / 3, within(EPS));
    }

    @Test
    void perfectPredictions() {
        var m = ClassificationMetrics.of(new int[]{2, 0, 1}, new int[]{2, 0, 1}, 3);
        assertThat(m.accuracy()).isEqualTo(1.0);
        assertThat(m.macroF1()).isEqualTo(1.0);
    }

    @Test
    void reportListsPresentClassesAndAverages() {
        var m = ClassificationMetrics.of(new int[]{0, 0, 1, 1, 2, 2}, new int[]{0, 1, 1, 1, 0, 0}, 4);
        String report = m.report(List.of("alpha", "beta", "gamma", "delta"));
        assertThat(report).contains("alpha", "beta", "gamma", "accuracy", "macro avg", "0.4000", "0.5000")
                .doesNotContain("delta");
        assertThat(m.toString()).contains("macro-F1 0.4000");
    }

    @Test
    void badInputIsRejectedWithTheIndex() {
        assertThatThrownBy(() -> ClassificationMetrics.of(new int[]{0, 1}, new int[]{0}, 2))
                .hasMessageContaining("gold has 2 labels but predicted has 1");
        assertThatThrownBy(() -> ClassificationMetrics.of(new int[]{0, 5}, new int[]{0, 1}, 2))
                .hasMessageContaining("gold[1] = 5 is outside [0, 2)");
        assertThatThrownBy(() -> ClassificationMetrics.of(new int[]{0}, new int[]{-1}, 2))
                .hasMessageContaining("predicted[0] = -1");
        assertThatThrownBy(() -> ClassificationMetrics.of(new int[0], new int[0], 2)).hasMessageContaining("no examples");
    }
}
