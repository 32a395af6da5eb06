package dev.graft.adapters.nn;

import java.util.Arrays;
import java.util.Objects;

/**
 * Limited-memory BFGS (Nocedal &amp; Wright, <i>Numerical Optimization</i>, 2nd ed., Algorithm 7.5) for smooth
 * objectives over a flat {@code double[]}: the two-loop recursion over the last {@link Settings#memory()} pairs
 * {@code (s, y)} with the initial scaling {@code γ = sᵀy / yᵀy}, and a line search that satisfies the strong Wolfe
 * conditions ({@code c₁ = 1e-4}, {@code c₂ = 0.9}; Algorithms 3.5 and 3.6: bracketing, then zooming with safeguarded
 * cubic interpolation). A pair whose curvature {@code sᵀy} is not clearly positive is not stored. Near the minimum,
 * where the objective's values differ by less than their rounding (a float forward pass, say), a step is also
 * accepted on Hager &amp; Zhang's approximate Wolfe condition: a value within {@code 1e-6·|f|} of the start and a
 * slope meeting the curvature condition — the slopes stay informative after the values have stopped being.
 *
 * <p>Stops when the gradient's Euclidean norm is at most {@link Settings#gradientTolerance()} ({@link
 * Termination#CONVERGED}), after {@link Settings#maxIterations()} iterations ({@link Termination#MAX_ITERATIONS}), or
 * when no step along the search direction lowers the objective any more at working precision ({@link
 * Termination#STALLED}: the gradient is then as small as the objective's rounding lets it get). Sequential double
 * arithmetic throughout: the same objective and start give the same iterates, bit for bit.
 */
public final class Lbfgs {
    private static final double C1 = 1e-4;
    private static final double C2 = 0.9;
    private static final int MAX_LINE_SEARCH = 30;
    /** Relative slack of Hager &amp; Zhang's approximate Wolfe conditions (their ε). */
    private static final double APPROXIMATE = 1e-6;

    /** A differentiable function. */
    @FunctionalInterface
    public interface Objective {
        /**
         * Returns {@code f(x)} and writes {@code ∇f(x)} into {@code gradient} (same length as {@code x}). Must not
         * modify {@code x}.
         */
        double evaluate(double[] x, double[] gradient);
    }

    /** Receives each iteration's progress (for logs). */
    @FunctionalInterface
    public interface Listener {
        Listener NONE = (iteration, value, gradientNorm) -> {
        };

        void onIteration(int iteration, double value, double gradientNorm);
    }

    /**
     * @param memory            correction pairs kept (5–20 is usual)
     * @param maxIterations     most iterations (each one a line search of usually one evaluation)
     * @param gradientTolerance stop once {@code ‖∇f‖₂} is at most this
     */
    public record Settings(int memory, int maxIterations, double gradientTolerance) {
        public Settings {
            if (memory < 1) {
                throw new IllegalArgumentException("l-bfgs: memory must be >= 1, got " + memory);
            }
            if (maxIterations < 0) {
                throw new IllegalArgumentException("l-bfgs: maxIterations must be >= 0, got " + maxIterations);
            }
            if (!(gradientTolerance >= 0) || Double.isInfinite(gradientTolerance)) {
                throw new IllegalArgumentException("l-bfgs: gradientTolerance must be finite and >= 0, got " + gradientTolerance);
            }
        }
    }

    /** Why the minimisation stopped. */
    public enum Termination {
        /** {@code ‖∇f‖₂ ≤ gradientTolerance}. */
        CONVERGED,
        /** The iteration limit was reached first. */
        MAX_ITERATIONS,
        /** No step lowers the objective any more at working precision. */
        STALLED
    }

    /**
     * @param x            the last iterate (the lowest objective seen)
     * @param value        {@code f(x)}
     * @param gradientNorm {@code ‖∇f(x)‖₂}
     * @param iterations   iterations taken
     * @param evaluations  objective evaluations, including the one at the start
     */
    public record Result(double[] x, double value, double gradientNorm, int iterations, int evaluations,
                         Termination termination) {
    }

    private Lbfgs() {
    }

    /** Minimises {@code f} from {@code start} (not modified). */
    public static Result minimize(Objective f, double[] start, Settings settings) {
        return minimize(f, start, settings, Listener.NONE);
    }

