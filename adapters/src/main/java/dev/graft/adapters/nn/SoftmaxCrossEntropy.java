package dev.graft.adapters.nn;

import java.util.Arrays;

/**
 * Softmax cross-entropy over logits, with optional per-class weights, matching PyTorch's
 * {@code nn.CrossEntropyLoss(weight=…, reduction="mean")}: the loss is {@code Σᵢ w[yᵢ]·nllᵢ / Σᵢ w[yᵢ]} (the plain
 * mean when unweighted). The log-softmax is computed in double after subtracting the row maximum, so huge logits
 * neither overflow nor lose the small probabilities.
 */
public final class SoftmaxCrossEntropy {
    private final int classes;
    private final float[] classWeights;

    /** Unweighted loss over {@code classes} classes. */
    public SoftmaxCrossEntropy(int classes) {
        if (classes < 1) {
            throw new IllegalArgumentException("cross-entropy: classes must be positive, got " + classes);
        }
        this.classes = classes;
        this.classWeights = null;
    }

    /** Loss with one non-negative weight per class (e.g. inverse class frequencies). */
    public SoftmaxCrossEntropy(float[] classWeights) {
        if (classWeights == null || classWeights.length == 0) {
            throw new IllegalArgumentException("cross-entropy: class weights must hold one weight per class");
        }
        for (int c = 0; c < classWeights.length; c++) {
            if (!(classWeights[c] >= 0) || Float.isInfinite(classWeights[c])) {
                throw new IllegalArgumentException("cross-entropy: class weight " + c + " must be finite and >= 0, got "
                        + classWeights[c]);
            }
        }
        this.classes = classWeights.length;
        this.classWeights = classWeights.clone();
    }

    public int classes() {
        return classes;
    }

    /** The class weights, or {@code null} when unweighted. */
    public float[] classWeights() {
        return classWeights == null ? null : classWeights.clone();
    }

    /**
     * Loss and gradient over {@code rows} rows of {@code classes} logits.
     *
     * @throws IllegalArgumentException if a label is outside {@code [0, classes)}
     */
    public LossResult compute(float[] logits, int rows, int[] labels) {
        if (logits.length < (long) rows * classes || labels.length < rows) {
            throw new IllegalArgumentException("cross-entropy: need " + rows + " rows × " + classes + " logits and " + rows
                    + " labels, got " + logits.length + " logits and " + labels.length + " labels");
        }
        float[] grad = new float[rows * classes];
        double[] p = new double[classes];
        double total = 0;
        double weightSum = 0;
        double[] rowWeight = new double[rows];
        for (int r = 0; r < rows; r++) {
            int y = labels[r];
            if (y < 0 || y >= classes) {
                throw new IllegalArgumentException("cross-entropy: label " + y + " of row " + r + " is outside [0, " + classes + ")");
            }
            int o = r * classes;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                max = Math.max(max, logits[o + c]);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                p[c] = Math.exp(logits[o + c] - max);
                sum += p[c];
            }
            double logZ = max + Math.log(sum);
            double w = classWeights == null ? 1.0 : classWeights[y];
            total += w * (logZ - logits[o + y]);
            weightSum += w;
            rowWeight[r] = w;
            for (int c = 0; c < classes; c++) {
                p[c] /= sum;
                grad[o + c] = (float) p[c];
            }
        }
        double scale = weightSum > 0 ? 1.0 / weightSum : 0.0;
        for (int r = 0; r < rows; r++) {
            int o = r * classes;
            double ws = rowWeight[r] * scale;
            for (int c = 0; c < classes; c++) {
                double g = grad[o + c];
                if (c == labels[r]) {
                    g -= 1.0;
                }
                grad[o + c] = (float) (g * ws);
            }
        }
        double loss = weightSum > 0 ? total / weightSum : 0.0;
        return new LossResult(loss, weightSum, grad);
    }

    @Override
    public String toString() {
        return "SoftmaxCrossEntropy[" + classes + (classWeights == null ? "" : ", weights " + Arrays.toString(classWeights)) + "]";
    }
}
