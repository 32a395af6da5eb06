package dev.graft.adapters.nn;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam with decoupled weight decay (Loshchilov &amp; Hutter), with PyTorch's {@code torch.optim.AdamW} update:
 * <pre>
 *   θ ← θ·(1 − lr·λ)                 only for parameters with decayed() = true
 *   m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²
 *   θ ← θ − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
 * </pre>
 * The moments live here, keyed by parameter identity, and each parameter counts its own steps {@code t}. The
 * learning rate is settable between steps so a schedule can drive it.
 */
public final class AdamW {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private double learningRate;
    private final Map<Parameter, State> states = new IdentityHashMap<>();

    private static final class State {
        final float[] m;
        final float[] v;
        long step;

        State(int size) {
            m = new float[size];
            v = new float[size];
        }
    }

    /** AdamW with β₁ = 0.9, β₂ = 0.999, ε = 1e-8. */
    public AdamW(double learningRate, double weightDecay) {
        this(learningRate, 0.9, 0.999, 1e-8, weightDecay);
    }

    public AdamW(double learningRate, double beta1, double beta2, double eps, double weightDecay) {
        learningRate(learningRate);
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("adamw: betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("adamw: eps must be positive, got " + eps);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("adamw: weight decay must be finite and >= 0, got " + weightDecay);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    public double learningRate() {
        return learningRate;
    }

    /** Sets the learning rate used by the following steps (for schedules). */
    public void learningRate(double learningRate) {
        if (!(learningRate >= 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("adamw: learning rate must be finite and >= 0, got " + learningRate);
        }
        this.learningRate = learningRate;
    }

    public double weightDecay() {
        return weightDecay;
    }

    /** One update of every parameter from its accumulated gradient. Does not zero the gradients. */
    public void step(List<Parameter> parameters) {
        for (Parameter p : parameters) {
            State s = states.computeIfAbsent(p, q -> new State(q.size()));
            s.step++;
            double bc1 = 1.0 - Math.pow(beta1, s.step);
            double bc2Sqrt = Math.sqrt(1.0 - Math.pow(beta2, s.step));
            float stepSize = (float) (learningRate / bc1);
            float invBc2Sqrt = (float) (1.0 / bc2Sqrt);
            float decay = p.decayed() ? (float) (1.0 - learningRate * weightDecay) : 1f;
            float b1 = (float) beta1;
            float b2 = (float) beta2;
            float c1 = (float) (1.0 - beta1);
            float c2 = (float) (1.0 - beta2);
            float e = (float) eps;
            float[] theta = p.values();
            float[] g = p.grads();
            float[] m = s.m;
            float[] v = s.v;
            for (int i = 0; i < theta.length; i++) {
                float gi = g[i];
                m[i] = b1 * m[i] + c1 * gi;
                v[i] = b2 * v[i] + c2 * gi * gi;
                float denom = (float) Math.sqrt(v[i]) * invBc2Sqrt + e;
                theta[i] = theta[i] * decay - stepSize * m[i] / denom;
            }
        }
    }

    /** Steps taken so far for {@code p} (0 before its first step). */
    public long steps(Parameter p) {
        State s = states.get(p);
        return s == null ? 0 : s.step;
    }

    /** Zeroes every parameter's gradient. */
    public static void zeroGrad(List<Parameter> parameters) {
        for (Parameter p : parameters) {
            p.zeroGrad();
        }
    }

    /**
     * Scales all gradients so their global L2 norm is at most {@code maxNorm} (PyTorch's {@code clip_grad_norm_}:
     * factor {@code maxNorm / (norm + 1e-6)} when the norm exceeds {@code maxNorm}).
     *
     * @return the global norm before clipping
     */
    public static double clipGradNorm(List<Parameter> parameters, double maxNorm) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("clipGradNorm: maxNorm must be positive, got " + maxNorm);
        }
        double sq = 0;
        for (Parameter p : parameters) {
            for (float g : p.grads()) {
                sq += (double) g * g;
            }
        }
        double norm = Math.sqrt(sq);
        if (norm > maxNorm) {
            float factor = (float) (maxNorm / (norm + 1e-6));
            for (Parameter p : parameters) {
                float[] g = p.grads();
                for (int i = 0; i < g.length; i++) {
                    g[i] *= factor;
                }
            }
        }
        return norm;
    }
}
