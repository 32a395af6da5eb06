package dev.graft.jmh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the CSV result of {@link GemmBenchmark} and {@link GemmScalarBenchmark} ({@code -rf csv -rff gemm.csv}),
 * or of {@link SmallMatmulBenchmark},
 * into the Markdown table of docs/BENCHMARKS.md: time per product, GFLOP/s = 2·M·N·K / time, the same from the
 * benchmark thread's CPU time ({@link ThreadCpu}; single-threaded rows only), and the ratios to ND4J at the same
 * shape, layout and thread count. Run: {@code java -cp jmh/target/benchmarks.jar dev.graft.jmh.GemmTable gemm.csv}.
 */
public final class GemmTable {
    private GemmTable() {
    }

    /** One benchmark configuration: its primary score and, when present, its CPU-time counters. */
    static final class Row {
        final String impl;
        final int threads;
        final String layout;
        final GemmShape shape;
        double ms = Double.NaN;
        double errorMs = Double.NaN;
        double cpuNanos = Double.NaN;
        double calls = Double.NaN;

        Row(String impl, int threads, String layout, GemmShape shape) {
            this.impl = impl;
            this.threads = threads;
            this.layout = layout;
            this.shape = shape;
        }

        double gflops() {
            return shape.flops() / (ms * 1e6);
        }

        /** GFLOP/s from the benchmark thread's CPU time; NaN for multi-threaded rows (other threads work too). */
        double cpuGflops() {
            return threads == 1 ? shape.flops() * calls / cpuNanos : Double.NaN;
        }

        String peerKey() {
            return shape + "/" + layout + "/" + threads;
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: GemmTable <jmh result .csv>");
        }
        List<Row> rows = parse(Files.readAllLines(Path.of(args[0])));
        Map<String, Row> nd4j = new LinkedHashMap<>();
        for (Row r : rows) {
            if (r.impl.equals("nd4j")) {
                nd4j.put(r.peerKey(), r);
            }
        }
        List<GemmShape> shapeOrder = rows.stream().map(r -> r.shape).distinct().toList();
        rows.sort(Comparator.comparingInt((Row r) -> shapeOrder.indexOf(r.shape))
                .thenComparing(r -> r.layout).thenComparingInt(r -> r.threads).thenComparing(r -> r.impl));
        System.out.println("| M×N×K | B | threads | implementation | ms/op (± 99.9% CI) | GFLOP/s | vs ND4J "
                + "| GFLOP/s, thread CPU time | vs ND4J, CPU time |");
        System.out.println("|---|---|---:|---|---:|---:|---:|---:|---:|");
        for (Row r : rows) {
            Row peer = nd4j.get(r.peerKey());
            System.out.printf(Locale.ROOT, "| %d×%d×%d | %s | %d | %s | %s ± %s | %.1f | %s | %s | %s |%n",
                    r.shape.m(), r.shape.n(), r.shape.k(), r.layout.equals("kn") ? "[K×N]" : "[N×K]",
                    r.threads, r.impl, ms(r.ms), ms(r.errorMs), r.gflops(),
                    peer == null ? "" : ratio(peer.ms / r.ms),
                    Double.isNaN(r.cpuGflops()) ? "" : String.format(Locale.ROOT, "%.1f", r.cpuGflops()),
                    peer == null || Double.isNaN(r.cpuGflops()) ? "" : ratio(r.cpuGflops() / peer.cpuGflops()));
        }
    }

    /** Two decimals for milliseconds, three significant digits below 1 ms. */
    private static String ms(double x) {
        return String.format(Locale.ROOT, x < 1 ? "%.3g" : "%.2f", x);
    }

    private static String ratio(double x) {
        return Double.isNaN(x) ? "" : String.format(Locale.ROOT, "%.2f×", x);
    }

    static List<Row> parse(List<String> lines) {
        String[] header = split(lines.get(0));
        Map<String, Row> byKey = new LinkedHashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = split(line);
            Map<String, String> v = new LinkedHashMap<>();
            for (int i = 0; i < header.length && i < f.length; i++) {
                v.put(header[i], f[i]);
            }
            String bench = v.get("Benchmark");
            int colon = bench.indexOf(':');
            String base = colon < 0 ? bench : bench.substring(0, colon);
            String counter = colon < 0 ? null : bench.substring(colon + 1);
            boolean scalar = base.contains("GemmScalarBenchmark");
            String impl = scalar ? "graft-scalar" : v.get("Param: impl");
            String threadsParam = v.get("Param: threads");
            int threads = threadsParam == null || threadsParam.isEmpty() ? 1 : Integer.parseInt(threadsParam);
            String problem = v.get("Param: problem"); // SmallMatmulBenchmark: "MxNxK:layout"
            String shape = problem != null ? problem.split(":")[0] : v.get("Param: shape");
            String layout = problem != null ? problem.split(":")[1] : v.get("Param: layout");
            String key = impl + "/" + threads + "/" + layout + "/" + shape;
            Row row = byKey.computeIfAbsent(key, x -> new Row(impl, threads, layout, GemmShape.parse(shape)));
            double score = Double.parseDouble(v.get("Score"));
            if (counter == null) {
                if (!v.get("Unit").equals("ms/op")) {
                    throw new IllegalArgumentException("expected ms/op, got " + v.get("Unit") + " in " + line);
                }
                String err = v.getOrDefault("Score Error (99.9%)", "");
                row.ms = score;
                row.errorMs = err.isEmpty() || err.equals("NaN") ? Double.NaN : Double.parseDouble(err);
            } else if (counter.equals("cpuNanos")) {
                row.cpuNanos = score;
            } else if (counter.equals("calls")) {
                row.calls = score;
            }
        }
        return new ArrayList<>(byKey.values());
    }

    private static String[] split(String csvLine) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (char ch : csvLine.toCharArray()) {
            if (ch == '"') {
                quoted = !quoted;
            } else if (ch == ',' && !quoted) {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(ch);
            }
        }
        out.add(cur.toString());
        return out.toArray(String[]::new);
    }
}
