package dev.graft.adapters.train;

/**
 * Linear warm-up then linear decay to zero — Hugging Face's {@code get_linear_schedule_with_warmup}, the default of
 * its Trainer and of PEFT's examples: the rate climbs from 0 to {@code peak} over the first {@code warmupSteps}
 * steps, then falls linearly to 0 at {@code totalSteps}.
 */
public record LearningRateSchedule(double peak, long warmupSteps, long totalSteps) {
    public LearningRateSchedule {
        if (!(peak > 0) || warmupSteps < 0 || totalSteps < 1 || warmupSteps > totalSteps) {
            throw new IllegalArgumentException("learning-rate schedule: peak " + peak + ", warm-up " + warmupSteps
                    + " of " + totalSteps + " steps");
        }
    }

    /** A schedule warming up over {@code warmupRatio} of {@code totalSteps}. */
    public static LearningRateSchedule of(double peak, double warmupRatio, long totalSteps) {
        if (!(warmupRatio >= 0 && warmupRatio <= 1)) {
            throw new IllegalArgumentException("warm-up ratio must be in [0, 1], got " + warmupRatio);
        }
        return new LearningRateSchedule(peak, Math.round(warmupRatio * totalSteps), totalSteps);
    }

    /** The rate of 0-based step {@code step}. */
    public double at(long step) {
        if (step < warmupSteps) {
            return peak * (step + 1) / (warmupSteps + 1);
        }
        return peak * Math.max(0, totalSteps - step) / Math.max(1, totalSteps - warmupSteps);
    }
}
