package dev.graft.adapters.train;

import dev.graft.core.fs.AtomicFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;

/**
 * Draws a training run's learning curve as a PNG: training and validation loss per epoch (top) and the
 * validation metric (bottom), with the restored best epoch marked. Uses only {@code java.awt} in headless mode,
 * so it works on servers and in CI.
 */
public final class LearningCurve {
    private static final int WIDTH = 900;
    private static final int HEIGHT = 640;
    private static final int LEFT = 80;
    private static final int RIGHT = 30;
    private static final Color TRAIN = new Color(31, 119, 180);
    private static final Color VALIDATION = new Color(255, 127, 14);
    private static final Color METRIC = new Color(44, 160, 44);

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private LearningCurve() {
    }

    /** Writes the curve to {@code png} atomically ({@link AtomicFiles}: a temporary file beside it, then a rename). */
    public static void writePng(TrainingResult result, Path png) throws IOException {
        BufferedImage image = render(result);
        Files.createDirectories(png.toAbsolutePath().getParent());
        AtomicFiles.write(png, true, tmp -> {
            try (java.io.OutputStream out = Files.newOutputStream(tmp)) {
                if (!ImageIO.write(image, "png", out)) {
                    throw new IOException("no PNG writer available to write " + png);
                }
            }
        });
    }

    static BufferedImage render(TrainingResult result) {
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            List<EpochStats> h = result.history();
            text(g, "learning curve: best epoch " + result.bestEpoch() + " of " + h.size()
                    + (result.stoppedEarly() ? " (stopped early)" : ""), LEFT, 22, Color.BLACK);
            Panel loss = new Panel(40, 320, "loss", h.size(), result.bestEpoch());
            loss.draw(g, h, List.of(new Series("train loss", TRAIN, EpochStats::trainLoss),
                    new Series("validation loss", VALIDATION, EpochStats::validationLoss)));
            Panel metric = new Panel(360, 600, "validation " + result.metricName(), h.size(), result.bestEpoch());
            metric.draw(g, h, List.of(new Series("validation " + result.metricName(), METRIC, EpochStats::validationMetric)));
        } finally {
            g.dispose();
        }
        return image;
    }

    private record Series(String name, Color color, ToDoubleFunction<EpochStats> value) {
    }

    /** One plot area between pixel rows {@code top} and {@code bottom}. */
    private record Panel(int top, int bottom, String yLabel, int epochs, int bestEpoch) {

        void draw(Graphics2D g, List<EpochStats> history, List<Series> series) {
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            for (Series s : series) {
                for (EpochStats e : history) {
                    double v = s.value().applyAsDouble(e);
                    if (Double.isFinite(v)) {
                        min = Math.min(min, v);
                        max = Math.max(max, v);
                    }
                }
            }
            if (min > max) {
                min = 0;
                max = 1;
            }
            if (max - min < 1e-12) {
                min -= 0.5;
                max += 0.5;
            }
            double pad = (max - min) * 0.05;
            min -= pad;
            max += pad;
            int x0 = LEFT;
            int x1 = WIDTH - RIGHT;
            // frame and grid
            g.setStroke(new BasicStroke(1f));
            for (int k = 0; k <= 4; k++) {
                double v = min + (max - min) * k / 4;
                int y = y(v, min, max);
                g.setColor(new Color(230, 230, 230));
                g.drawLine(x0, y, x1, y);
                text(g, String.format(Locale.ROOT, "%.4g", v), 8, y + 4, Color.DARK_GRAY);
            }
            int step = Math.max(1, (int) Math.ceil(epochs / 10.0));
            for (int e = 1; e <= epochs; e += step) {
                int x = x(e);
                g.setColor(Color.DARK_GRAY);
                g.drawLine(x, bottom, x, bottom + 4);
                text(g, Integer.toString(e), x - 4, bottom + 17, Color.DARK_GRAY);
            }
            g.setColor(Color.BLACK);
            g.drawRect(x0, top, x1 - x0, bottom - top);
            text(g, yLabel, x0 + 6, top + 15, Color.BLACK);
            text(g, "epoch", (x0 + x1) / 2 - 15, bottom + 32, Color.BLACK);
            // best epoch marker
            g.setColor(new Color(150, 150, 150));
            g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {5f, 5f}, 0f));
            g.drawLine(x(bestEpoch), top, x(bestEpoch), bottom);
            // series
            g.setStroke(new BasicStroke(2f));
            int legendY = top + 15;
            for (Series s : series) {
                g.setColor(s.color());
                int px = -1;
                int py = -1;
                for (EpochStats e : history) {
                    double v = s.value().applyAsDouble(e);
                    if (!Double.isFinite(v)) {
                        px = -1;
                        continue;
                    }
                    int x = x(e.epoch());
                    int y = y(v, min, max);
                    g.fillOval(x - 3, y - 3, 6, 6);
                    if (px >= 0) {
                        g.drawLine(px, py, x, y);
                    }
                    px = x;
                    py = y;
                }
                g.fillRect(x1 - 160, legendY - 9, 18, 4);
                text(g, s.name(), x1 - 136, legendY - 3, Color.BLACK);
                legendY += 16;
            }
        }

        private int x(int epoch) {
            int x0 = LEFT + 10;
            int x1 = WIDTH - RIGHT - 10;
            return epochs <= 1 ? (x0 + x1) / 2 : x0 + (int) Math.round((double) (epoch - 1) * (x1 - x0) / (epochs - 1));
        }

        private int y(double v, double min, double max) {
            return bottom - (int) Math.round((v - min) / (max - min) * (bottom - top));
        }
    }

    /** Draws text; without usable fonts (a bare headless system) the plot is still written, without labels. */
    private static void text(Graphics2D g, String s, int x, int y, Color color) {
        try {
            g.setColor(color);
            g.drawString(s, x, y);
        } catch (RuntimeException | InternalError | UnsatisfiedLinkError e) {
            // no font configuration: skip the label
        }
    }
}
