package dev.graft.adapters.metrics;

import java.util.List;
import java.util.Locale;

/**
 * Classification scores from gold and predicted class indices: accuracy, per-class precision / recall / F1, their
 * macro averages and the confusion matrix.
 *
 * <p>Conventions follow scikit-learn's {@code precision_recall_fscore_support} / {@code f1_score(average="macro")}
 * with its default {@code labels=None}: the macro average is the unweighted mean over the classes that
 * <em>appear</em> — in the gold labels or in the predictions — so a class of the label set that the evaluation
 * split never mentions does not drag the mean down, while a gold class the model never predicts counts with
 * F1 = 0. A ratio with a zero denominator (the precision of a class never predicted) is 0, as scikit-learn reports
 * it (with a warning). Per-class F1 is {@code 2·tp / (2·tp + fp + fn)}, equal to the harmonic mean of precision
 * and recall.
 */
public final class ClassificationMetrics {
    private final int numClasses;
    private final long[][] confusion; // [gold][predicted]
    private final long total;
    private final long correct;
    private final long[] support;
    private final long[] predictedCount;
    private final double[] precision;
    private final double[] recall;
    private final double[] f1;
    private final int presentClasses;
    private final double macroPrecision;
    private final double macroRecall;
    private final double macroF1;

    private ClassificationMetrics(int numClasses, long[][] confusion) {
        this.numClasses = numClasses;
        this.confusion = confusion;
        this.support = new long[numClasses];
        this.predictedCount = new long[numClasses];
        long t = 0;
        long c = 0;
        for (int g = 0; g < numClasses; g++) {
            for (int p = 0; p < numClasses; p++) {
                long n = confusion[g][p];
                t += n;
                support[g] += n;
                predictedCount[p] += n;
                if (g == p) {
                    c += n;
                }
            }
        }
        this.total = t;
        this.correct = c;
        this.precision = new double[numClasses];
        this.recall = new double[numClasses];
        this.f1 = new double[numClasses];
        int present = 0;
        double sumP = 0;
        double sumR = 0;
        double sumF = 0;
        for (int k = 0; k < numClasses; k++) {
            long tp = confusion[k][k];
            precision[k] = ratio(tp, predictedCount[k]);
            recall[k] = ratio(tp, support[k]);
            f1[k] = ratio(2 * tp, support[k] + predictedCount[k]);
            if (present(k)) {
                present++;
                sumP += precision[k];
                sumR += recall[k];
                sumF += f1[k];
            }
        }
        this.presentClasses = present;
        this.macroPrecision = sumP / present;
        this.macroRecall = sumR / present;
        this.macroF1 = sumF / present;
    }

    /**
     * Scores {@code predicted} against {@code gold}; both hold class indices in {@code [0, numClasses)}, one per
     * example, and must be equally long and non-empty.
     */
    public static ClassificationMetrics of(int[] gold, int[] predicted, int numClasses) {
        if (numClasses <= 0) {
            throw new IllegalArgumentException("numClasses must be positive, got " + numClasses);
        }
        if (gold.length != predicted.length) {
            throw new IllegalArgumentException("gold has " + gold.length + " labels but predicted has " + predicted.length);
        }
        if (gold.length == 0) {
            throw new IllegalArgumentException("no examples to score");
        }
        long[][] confusion = new long[numClasses][numClasses];
        for (int i = 0; i < gold.length; i++) {
            check("gold", i, gold[i], numClasses);
            check("predicted", i, predicted[i], numClasses);
            confusion[gold[i]][predicted[i]]++;
        }
        return new ClassificationMetrics(numClasses, confusion);
    }

    /** Size of the label set the indices refer to. */
    public int numClasses() {
        return numClasses;
    }

    /** Number of examples scored. */
    public long total() {
        return total;
    }

    /** Number of examples predicted correctly. */
    public long correct() {
        return correct;
    }

    /** correct / total. */
    public double accuracy() {
        return (double) correct / total;
    }

    /** Whether class {@code k} appears in the gold labels or the predictions (and so counts in the macro mean). */
    public boolean present(int k) {
        return support[k] > 0 || predictedCount[k] > 0;
    }

    /** Number of classes the macro averages are taken over. */
    public int presentClasses() {
        return presentClasses;
    }

    /** Unweighted mean of per-class F1 over the {@link #present(int) present} classes. */
    public double macroF1() {
        return macroF1;
    }

    /** Unweighted mean of per-class precision over the present classes. */
    public double macroPrecision() {
        return macroPrecision;
    }

    /** Unweighted mean of per-class recall over the present classes. */
    public double macroRecall() {
        return macroRecall;
    }

    /** tp / (tp + fp) for class {@code k}; 0 when {@code k} is never predicted. */
    public double precision(int k) {
        return precision[k];
    }

    /** tp / (tp + fn) for class {@code k}; 0 when {@code k} never occurs in gold. */
    public double recall(int k) {
        return recall[k];
    }

    /** F1 of class {@code k}; 0 when it is neither in gold nor predicted. */
    public double f1(int k) {
        return f1[k];
    }

    /** Number of gold examples of class {@code k}. */
    public long support(int k) {
        return support[k];
    }

    /** Number of examples predicted as class {@code k}. */
    public long predictedCount(int k) {
        return predictedCount[k];
    }

    /** Number of examples of gold class {@code gold} predicted as {@code predicted}. */
    public long count(int gold, int predicted) {
        return confusion[gold][predicted];
    }

    /** A copy of the confusion matrix, indexed {@code [gold][predicted]}. */
    public long[][] confusion() {
        long[][] copy = new long[numClasses][];
        for (int g = 0; g < numClasses; g++) {
            copy[g] = confusion[g].clone();
        }
        return copy;
    }

    /**
     * A plain-text table in the spirit of scikit-learn's {@code classification_report}: one row per present class
     * (precision, recall, F1, support), then accuracy and the macro averages.
     */
    public String report(List<String> classNames) {
        if (classNames.size() != numClasses) {
            throw new IllegalArgumentException("need " + numClasses + " class names, got " + classNames.size());
        }
        int width = Math.max(12, classNames.stream().mapToInt(String::length).max().orElse(0));
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-" + width + "s %9s %9s %9s %9s%n", "", "precision", "recall", "f1", "support"));
        for (int k = 0; k < numClasses; k++) {
            if (present(k)) {
                sb.append(String.format(Locale.ROOT, "%-" + width + "s %9.4f %9.4f %9.4f %9d%n",
                        classNames.get(k), precision[k], recall[k], f1[k], support[k]));
            }
        }
        sb.append(String.format(Locale.ROOT, "%n%-" + width + "s %9s %9s %9.4f %9d%n", "accuracy", "", "", accuracy(), total));
        sb.append(String.format(Locale.ROOT, "%-" + width + "s %9.4f %9.4f %9.4f %9d%n", "macro avg",
                macroPrecision, macroRecall, macroF1, total));
        return sb.toString();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "accuracy %.4f (%d/%d), macro-F1 %.4f over %d classes",
                accuracy(), correct, total, macroF1, presentClasses);
    }

    private static double ratio(long numerator, long denominator) {
        return denominator == 0 ? 0.0 : (double) numerator / denominator;
    }

    private static void check(String which, int i, int label, int numClasses) {
        if (label < 0 || label >= numClasses) {
            throw new IllegalArgumentException(which + "[" + i + "] = " + label + " is outside [0, " + numClasses + ")");
        }
    }
}
