package dev.graft.adapters.lora.merge;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * PEFT's {@code merge_utils} on flat double arrays of one shape ("task tensors", one per adapter): pruning by
 * magnitude or at random, the majority-sign mask, the disjoint merge, and the five combinations built from them.
 * Definitions as PEFT's (a {@code density} ≥ 1 prunes nothing, not even DARE's rescaling); two things cannot be
 * PEFT's bit for bit: DARE's random masks come from {@link SplittableRandom} seeded per tensor (PEFT draws them with
 * torch's global generator), and among elements of equal magnitude at the pruning threshold the lower index is kept
 * (torch's {@code topk} leaves that order unspecified).
 */
final class TaskTensors {
    private TaskTensors() {
    }

    /**
     * Combines {@code tensors} (equal lengths) with {@code weights} by {@code combine}.
     *
     * @param seeds one seed per tensor for DARE's masks (ignored by the other combinations)
     */
    static double[] combine(MergeMethod.Combine combine, List<double[]> tensors, double[] weights, double density,
                            MajoritySign sign, long[] seeds) {
        return switch (combine) {
            case TASK_ARITHMETIC -> weightedSum(tensors, weights);
            case MAGNITUDE_PRUNE -> weightedSum(tensors.stream().map(t -> magnitudePrune(t, density)).toList(), weights);
            case TIES -> ties(tensors.stream().map(t -> magnitudePrune(t, density)).toList(), weights, sign);
            case DARE_LINEAR -> weightedSum(randomPruned(tensors, density, seeds), weights);
            case DARE_TIES -> ties(randomPruned(tensors, density, seeds), weights, sign);
        };
    }

    /** Σ wᵢ·tᵢ ({@code task_arithmetic}). */
    static double[] weightedSum(List<double[]> tensors, double[] weights) {
        double[] out = new double[tensors.getFirst().length];
        for (int t = 0; t < tensors.size(); t++) {
            double[] x = tensors.get(t);
            double w = weights[t];
            for (int i = 0; i < out.length; i++) {
                out[i] += w * x[i];
            }
        }
        return out;
    }

    /** Elect the sign, weight, then the disjoint merge ({@code ties} after pruning). */
    private static double[] ties(List<double[]> pruned, double[] weights, MajoritySign method) {
        int n = pruned.getFirst().length;
        double[] sum = new double[n];
        int[] count = new int[n];
        for (int i = 0; i < n; i++) {
            double magnitude = 0;
            for (double[] x : pruned) {
                magnitude += method == MajoritySign.TOTAL ? x[i] : Math.signum(x[i]);
            }
            double majority = magnitude >= 0 ? 1 : -1;
            for (int t = 0; t < pruned.size(); t++) {
                double x = pruned.get(t)[i];
                if (Math.signum(x) == majority) { // a pruned (zero) element never agrees
                    sum[i] += weights[t] * x;
                    count[i]++;
                }
            }
        }
        for (int i = 0; i < n; i++) {
            sum[i] /= Math.max(count[i], 1);
        }
        return sum;
    }

    /**
     * Keeps the {@code (int) (density·n)} elements of largest magnitude ({@code magnitude_based_pruning}); a density
     * ≥ 1 keeps everything.
     */
    static double[] magnitudePrune(double[] x, double density) {
        if (density >= 1) {
            return x;
        }
        int k = (int) (density * x.length);
        double[] out = new double[x.length];
        if (k == 0) {
            return out;
        }
        double[] abs = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            abs[i] = Math.abs(x[i]);
        }
        double[] sorted = abs.clone();
        Arrays.sort(sorted);
        double threshold = sorted[x.length - k]; // the k-th largest magnitude
        int above = 0;
        for (double a : abs) {
            if (a > threshold) {
                above++;
            }
        }
        int equalToKeep = k - above;
        for (int i = 0; i < x.length; i++) {
            if (abs[i] > threshold) {
                out[i] = x[i];
            } else if (abs[i] == threshold && equalToKeep > 0) {
                out[i] = x[i];
                equalToKeep--;
            }
        }
        return out;
    }

    private static List<double[]> randomPruned(List<double[]> tensors, double density, long[] seeds) {
        if (density >= 1) {
            return tensors;
        }
        return java.util.stream.IntStream.range(0, tensors.size())
                .mapToObj(t -> randomPrune(tensors.get(t), density, seeds[t])).toList();
    }

    /** Keeps each element with probability {@code density} and divides the kept ones by it ({@code random_pruning}). */
    static double[] randomPrune(double[] x, double density, long seed) {
        boolean[] keep = randomMask(x.length, density, seed);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            if (keep[i]) {
                out[i] = x[i] / density;
            }
        }
        return out;
    }

    /** DARE's Bernoulli({@code density}) mask for {@code n} elements: the same for the same seed. */
    static boolean[] randomMask(int n, double density, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        boolean[] keep = new boolean[n];
        for (int i = 0; i < n; i++) {
            keep[i] = random.nextDouble() < density;
        }
        return keep;
    }
}
