package dev.graft.adapters.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LbfgsTest {

    /** Ridge regression {@code ½‖Ax − b‖²/n + (λ/2)‖x‖²} with its gradient. */
    record Ridge(double[][] a, double[] b, double lambda) implements Lbfgs.Objective {
        static Ridge random(int n, int d, double lambda, long seed) {
            Random r = new Random(seed);
            double[][] a = new double[n][d];
            double[] b = new double[n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < d; j++) {
                    a[i][j] = r.nextGaussian() * (1 + j);      // columns of different scales: an ill-conditioned problem
                }
                b[i] = r.nextGaussian();
            }
            return new Ridge(a, b, lambda);
        }

        @Override
        public double evaluate(double[] x, double[] g) {
            int n = a.length;
            double f = 0;
            for (int i = 0; i < n; i++) {
                double residual = -b[i];
                for (int j = 0; j < x.length; j++) {
                    residual += a[i][j] * x[j];
                }
                f += 0.5 * residual * residual / n;
                for (int j = 0; j < x.length; j++) {
                    g[j] += residual * a[i][j] / n;
                }
            }
            for (int j = 0; j < x.length; j++) {
                f += 0.5 * lambda * x[j] * x[j];
                g[j] += lambda * x[j];
            }
            return f;
        }

        /** The closed form {@code (AᵀA/n + λI)⁻¹ Aᵀb/n}, by Gaussian elimination with partial pivoting. */
        double[] solution() {
            int n = a.length;
            int d = a[0].length;
            double[][] m = new double[d][d + 1];
            for (int p = 0; p < d; p++) {
                for (int q = 0; q < d; q++) {
                    double s = 0;
                    for (int i = 0; i < n; i++) {
                        s += a[i][p] * a[i][q];
                    }
                    m[p][q] = s / n + (p == q ? lambda : 0);
                }
                double s = 0;
                for (int i = 0; i < n; i++) {
                    s += a[i][p] * b[i];
                }
                m[p][d] = s / n;
            }
            for (int c = 0; c < d; c++) {
                int pivot = c;
                for (int r = c + 1; r < d; r++) {
                    if (Math.abs(m[r][c]) > Math.abs(m[pivot][c])) {
                        pivot = r;
                    }
                }
                double[] t = m[c];
                m[c] = m[pivot];
                m[pivot] = t;
                for (int r = 0; r < d; r++) {
                    if (r != c) {
                        double factor = m[r][c] / m[c][c];
                        for (int k = c; k <= d; k++) {
                            m[r][k] -= factor * m[c][k];
                        }
                    }
                }
            }
            double[] x = new double[d];
            for (int c = 0; c < d; c++) {
                x[c] = m[c][d] / m[c][c];
            }
            return x;
        }
    }

    /** Rosenbrock's banana {@code (1 − x)² + 100 (y − x²)²}: not convex, minimum 0 at (1, 1). */
    static double rosenbrock(double[] x, double[] g) {
        double a = 1 - x[0];
        double b = x[1] - x[0] * x[0];
        g[0] = -2 * a - 400 * x[0] * b;
        g[1] = 200 * b;
        return a * a + 100 * b * b;
    }

    @Test
    void reachesTheClosedFormOfRidgeRegression() {
        Ridge ridge = Ridge.random(200, 8, 1e-3, 1);
        Lbfgs.Result r = Lbfgs.minimize(ridge, new double[8], new Lbfgs.Settings(10, 500, 1e-10));
        assertThat(r.termination()).isEqualTo(Lbfgs.Termination.CONVERGED);
        assertThat(r.gradientNorm()).isLessThanOrEqualTo(1e-10);
        double[] exact = ridge.solution();
        for (int j = 0; j < exact.length; j++) {
            assertThat(r.x()[j]).as("x[%d]", j).isCloseTo(exact[j], offset(1e-8));
        }
        assertThat(r.iterations()).as("L-BFGS on an 8-dimensional quadratic").isLessThan(60);
    }

    @Test
    void minimisesRosenbrocksFunctionToTheTolerance() {
        Lbfgs.Result r = Lbfgs.minimize(LbfgsTest::rosenbrock, new double[] {-1.2, 1}, new Lbfgs.Settings(5, 1000, 1e-8));
        assertThat(r.termination()).isEqualTo(Lbfgs.Termination.CONVERGED);
        assertThat(r.x()[0]).isCloseTo(1, offset(1e-6));
        assertThat(r.x()[1]).isCloseTo(1, offset(1e-6));
        assertThat(r.value()).isLessThan(1e-12);
    }

    @Test
    void stopsAtTheIterationLimit() {
        Lbfgs.Result r = Lbfgs.minimize(LbfgsTest::rosenbrock, new double[] {-1.2, 1}, new Lbfgs.Settings(5, 3, 1e-12));
        assertThat(r.termination()).isEqualTo(Lbfgs.Termination.MAX_ITERATIONS);
        assertThat(r.iterations()).isEqualTo(3);
        assertThat(r.value()).as("three iterations still go downhill").isLessThan(rosenbrock(new double[] {-1.2, 1}, new double[2]));
        Lbfgs.Result none = Lbfgs.minimize(LbfgsTest::rosenbrock, new double[] {-1.2, 1}, new Lbfgs.Settings(5, 0, 1e-12));
        assertThat(none.iterations()).isZero();
        assertThat(none.evaluations()).isEqualTo(1);
        assertThat(none.x()).containsExactly(-1.2, 1);
    }

    @Test
    void theSameProblemGivesTheSameIteratesBitForBit() {
        Ridge ridge = Ridge.random(100, 6, 1e-2, 5);
        double[] start = {1, -1, 2, 0, 0.5, 3};
        Lbfgs.Result a = Lbfgs.minimize(ridge, start, new Lbfgs.Settings(4, 7, 0));
        Lbfgs.Result b = Lbfgs.minimize(ridge, start, new Lbfgs.Settings(4, 7, 0));
        assertThat(b.x()).containsExactly(a.x());
        assertThat(b.value()).isEqualTo(a.value());
        assertThat(start).as("the start is not modified").containsExactly(1, -1, 2, 0, 0.5, 3);
    }

    @Test
    void aFlatObjectiveStallsInsteadOfLooping() {
        // the gradient says downhill but no step lowers the value (as when rounding hides the last digits)
        Lbfgs.Objective steps = (x, g) -> {
            g[0] = 1;
            return 1;
        };
        Lbfgs.Result r = Lbfgs.minimize(steps, new double[] {0.5}, new Lbfgs.Settings(5, 100, 1e-9));
        assertThat(r.termination()).isEqualTo(Lbfgs.Termination.STALLED);
        assertThat(r.x()).containsExactly(0.5);
    }

    @Test
    void aNonFiniteStartIsAnError() {
        assertThatThrownBy(() -> Lbfgs.minimize((x, g) -> Double.NaN, new double[] {0}, new Lbfgs.Settings(5, 10, 1e-6)))
                .isInstanceOf(ArithmeticException.class).hasMessageContaining("starting point");
        assertThatThrownBy(() -> new Lbfgs.Settings(0, 10, 1e-6)).hasMessageContaining("memory");
    }

    @Test
    void theCubicStepIsExactForACubic() {
        // f(t) = t³ − 3t, f'(t) = 3t² − 3: the local minimum between 0 and 3 is at t = 1
        double a = 0;
        double b = 3;
        double t = Lbfgs.cubicMinimum(a, a * a * a - 3 * a, 3 * a * a - 3, b, b * b * b - 3 * b, 3 * b * b - 3);
        assertThat(t).isCloseTo(1, offset(1e-12));
    }
}
