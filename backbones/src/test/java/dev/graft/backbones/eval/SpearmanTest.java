package dev.graft.backbones.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class SpearmanTest {

    @Test
    void tiesGetTheAverageOfTheRanksTheySpan() {
        assertThat(Spearman.ranks(new double[] {10, 20, 20, 30, 20})).containsExactly(1, 3, 3, 5, 3);
        assertThat(Spearman.ranks(new double[] {3, 1, 2})).containsExactly(3, 1, 2);
        assertThat(Spearman.ranks(new double[] {7, 7, 7, 7})).containsExactly(2.5, 2.5, 2.5, 2.5);
    }

    @Test
    void monotoneButNonLinearIsPerfect() {
        assertThat(Spearman.correlation(new double[] {1, 2, 3, 4}, new double[] {1, 4, 9, 16})).isEqualTo(1.0);
        assertThat(Spearman.correlation(new double[] {1, 2, 3, 4}, new double[] {0.9, 0.5, 0.1, -3})).isEqualTo(-1.0);
    }

    @Test
    void tiesInOneSampleMatchTheHandComputedValue() {
        // ranks y = [1, 2, 3.5, 5, 3.5]; against 1..5: sum dx*dy = 8, sum dx^2 = 10, sum dy^2 = 9.5 -> 8 / sqrt(95)
        double rho = Spearman.correlation(new double[] {1, 2, 3, 4, 5}, new double[] {5, 6, 7, 8, 7});
        assertThat(rho).isCloseTo(8 / Math.sqrt(95), within(1e-15));
        assertThat(rho).isCloseTo(0.8207826816681233, within(1e-12)); // scipy.stats.spearmanr
    }

    @Test
    void tiesInBothSamplesMatchTheHandComputedValue() {
        // ranks x = [1.5, 1.5, 3, 4], y = [1, 2.5, 2.5, 4]; sum dx*dy = 3.75, sum dx^2 = sum dy^2 = 4.5
        double rho = Spearman.correlation(new double[] {1, 1, 2, 3}, new double[] {1, 2, 2, 3});
        assertThat(rho).isCloseTo(3.75 / 4.5, within(1e-15));
    }

    @Test
    void constantSampleIsUndefined() {
        assertThat(Spearman.correlation(new double[] {1, 1, 1}, new double[] {1, 2, 3})).isNaN();
    }

    @Test
    void badInputIsRejected() {
        assertThatThrownBy(() -> Spearman.correlation(new double[] {1, 2}, new double[] {1, 2, 3}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 vs 3");
        assertThatThrownBy(() -> Spearman.correlation(new double[] {1}, new double[] {1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 2");
        assertThatThrownBy(() -> Spearman.correlation(new double[] {1, Double.NaN}, new double[] {1, 2}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
    }
}
