package dev.graft.adapters.train;

import java.io.Console;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * A {@link TrainingListener} that prints progress. On a terminal it keeps one line up to date with {@code \r}
 * (epoch, a bar, running loss, last validation metric, batches per second); elsewhere (CI logs, files, pipes) it
 * prints one plain line per epoch, and within a slow epoch one every {@link StepProgress#LOG_INTERVAL_SECONDS}
 * seconds. Either way it ends with a line naming the best epoch. Without validation examples it says so when
 * training starts (every epoch runs, nothing is stopped early, no metric is recorded) and ends saying that the last
 * epoch is kept.
 */
public final class ProgressBar implements TrainingListener {
    private static final int WIDTH = 30;

    private final PrintStream out;
    private final boolean interactive;
    private int epochs;
    private String metricName = "metric";
    private double lastMetric = Double.NaN;
    private final LongSupplier nanoTime;
    private long epochStart;
    private long lastLine;
    private int lastCells = -1;
    private int lastLength;
    private boolean validating = true;

    /** Interactive exactly when {@code out} is the terminal ({@link #isTerminal(PrintStream)}). */
    public ProgressBar(PrintStream out) {
        this(out, isTerminal(out));
    }

    public ProgressBar(PrintStream out, boolean interactive) {
        this(out, interactive, System::nanoTime);
    }

    /**
     * @param interactive redraw one line, or print plain lines
     * @param nanoTime    the clock, for rates and for the plain lines' interval
     */
    public ProgressBar(PrintStream out, boolean interactive, LongSupplier nanoTime) {
        this.out = Objects.requireNonNull(out, "out");
        this.interactive = interactive;
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    }

    /**
     * Whether {@code out} writes to a terminal, where {@code \r} redraws a line: it must be {@link System#out} or
     * {@link System#err}, the JVM must have a terminal console ({@link Console#isTerminal()}), and where Linux tells
     * ({@code /proc/self/fd/1} or {@code 2}), that very stream must be a tty, not a file or pipe.
     */
    public static boolean isTerminal(PrintStream out) {
        int fd = out == System.out ? 1 : out == System.err ? 2 : -1;
        if (fd < 0) {
            return false;
        }
        Console console = System.console();
        if (console == null || !console.isTerminal()) {
            return false;
        }
        Path link = Path.of("/proc/self/fd/" + fd);
        try {
            String target = Files.readSymbolicLink(link).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return true; // no /proc: trust the console
        }
    }

    public boolean interactive() {
        return interactive;
    }

    @Override
    public void onStart(int epochs, int batchesPerEpoch, int trainExamples, int validationExamples, String metricName) {
        this.epochs = epochs;
        this.metricName = metricName;
        this.epochStart = nanoTime.getAsLong();
        this.lastLine = epochStart;
        this.validating = validationExamples > 0;
        out.println(String.format(Locale.ROOT, "training on %s (%s per epoch), %s",
                ProgressText.count(trainExamples, "example", "examples"),
                ProgressText.count(batchesPerEpoch, "batch", "batches"),
                validating ? "validating on " + ProgressText.count(validationExamples, "example", "examples")
                        : "without validation examples: all " + ProgressText.count(epochs, "epoch", "epochs")
                        + " run, no early stopping, no validation metric"));
    }

    @Override
    public void onBatch(int epoch, int batch, int batches, double runningLoss) {
        if (batch == 1) {
            // onBatch comes after a batch ends: rates count the batches after the first over the time since it ended
            epochStart = nanoTime.getAsLong();
            lastCells = -1;
        }
        if (!interactive) {
            // a slow epoch (adapters: minutes) still shows it is moving, every LOG_INTERVAL_SECONDS
            long now = nanoTime.getAsLong();
            if (batch < batches && now - lastLine >= StepProgress.LOG_INTERVAL_SECONDS * 1_000_000_000L) {
                lastLine = now;
                out.println(String.format(Locale.ROOT, "epoch %d/%d batch %,d/%,d (%d %%) loss %.4f %s", epoch, epochs,
                        batch, batches, 100L * batch / batches, runningLoss,
                        ProgressText.rate(batch - 1, (now - epochStart) / 1e9, "batches")));
            }
            return;
        }
        int cells = (int) ((long) batch * WIDTH / batches);
        if (cells == lastCells && batch != batches) {
            return;
        }
        lastCells = cells;
        double seconds = (nanoTime.getAsLong() - epochStart) / 1e9;
        draw(String.format(Locale.ROOT, "epoch %d/%d [%s%s] loss %.4f %s %s %s", epoch, epochs,
                "#".repeat(cells), ".".repeat(WIDTH - cells), runningLoss, metricName, format(lastMetric),
                ProgressText.rate(batch - 1, seconds, "batches")));
    }

    @Override
    public void onEpoch(EpochStats stats, boolean improved) {
        lastMetric = stats.validationMetric();
        String validation = validating
                ? String.format(Locale.ROOT, " val loss %s val %s %s", format(stats.validationLoss()), metricName,
                format(stats.validationMetric()))
                : "";
        String line = String.format(Locale.ROOT, "epoch %d/%d train loss %.4f%s %s %.1f s%s",
                stats.epoch(), epochs, stats.trainLoss(), validation,
                ProgressText.rate(stats.examplesPerSecond(), 1, "ex"), stats.seconds(), validating && improved ? " *" : "");
        if (interactive) {
            draw(line);
        } else {
            out.println(line);
            lastLine = nanoTime.getAsLong();
        }
    }

    @Override
    public void onFinish(TrainingResult result) {
        if (interactive) {
            out.println();
        }
        if (validating) {
            out.println(String.format(Locale.ROOT, "best epoch %d of %d: val %s %s%s", result.bestEpoch(),
                    result.epochsRun(), metricName, format(result.bestMetric()), result.stoppedEarly() ? " (stopped early)" : ""));
        } else {
            out.println(String.format(Locale.ROOT, "trained %s without validation; keeping the last epoch",
                    ProgressText.count(result.epochsRun(), "epoch", "epochs")));
        }
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