    /** Minimises {@code f} from {@code start} (not modified), reporting each iteration to {@code listener}. */
    public static Result minimize(Objective f, double[] start, Settings settings, Listener listener) {
        Objects.requireNonNull(f, "f");
        Objects.requireNonNull(settings, "settings");
        Listener events = listener == null ? Listener.NONE : listener;
        int n = start.length;
        int m = settings.memory();
        double[] x = start.clone();
        double[] g = new double[n];
        Counter count = new Counter(f, n);
        double fx = count.evaluate(x, g);
        if (!Double.isFinite(fx)) {
            throw new ArithmeticException("l-bfgs: the objective is " + fx + " at the starting point");
        }
        double[][] s = new double[m][];
        double[][] y = new double[m][];
        double[] rho = new double[m];
        double[] alpha = new double[m];
        int stored = 0;
        int newest = -1;
        double[] d = new double[n];
        double[] xNew = new double[n];
        double[] gNew = new double[n];
        double gNorm = norm(g);
        int iteration = 0;
        while (true) {
            if (gNorm <= settings.gradientTolerance()) {
                return new Result(x, fx, gNorm, iteration, count.evaluations, Termination.CONVERGED);
            }
            if (iteration >= settings.maxIterations()) {
                return new Result(x, fx, gNorm, iteration, count.evaluations, Termination.MAX_ITERATIONS);
            }
            // d = −H·g by the two-loop recursion (newest pair first, then oldest first).
            for (int i = 0; i < n; i++) {
                d[i] = -g[i];
            }
            for (int k = 0; k < stored; k++) {
                int j = Math.floorMod(newest - k, m);
                alpha[j] = rho[j] * dot(s[j], d);
                axpy(-alpha[j], y[j], d);
            }
            double initialStep = 1.0;
            if (stored > 0) {
                double gamma = dot(s[newest], y[newest]) / dot(y[newest], y[newest]);
                scale(d, gamma);
                for (int k = stored - 1; k >= 0; k--) {
                    int j = Math.floorMod(newest - k, m);
                    double beta = rho[j] * dot(y[j], d);
                    axpy(alpha[j] - beta, s[j], d);
                }
            } else {
                initialStep = Math.min(1.0, 1.0 / gNorm);
            }
            double slope = dot(g, d);
            if (!(slope < 0)) {
                // Not a descent direction (rounding in the memory): forget it and go downhill.
                stored = 0;
                for (int i = 0; i < n; i++) {
                    d[i] = -g[i];
                }
                slope = -gNorm * gNorm;
                initialStep = Math.min(1.0, 1.0 / gNorm);
            }
            double step = lineSearch(count, x, fx, g, d, slope, initialStep, xNew, gNew);
            if (step <= 0) {
                if (stored > 0) {
                    stored = 0;      // retry once from steepest descent before giving up
                    continue;
                }
                return new Result(x, fx, gNorm, iteration, count.evaluations, Termination.STALLED);
            }
            iteration++;
            double[] sNew = new double[n];
            double[] yNew = new double[n];
            for (int i = 0; i < n; i++) {
                sNew[i] = xNew[i] - x[i];
                yNew[i] = gNew[i] - g[i];
            }
            double sy = dot(sNew, yNew);
            if (sy > 1e-10 * dot(yNew, yNew)) {
                newest = (newest + 1) % m;
                s[newest] = sNew;
                y[newest] = yNew;
                rho[newest] = 1.0 / sy;
                stored = Math.min(stored + 1, m);
            }
            System.arraycopy(xNew, 0, x, 0, n);
            System.arraycopy(gNew, 0, g, 0, n);
            fx = count.lastValue;
            gNorm = norm(g);
            events.onIteration(iteration, fx, gNorm);
        }
    }

    /**
     * A step {@code a > 0} along {@code d} meeting the strong Wolfe conditions, with {@code x + a·d} and its gradient
     * left in {@code xOut}/{@code gOut} and its value in {@code count.lastValue}; or, when none can be found, the
     * lowest trial point that still satisfies sufficient decrease; or 0 when no trial lowered the objective.
     */
    private static double lineSearch(Counter f, double[] x, double f0, double[] g0, double[] d, double slope0,
                                     double initialStep, double[] xOut, double[] gOut) {
        double previousStep = 0;
        double previousValue = f0;
        double previousSlope = slope0;
        double step = initialStep;
        for (int i = 0; i < MAX_LINE_SEARCH; i++) {
            double value = f.at(x, d, step, xOut, gOut);
            double slope = dot(gOut, d);
            if (approximatelyWolfe(f0, value, slope0, slope)) {
                return step;
            }
            if (!Double.isFinite(value) || value > f0 + C1 * step * slope0 || (i > 0 && value >= previousValue)) {
                return zoom(f, x, f0, d, slope0, previousStep, previousValue, previousSlope, step, value, slope, xOut, gOut);
            }
            if (Math.abs(slope) <= -C2 * slope0) {
                return step;
            }
            if (slope >= 0) {
                return zoom(f, x, f0, d, slope0, step, value, slope, previousStep, previousValue, previousSlope, xOut, gOut);
            }
            double next = cubicMinimum(previousStep, previousValue, previousSlope, step, value, slope);
            // extrapolate: at least 1.1× further, at most 4×
            double lower = step * 1.1;
            double upper = step * 4;
            next = Double.isFinite(next) && next > lower && next < upper ? next : Math.min(upper, 2 * step);
            previousStep = step;
            previousValue = value;
            previousSlope = slope;
            step = next;
        }
        return fallback(f, x, d, previousStep, previousValue, f0, slope0, xOut, gOut);
    }

