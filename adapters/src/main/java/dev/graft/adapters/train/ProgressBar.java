package dev.graft.adapters.train;

import java.io.Console;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Objects;

/**
 * A {@link TrainingListener} that prints progress. On a terminal it keeps one line up to date with {@code \r}
 * (epoch, a bar, running loss, last validation metric, examples per second); elsewhere (CI logs, files) it
 * prints one plain line per epoch. Either way it ends with a line naming the best epoch.
 */
public final class ProgressBar implements TrainingListener {
    private static final int WIDTH = 30;

    private final PrintStream out;
    private final boolean interactive;
    private int epochs;
    private String metricName = "metric";
    private double lastMetric = Double.NaN;
    private long epochStart;
    private int lastCells = -1;
    private int lastLength;

    /** Interactive exactly when the JVM runs on a terminal. */
    public ProgressBar(PrintStream out) {
        this(out, isTerminal());
    }

    public ProgressBar(PrintStream out, boolean interactive) {
        this.out = Objects.requireNonNull(out, "out");
        this.interactive = interactive;
    }

    private static boolean isTerminal() {
        Console console = System.console();
        return console != null && console.isTerminal();
    }

    public boolean interactive() {
        return interactive;
    }

    @Override
    public void onStart(int epochs, int batchesPerEpoch, int trainExamples, int validationExamples, String metricName) {
        this.epochs = epochs;
        this.metricName = metricName;
        this.epochStart = System.nanoTime();
        out.println(String.format(Locale.ROOT, "training on %,d examples (%,d batches per epoch), validating on %,d",
                trainExamples, batchesPerEpoch, validationExamples));
    }

    @Override
    public void onBatch(int epoch, int batch, int batches, double runningLoss) {
        if (!interactive) {
            return;
        }
        if (batch == 1) {
            epochStart = System.nanoTime();
            lastCells = -1;
        }
        int cells = (int) ((long) batch * WIDTH / batches);
        if (cells == lastCells && batch != batches) {
            return;
        }
        lastCells = cells;
        double seconds = (System.nanoTime() - epochStart) / 1e9;
        double rate = seconds > 0 ? batch / seconds : 0;
        draw(String.format(Locale.ROOT, "epoch %d/%d [%s%s] loss %.4f %s %s %,.0f batches/s", epoch, epochs,
                "#".repeat(cells), ".".repeat(WIDTH - cells), runningLoss, metricName, format(lastMetric), rate));
    }

    @Override
    public void onEpoch(EpochStats stats, boolean improved) {
        lastMetric = stats.validationMetric();
        String line = String.format(Locale.ROOT, "epoch %d/%d train loss %.4f val loss %s val %s %s %,.0f ex/s %.1f s%s",
                stats.epoch(), epochs, stats.trainLoss(), format(stats.validationLoss()), metricName,
                format(stats.validationMetric()), stats.examplesPerSecond(), stats.seconds(), improved ? " *" : "");
        if (interactive) {
            draw(line);
        } else {
            out.println(line);
        }
    }

    @Override
    public void onFinish(TrainingResult result) {
        if (interactive) {
            out.println();
        }
        out.println(String.format(Locale.ROOT, "best epoch %d of %d: val %s %s%s", result.bestEpoch(), result.epochsRun(),
                metricName, format(result.bestMetric()), result.stoppedEarly() ? " (stopped early)" : ""));
        out.flush();
    }

    private void draw(String line) {
        int pad = Math.max(0, lastLength - line.length());
        out.print("\r" + line + " ".repeat(pad));
        out.flush();
        lastLength = line.length();
    }

    private static String format(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4f", v);
    }
}
