package dev.graft.jmh;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;

/**
 * Draws the log-log plot of an {@link AttentionBenchmark} run — milliseconds per call against T, one line per
 * pattern, with dotted ∝T and ∝T² guides — from JMH's CSV result, with java.awt (headless), and prints the
 * Markdown table of the same numbers (time per call and per token).
 * <pre>
 * java -cp jmh/target/benchmarks.jar dev.graft.jmh.PlotAttention jmh/target/attention.csv docs/attention-scaling.png
 * </pre>
 */
public final class PlotAttention {
    private static final int W = 900;
    private static final int H = 600;
    private static final int LEFT = 90;
    private static final int RIGHT = 30;
    private static final int TOP = 60;
    private static final int BOTTOM = 70;
    private static final Color[] COLORS = {new Color(0xD62728), new Color(0x1F77B4), new Color(0x2CA02C), new Color(0x9467BD)};

    private PlotAttention() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: PlotAttention RESULT.csv OUT.png");
            System.exit(2);
        }
        System.setProperty("java.awt.headless", "true");
        Map<String, TreeMap<Integer, Double>> series = read(Path.of(args[0]));
        if (series.isEmpty()) {
            throw new IOException(args[0] + ": no AttentionBenchmark rows (a JMH CSV with params pattern and tokens)");
        }
        ImageIO.write(plot(series), "png", Path.of(args[1]).toFile());
        printTable(series);
    }

    /** pattern → (T → ms per call), from JMH's CSV (columns Score, Unit, "Param: pattern", "Param: tokens"). */
    static Map<String, TreeMap<Integer, Double>> read(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        List<String> header = split(lines.getFirst());
        int score = header.indexOf("Score");
        int unit = header.indexOf("Unit");
        int pattern = header.indexOf("Param: pattern");
        int tokens = header.indexOf("Param: tokens");
        if (score < 0 || unit < 0 || pattern < 0 || tokens < 0) {
            throw new IOException(csv + ": expected the columns Score, Unit, Param: pattern, Param: tokens; found " + header);
        }
        Map<String, TreeMap<Integer, Double>> out = new LinkedHashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            List<String> f = split(line);
            double ms = Double.parseDouble(f.get(score)) * switch (f.get(unit)) {
                case "s/op" -> 1e3;
                case "ms/op" -> 1;
                case "us/op" -> 1e-3;
                case "ns/op" -> 1e-6;
                default -> throw new IOException(csv + ": unit " + f.get(unit) + " is not a time per operation");
            };
            out.computeIfAbsent(f.get(pattern), k -> new TreeMap<>()).put(Integer.parseInt(f.get(tokens)), ms);
        }
        return out;
    }

    /** One CSV record: fields separated by commas, double-quoted fields may hold commas ("" is a quote). */
    static List<String> split(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder sb = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    sb.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    sb.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                fields.add(sb.toString());
                sb.setLength(0);
            } else {
                sb.append(c);
            }
        }
        fields.add(sb.toString());
        return fields;
    }

    static BufferedImage plot(Map<String, TreeMap<Integer, Double>> series) {
        double minT = Double.MAX_VALUE;
        double maxT = 0;
        double minY = Double.MAX_VALUE;
        double maxY = 0;
        for (TreeMap<Integer, Double> s : series.values()) {
            minT = Math.min(minT, s.firstKey());
            maxT = Math.max(maxT, s.lastKey());
            for (double y : s.values()) {
                minY = Math.min(minY, y);
                maxY = Math.max(maxY, y);
            }
        }
        double x0 = log2(minT) - 0.3;
        double x1 = log2(maxT) + 0.3;
        double y0 = Math.floor(Math.log10(minY));
        double y1 = Math.ceil(Math.log10(maxY));
        Axes ax = new Axes(x0, x1, y0, y1);

        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);

        // grid and tick labels: powers of two on x, decades on y
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        FontMetrics fm = g.getFontMetrics();
        for (int e = (int) Math.ceil(x0); e <= x1; e++) {
            int x = ax.x(e);
            g.setColor(new Color(0xE5E5E5));
            g.drawLine(x, TOP, x, H - BOTTOM);
            g.setColor(Color.DARK_GRAY);
            String label = Integer.toString(1 << e);
            g.drawString(label, x - fm.stringWidth(label) / 2, H - BOTTOM + 20);
        }
        for (int e = (int) y0; e <= y1; e++) {
            int y = ax.y(e);
            g.setColor(new Color(0xE5E5E5));
            g.drawLine(LEFT, y, W - RIGHT, y);
            for (int m = 2; m < 10 && e < y1; m++) {
                int ym = ax.y(e + Math.log10(m));
                g.setColor(new Color(0xF4F4F4));
                g.drawLine(LEFT, ym, W - RIGHT, ym);
            }
            g.setColor(Color.DARK_GRAY);
            String label = decade(e);
            g.drawString(label, LEFT - 10 - fm.stringWidth(label), y + fm.getAscent() / 2 - 1);
        }
        g.setColor(Color.GRAY);
        g.drawRect(LEFT, TOP, W - LEFT - RIGHT, H - TOP - BOTTOM);

        // guides through the first point of the first and last series: ∝ T and ∝ T²
        g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {3f, 4f}, 0f));
        List<TreeMap<Integer, Double>> all = new ArrayList<>(series.values());
        guide(g, ax, all.getFirst(), 2, "∝ T²");
        guide(g, ax, all.getLast(), 1, "∝ T");

        // the series
        int i = 0;
        for (Map.Entry<String, TreeMap<Integer, Double>> s : series.entrySet()) {
            Color c = COLORS[i % COLORS.length];
            g.setColor(c);
            g.setStroke(new BasicStroke(2.5f));
            Path2D path = new Path2D.Double();
            boolean first = true;
            for (Map.Entry<Integer, Double> p : s.getValue().entrySet()) {
                int x = ax.x(log2(p.getKey()));
                int y = ax.y(Math.log10(p.getValue()));
                if (first) {
                    path.moveTo(x, y);
                    first = false;
                } else {
                    path.lineTo(x, y);
                }
                g.fillOval(x - 5, y - 5, 10, 10);
            }
            g.draw(path);
            // legend
            int ly = TOP + 22 + 24 * i;
            g.fillRect(LEFT + 18, ly - 9, 26, 5);
            g.setColor(Color.BLACK);
            g.drawString(s.getKey(), LEFT + 52, ly - 2);
            i++;
        }

        // legend entry for the guides
        int ly = TOP + 22 + 24 * i;
        g.setColor(Color.GRAY);
        g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {3f, 4f}, 0f));
        g.drawLine(LEFT + 18, ly - 7, LEFT + 44, ly - 7);
        g.setColor(Color.BLACK);
        g.drawString("guides: ∝ T² (from dense's first point), ∝ T (from the last pattern's)", LEFT + 52, ly - 2);

        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 17));
        String title = "Attention time per call vs sequence length (1 thread, 12 heads × 32 dims, batch 1)";
        g.drawString(title, (W - g.getFontMetrics().stringWidth(title)) / 2, 32);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        String xl = "sequence length T (tokens, log scale)";
        g.drawString(xl, LEFT + (W - LEFT - RIGHT - g.getFontMetrics().stringWidth(xl)) / 2, H - 22);
        g.rotate(-Math.PI / 2);
        String yl = "time per call (ms, log scale)";
        g.drawString(yl, -(TOP + (H - TOP - BOTTOM + g.getFontMetrics().stringWidth(yl)) / 2), 24);
        g.dispose();
        return img;
    }

    private static void guide(Graphics2D g, Axes ax, TreeMap<Integer, Double> s, int power, String label) {
        double lx0 = log2(s.firstKey());
        double ly0 = Math.log10(s.firstEntry().getValue());
        double lx1 = ax.x1;
        double ly1 = ly0 + power * (lx1 - lx0) * Math.log10(2);
        if (ly1 > ax.y1) { // clip at the top
            lx1 = lx0 + (ax.y1 - ly0) / (power * Math.log10(2));
            ly1 = ax.y1;
        }
        g.setColor(Color.GRAY);
        g.drawLine(ax.x(lx0), ax.y(ly0), ax.x(lx1), ax.y(ly1));
        g.drawString(label, ax.x(lx1) - g.getFontMetrics().stringWidth(label) - 4, ax.y(ly1) + 16); // below the line's end
    }

    private static String decade(int e) {
        double v = Math.pow(10, e);
        return v >= 1 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%s", v);
    }

    private static double log2(double v) {
        return Math.log(v) / Math.log(2);
    }

    private static void printTable(Map<String, TreeMap<Integer, Double>> series) {
        System.out.println("| T | " + String.join(" | ", series.keySet().stream().map(p -> p + " ms (µs/token)").toList()) + " |");
        System.out.println("|---:|" + "---:|".repeat(series.size()));
        TreeMap<Integer, Boolean> ts = new TreeMap<>();
        series.values().forEach(s -> s.keySet().forEach(t -> ts.put(t, true)));
        for (int t : ts.keySet()) {
            StringBuilder sb = new StringBuilder("| " + t + " |");
            for (TreeMap<Integer, Double> s : series.values()) {
                Double ms = s.get(t);
                sb.append(ms == null ? " – |" : String.format(Locale.ROOT, " %.2f (%.1f) |", ms, ms * 1000 / t));
            }
            System.out.println(sb);
        }
    }

    /** Log-scale axes: x in log2 units, y in log10 units, to pixels. */
    private record Axes(double x0, double x1, double y0, double y1) {
        int x(double lx) {
            return (int) Math.round(LEFT + (lx - x0) / (x1 - x0) * (W - LEFT - RIGHT));
        }

        int y(double ly) {
            return (int) Math.round(H - BOTTOM - (ly - y0) / (y1 - y0) * (H - TOP - BOTTOM));
        }
    }
}
