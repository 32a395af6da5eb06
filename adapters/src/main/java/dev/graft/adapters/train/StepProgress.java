package dev.graft.adapters.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Progress of a counted job ({@code done} of {@code total} inputs). On a terminal it keeps one line up to date with
 * {@code \r}, redrawn when the whole percentage changes; written to a file or pipe it prints a plain line at every
 * tenth of the job and at least every {@link #LOG_INTERVAL_SECONDS} seconds, so a log holds a few readable lines
 * instead of one line of thousands of carriage returns. The last update ({@code done == total}) always ends the
 * line.
 */
public final class StepProgress {
    /** Longest gap between two plain lines while the job advances. */
    public static final int LOG_INTERVAL_SECONDS = 30;

    private final PrintStream out;
    private final String what;
    private final String singular;
    private final String unit;
    private final boolean interactive;
    private final LongSupplier nanoTime;
    private final long start;
    private long lastLine;
    private int lastTenth = 0;
    private int lastPercent = -1;
    private boolean finished;

    /**
     * @param what        the job, e.g. "extracting training features"
     * @param singular    what is counted, one of it, e.g. "input"
     * @param unit        what is counted, plural, e.g. "inputs"
     * @param interactive redraw one line ({@link ProgressBar#isTerminal(PrintStream)}) or print plain lines
     * @param nanoTime    the clock ({@code System::nanoTime})
     */
    public StepProgress(PrintStream out, String what, String singular, String unit, boolean interactive,
                        LongSupplier nanoTime) {
        this.out = Objects.requireNonNull(out, "out");
        this.singular = Objects.requireNonNull(singular, "singular");
        this.what = Objects.requireNonNull(what, "what");
        this.unit = Objects.requireNonNull(unit, "unit");
        this.interactive = interactive;
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.start = nanoTime.getAsLong();
        this.lastLine = start;
    }

    /** On a terminal when {@code out} is one, with the system clock. */
    public StepProgress(PrintStream out, String what, String singular, String unit) {
        this(out, what, singular, unit, ProgressBar.isTerminal(out), System::nanoTime);
    }

    /** {@code done} of {@code total} are finished. */
    public void update(long done, long total) {
        if (finished || total <= 0) {
            return;
        }
        long now = nanoTime.getAsLong();
        boolean last = done >= total;
        if (interactive) {
            int percent = (int) (100 * Math.min(done, total) / total);
            if (percent != lastPercent || last) {
                lastPercent = percent;
                out.print("\r" + line(done, total, now) + (last ? System.lineSeparator() : ""));
                out.flush();
            }
        } else {
            int tenth = (int) (10 * Math.min(done, total) / total);
            boolean due = now - lastLine >= LOG_INTERVAL_SECONDS * 1_000_000_000L;
            if (last || tenth > lastTenth || due) {
                lastTenth = tenth;
                lastLine = now;
                out.println(line(done, total, now));
                out.flush();
            }
        }
        finished = last;
    }

    private String line(long done, long total, long now) {
        double seconds = (now - start) / 1e9;
        return String.format(Locale.ROOT, "%s: %,d/%,d %s (%d %%, %s)", what, done, total, total == 1 ? singular : unit,
                100 * done / total,
                ProgressText.rate(done, seconds, unit));
    }
}
