package dev.graft.adapters.train;

import java.util.Random;

/** Synthetic data sets for the trainer tests. */
final class Synthetic {
    private Synthetic() {
    }

    /** Isotropic Gaussian blobs: class means drawn once from {@code meanSeed}, unit noise. */
    record Blobs(float[][] means, int dims) {
        static Blobs create(int classes, int dims, double spread, long meanSeed) {
            Random r = new Random(meanSeed);
            float[][] means = new float[classes][dims];
            for (float[] m : means) {
                for (int d = 0; d < dims; d++) {
                    m[d] = (float) (r.nextGaussian() * spread);
                }
            }
            return new Blobs(means, dims);
        }

        ArrayTrainingSet sample(int n, long seed) {
            Random r = new Random(seed);
            float[] x = new float[n * dims];
            int[] y = new int[n];
            for (int i = 0; i < n; i++) {
                y[i] = r.nextInt(means.length);
                for (int d = 0; d < dims; d++) {
                    x[i * dims + d] = (float) (means[y[i]][d] + r.nextGaussian());
                }
            }
            return ArrayTrainingSet.classification(x, dims, y);
        }

        /** Accuracy of the Bayes-optimal rule for this mixture (nearest true mean). */
        double bayesAccuracy(TrainingSet set) {
            float[] row = new float[dims];
            int correct = 0;
            for (int i = 0; i < set.size(); i++) {
                set.features(i, row, 0);
                int best = -1;
                double bestDistance = Double.POSITIVE_INFINITY;
                for (int c = 0; c < means.length; c++) {
                    double dist = 0;
                    for (int d = 0; d < dims; d++) {
                        double diff = row[d] - means[c][d];
                        dist += diff * diff;
                    }
                    if (dist < bestDistance) {
                        bestDistance = dist;
                        best = c;
                    }
                }
                if (best == set.label(i)) {
                    correct++;
                }
            }
            return (double) correct / set.size();
        }
    }

    /** Points in [−1, 1]² away from the axes, labelled by whether x and y have the same sign. */
    static ArrayTrainingSet xor(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * 2];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            float a = (float) ((0.1 + 0.9 * r.nextDouble()) * (r.nextBoolean() ? 1 : -1));
            float b = (float) ((0.1 + 0.9 * r.nextDouble()) * (r.nextBoolean() ? 1 : -1));
            x[2 * i] = a;
            x[2 * i + 1] = b;
            y[i] = (a > 0) == (b > 0) ? 1 : 0;
        }
        return ArrayTrainingSet.classification(x, 2, y);
    }
}
