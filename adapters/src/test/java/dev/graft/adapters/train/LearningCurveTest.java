package dev.graft.adapters.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.GraphicsEnvironment;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LearningCurveTest {

    @Test
    void writesAReadablePngHeadlessAndAtomically(@TempDir Path dir) throws Exception {
        List<EpochStats> history = new ArrayList<>();
        for (int e = 1; e <= 12; e++) {
            history.add(new EpochStats(e, 2.0 / e, 2.2 / e + 0.02 * e, 0.6 + 0.3 * (1 - Math.exp(-e / 3.0)) - 0.004 * e, 5e4, 0.5, 1e-3));
        }
        TrainingResult result = new TrainingResult(8, "accuracy", history, true);
        Path png = dir.resolve("curves/banking77.png");
        LearningCurve.writePng(result, png);
        assertThat(GraphicsEnvironment.isHeadless()).isTrue();
        assertThat(Files.size(png)).isGreaterThan(5_000);
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image).isNotNull();
        assertThat(image.getWidth()).isEqualTo(900);
        assertThat(image.getHeight()).isEqualTo(640);
        // the plot is not blank: the validation metric's green appears
        boolean green = false;
        for (int x = 0; x < image.getWidth() && !green; x++) {
            for (int y = 360; y < 600; y++) {
                if ((image.getRGB(x, y) & 0xFFFFFF) == 0x2CA02C) {
                    green = true;
                    break;
                }
            }
        }
        assertThat(green).isTrue();
        try (var files = Files.list(png.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("banking77.png");
        }
        LearningCurve.writePng(result, png); // overwrites in place
        assertThat(ImageIO.read(png.toFile())).isNotNull();
    }

    @Test
    void plotsARunWithoutValidation(@TempDir Path dir) throws Exception {
        TrainingResult result = new TrainingResult(1, "pearson",
                List.of(new EpochStats(1, 0.5, Double.NaN, Double.NaN, 1000, 0.1, 1e-3)), false);
        Path png = dir.resolve("one.png");
        LearningCurve.writePng(result, png);
        assertThat(ImageIO.read(png.toFile()).getWidth()).isEqualTo(900);
    }
}
