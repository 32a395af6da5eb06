package dev.graft.adapters.nn;

/**
 * Mean squared error {@code Σ (yᵢ − tᵢ)² / n} over all {@code n = rows × outputs} values, PyTorch's
 * {@code nn.MSELoss()}; the gradient is {@code 2(y − t)/n}.
 */
public final class MeanSquaredError {
    private final int outputs;

    public MeanSquaredError(int outputs) {
        if (outputs < 1) {
            throw new IllegalArgumentException("mse: outputs must be positive, got " + outputs);
        }
        this.outputs = outputs;
    }

    public int outputs() {
        return outputs;
    }

    /** Loss and gradient; {@code targets} is laid out like the predictions ({@code rows × outputs}). */
    public LossResult compute(float[] predictions, int rows, float[] targets) {
        int n = rows * outputs;
        if (predictions.length < n || targets.length < n) {
            throw new IllegalArgumentException("mse: need " + rows + " rows × " + outputs + " predictions and targets, got "
                    + predictions.length + " predictions and " + targets.length + " targets");
        }
        float[] grad = new float[n];
        double sum = 0;
        double scale = n == 0 ? 0 : 2.0 / n;
        for (int i = 0; i < n; i++) {
            double d = (double) predictions[i] - targets[i];
            sum += d * d;
            grad[i] = (float) (scale * d);
        }
        return new LossResult(n == 0 ? 0 : sum / n, n, grad);
    }
}