    private static double zoom(Counter f, double[] x, double f0, double[] d, double slope0,
                               double lo, double fLo, double dLo, double hi, double fHi, double dHi,
                               double[] xOut, double[] gOut) {
        for (int i = 0; i < MAX_LINE_SEARCH; i++) {
            double width = Math.abs(hi - lo);
            if (width <= 1e-16 * Math.max(1.0, Math.max(Math.abs(lo), Math.abs(hi)))) {
                break;
            }
            double a = Double.isFinite(fHi) ? cubicMinimum(lo, fLo, dLo, hi, fHi, dHi) : Double.NaN;
            double left = Math.min(lo, hi);
            double right = Math.max(lo, hi);
            if (!Double.isFinite(a) || a < left + 0.1 * width || a > right - 0.1 * width) {
                a = 0.5 * (lo + hi);
            }
            double value = f.at(x, d, a, xOut, gOut);
            double slope = dot(gOut, d);
            if (approximatelyWolfe(f0, value, slope0, slope)) {
                return a;
            }
            if (!Double.isFinite(value) || value > f0 + C1 * a * slope0 || value >= fLo) {
                hi = a;
                fHi = value;
                dHi = slope;
            } else {
                if (Math.abs(slope) <= -C2 * slope0) {
                    return a;
                }
                if (slope * (hi - lo) >= 0) {
                    hi = lo;
                    fHi = fLo;
                    dHi = dLo;
                }
                lo = a;
                fLo = value;
                dLo = slope;
            }
        }
        return fallback(f, x, d, lo, fLo, f0, slope0, xOut, gOut);
    }

    /** A value within the rounding slack of the start and a slope that meets the strong curvature condition. */
    private static boolean approximatelyWolfe(double f0, double value, double slope0, double slope) {
        return value <= f0 + APPROXIMATE * Math.abs(f0) && Math.abs(slope) <= -C2 * slope0;
    }

    /** The step {@code lo} if it lowered the objective (re-evaluated there so xOut/gOut match it), else 0. */
    private static double fallback(Counter f, double[] x, double[] d, double lo, double fLo, double f0, double slope0,
                                   double[] xOut, double[] gOut) {
        if (lo > 0 && fLo < f0 && fLo <= f0 + C1 * lo * slope0) {
            f.at(x, d, lo, xOut, gOut);
            return lo;
        }
        return 0;
    }

    /**
     * The minimiser of the cubic through {@code (a, fa)} and {@code (b, fb)} with slopes {@code da}, {@code db}
     * (Nocedal &amp; Wright eq. 3.59), or NaN when it has none.
     */
    static double cubicMinimum(double a, double fa, double da, double b, double fb, double db) {
        if (a == b) {
            return Double.NaN;
        }
        double d1 = da + db - 3 * (fa - fb) / (a - b);
        double disc = d1 * d1 - da * db;
        if (!(disc >= 0)) {
            return Double.NaN;
        }
        double d2 = Math.signum(b - a) * Math.sqrt(disc);
        double denominator = db - da + 2 * d2;
        if (denominator == 0) {
            return Double.NaN;
        }
        return b - (b - a) * (db + d2 - d1) / denominator;
    }

    /** Counts evaluations and remembers the last value. */
    private static final class Counter {
        final Objective f;
        int evaluations;
        double lastValue;

        Counter(Objective f, int n) {
            this.f = f;
        }

        double evaluate(double[] x, double[] g) {
            evaluations++;
            Arrays.fill(g, 0);
            lastValue = f.evaluate(x, g);
            return lastValue;
        }

        double at(double[] x, double[] d, double step, double[] xOut, double[] gOut) {
            for (int i = 0; i < x.length; i++) {
                xOut[i] = x[i] + step * d[i];
            }
            return evaluate(xOut, gOut);
        }
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }

    private static void axpy(double alpha, double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) {
            y[i] += alpha * x[i];
        }
    }

    private static void scale(double[] a, double factor) {
        for (int i = 0; i < a.length; i++) {
            a[i] *= factor;
        }
    }
}
