package dev.graft.adapters.nn;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ErfTest {

    /** Reference values from CPython math.erf / math.erfc (accurate to double precision). */
    @Test
    void matchesReferenceValuesToFloatPrecision() {
        double[][] cases = {
                {0.0, 0.0}, {1e-4, 1.1283791633342487e-4}, {0.1, 0.1124629160182849}, {0.49, 0.511668261188523},
                {0.5, 0.5204998778130465}, {1.0, 0.8427007929497149}, {2.0, 0.9953222650189527},
                {-1.5, -0.9661051464753108}, {3.5, 0.9999992569016276}};
        for (double[] c : cases) {
            double erf = Erf.erf(c[0]);
            assertThat(Math.abs(erf - c[1])).as("erf(%s)", c[0]).isLessThanOrEqualTo(1.5e-7 * Math.max(Math.abs(c[1]), 1e-30));
        }
    }

    @Test
    void erfcKeepsRelativeAccuracyInTheTail() {
        double[][] cases = {{3.0, 2.209049699858544e-5}, {5.0, 1.537459794428035e-12}, {-2.0, 1.995322265018953},
                {0.0, 1.0}, {10.0, 2.088487583762545e-45}};
        for (double[] c : cases) {
            assertThat(Math.abs(Erf.erfc(c[0]) - c[1])).as("erfc(%s)", c[0]).isLessThanOrEqualTo(1.5e-7 * c[1]);
        }
    }
}
