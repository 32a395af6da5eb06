package dev.graft.jmh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the CSV result of {@link GemmBenchmark} and {@link GemmScalarBenchmark} ({@code -rf csv -rff gemm.csv})
 * into the Markdown table of docs/BENCHMARKS.md: time per product, GFLOP/s = 2·M·N·K / time, and the ratio to
 * ND4J at the same shape, layout and thread count. Run: {@code java -cp jmh/target/benchmarks.jar
 * dev.graft.jmh.GemmTable gemm.csv}.
 */
public final class GemmTable {
    private GemmTable() {
    }

    /** One row of the JMH CSV. */
    record Row(String benchmark, String impl, int threads, String layout, GemmShape shape, double ms, double errorMs) {
        double gflops() {
            return shape.flops() / (ms * 1e6);
        }

        String key() {
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
            if (r.impl().equals("nd4j")) {
                nd4j.put(r.key(), r);
            }
        }
        System.out.println("| M×N×K | B layout | threads | implementation | ms/op (± 99.9% CI) | GFLOP/s | vs ND4J |");
        System.out.println("|---|---|---:|---|---:|---:|---:|");
        rows.sort(java.util.Comparator.comparing((Row r) -> r.shape().m() * 0 + indexOfShape(rows, r))
                .thenComparing(Row::layout).thenComparingInt(Row::threads).thenComparing(Row::impl));
        for (Row r : rows) {
            Row peer = nd4j.get(r.key());
            String ratio = peer == null ? "" : String.format(Locale.ROOT, "%.2f×", peer.ms() / r.ms());
            System.out.printf(Locale.ROOT, "| %d×%d×%d | %s | %d | %s | %.2f ± %.2f | %.1f | %s |%n",
                    r.shape().m(), r.shape().n(), r.shape().k(), r.layout().equals("kn") ? "[K×N]" : "[N×K]",
                    r.threads(), r.impl(), r.ms(), r.errorMs(), r.gflops(), ratio);
        }
    }

    private static int indexOfShape(List<Row> rows, Row r) {
        List<GemmShape> order = new ArrayList<>();
        for (Row x : rows) {
            if (!order.contains(x.shape())) {
                order.add(x.shape());
            }
        }
        return order.indexOf(r.shape());
    }

    static List<Row> parse(List<String> lines) {
        String[] header = split(lines.get(0));
        List<Row> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = split(line);
            Map<String, String> v = new LinkedHashMap<>();
            for (int i = 0; i < header.length && i < f.length; i++) {
                v.put(header[i], f[i]);
            }
            if (!v.get("Unit").equals("ms/op")) {
                throw new IllegalArgumentException("expected ms/op, got " + v.get("Unit"));
            }
            String bench = v.get("Benchmark");
            boolean scalar = bench.contains("GemmScalarBenchmark");
            String err = v.getOrDefault("Score Error (99.9%)", "NaN");
            rows.add(new Row(bench, scalar ? "graft-scalar" : v.get("Param: impl"),
                    scalar ? 1 : Integer.parseInt(v.get("Param: threads")), v.get("Param: layout"),
                    GemmShape.parse(v.get("Param: shape")), Double.parseDouble(v.get("Score")),
                    err.isEmpty() || err.equals("NaN") ? Double.NaN : Double.parseDouble(err)));
        }
        return rows;
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
