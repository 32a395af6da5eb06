package dev.graft.jmh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns {@link BackboneBenchmark}'s JMH CSV result ({@code -rf csv}) into the Markdown table of
 * docs/BENCHMARKS.md: sentences/s (± JMH's 99.9% error) per shape and thread count, and the ratio Graft / ORT.
 *
 * <pre>
 * java -cp jmh/target/benchmarks.jar dev.graft.jmh.BackboneTable backbone.csv
 * </pre>
 */
public final class BackboneTable {
    private BackboneTable() {
    }

    /** One {@code encode:sentences} row: sentences/s and its error. */
    record Score(double value, double error) {
        String text() {
            return Double.isNaN(error) ? fmt(value) : fmt(value) + " ± " + fmt(error);
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: BackboneTable <jmh result .csv>");
        }
        System.out.print(table(Files.readAllLines(Path.of(args[0]))));
    }

    /** The Markdown table for the CSV's lines (header first). */
    static String table(List<String> lines) {
        List<String> header = split(lines.getFirst());
        int score = header.indexOf("Score");
        int error = header.indexOf("Score Error (99.9%)");
        int impl = header.indexOf("Param: impl");
        int shape = header.indexOf("Param: shape");
        int threads = header.indexOf("Param: threads");
        if (score < 0 || error < 0 || impl < 0 || shape < 0 || threads < 0) {
            throw new IllegalArgumentException("not a BackboneBenchmark CSV (columns: " + header + ")");
        }
        // case ("32x128, 1 thread") -> impl -> score; cases in the order of the CSV
        Map<String, Map<String, Score>> cases = new TreeMap<>(BackboneTable::compareCases);
        for (String line : lines.subList(1, lines.size())) {
            List<String> f = split(line);
            if (f.size() < header.size() || !f.getFirst().endsWith("BackboneBenchmark.encode:sentences")) {
                continue;
            }
            String key = f.get(shape) + "|" + f.get(threads);
            cases.computeIfAbsent(key, k -> new TreeMap<>())
                    .put(f.get(impl), new Score(Double.parseDouble(f.get(score)), Double.parseDouble(f.get(error))));
        }
        StringBuilder out = new StringBuilder();
        out.append("| batch × tokens | threads | Graft (sentences/s) | ORT (sentences/s) | Graft / ORT |\n");
        out.append("|---|---:|---:|---:|---:|\n");
        for (Map.Entry<String, Map<String, Score>> e : cases.entrySet()) {
            String[] k = e.getKey().split("\\|");
            Score g = e.getValue().get("graft");
            Score o = e.getValue().get("ort");
            String ratio = g != null && o != null ? String.format(Locale.ROOT, "%.2f×", g.value() / o.value()) : "–";
            out.append(String.join(" | ", "| " + k[0].replace("x", " × "), k[1], g == null ? "–" : g.text(),
                    o == null ? "–" : o.text(), ratio)).append(" |\n");
        }
        return out.toString();
    }

    /** Bigger batches first, then fewer threads first. */
    private static int compareCases(String a, String b) {
        String[] x = a.split("\\|");
        String[] y = b.split("\\|");
        int byBatch = Integer.compare(Integer.parseInt(y[0].split("x")[0]), Integer.parseInt(x[0].split("x")[0]));
        return byBatch != 0 ? byBatch : Integer.compare(Integer.parseInt(x[1]), Integer.parseInt(y[1]));
    }

    /** JMH's CSV: comma-separated, strings in double quotes without embedded quotes or commas. */
    private static List<String> split(String line) {
        List<String> fields = new ArrayList<>();
        for (String f : line.split(",", -1)) {
            fields.add(f.length() >= 2 && f.startsWith("\"") && f.endsWith("\"") ? f.substring(1, f.length() - 1) : f);
        }
        return fields;
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, v >= 100 ? "%.0f" : "%.1f", v);
    }
}
