package dev.graft.adapters.train;

import java.util.Locale;

/** Wording shared by progress and summary lines: counts with the right plural, and rates that never read "0/s". */
public final class ProgressText {
    private ProgressText() {
    }

    /** {@code "1 input"}, {@code "2 inputs"}, {@code "10,003 inputs"}. */
    public static String count(long n, String singular, String plural) {
        return String.format(Locale.ROOT, "%,d %s", n, n == 1 ? singular : plural);
    }

    /**
     * {@code count / seconds} with precision that keeps slow rates readable: {@code "1,234 texts/s"}, {@code "42 texts/s"},
     * {@code "2.5 texts/s"}, {@code "0.31 texts/s"}; {@code "- texts/s"} when no time was measured.
     */
    public static String rate(double count, double seconds, String unit) {
        if (!(seconds > 0) || !(count >= 0)) {
            return "- " + unit + "/s";
        }
        double r = count / seconds;
        String number;
        if (r >= 10) {
            number = String.format(Locale.ROOT, "%,.0f", r);
        } else if (r >= 1) {
            number = String.format(Locale.ROOT, "%.1f", r);
        } else if (r >= 0.01) {
            number = String.format(Locale.ROOT, "%.2f", r);
        } else {
            number = r == 0 ? "0" : String.format(Locale.ROOT, "%.1e", r);
        }
        return number + " " + unit + "/s";
    }
}
