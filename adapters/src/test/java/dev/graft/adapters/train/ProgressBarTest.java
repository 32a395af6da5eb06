package dev.graft.adapters.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.adapters.nn.Linear;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ProgressBarTest {

    private static String run(boolean interactive) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Synthetic.Blobs blobs = Synthetic.Blobs.create(3, 4, 1.0, 1);
        new Trainer().train(new Linear("h", 4, 3, new Random(1)), blobs.sample(300, 2), null,
                TrainerConfig.defaults().withEpochs(4).withPatience(10), new ProgressBar(out, interactive));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void logModePrintsOnePlainLinePerEpoch() {
        String log = run(false);
        assertThat(log).doesNotContain("\r");
        assertThat(log.lines().filter(l -> l.startsWith("epoch "))).hasSize(4);
        assertThat(log).contains("epoch 4/4 train loss").contains("val accuracy").contains("ex/s").contains("best epoch");
    }

    @Test
    void terminalModeRedrawsOneLine() {
        String log = run(true);
        assertThat(log).contains("\repoch 1/4 [").contains("] loss ");
        // start line, the single progress line, the summary
        assertThat(log.split("\n")).hasSize(3);
        assertThat(log).contains("best epoch");
    }

    @Test
    void withoutValidationExamplesItSaysSoAndPrintsNoMetric() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Synthetic.Blobs blobs = Synthetic.Blobs.create(3, 4, 1.0, 1);
        new Trainer().train(new Linear("h", 4, 3, new Random(1)), blobs.sample(30, 2), null,
                TrainerConfig.defaults().withEpochs(3).withValidationFraction(0), new ProgressBar(out, false));
        String log = bytes.toString(StandardCharsets.UTF_8);
        assertThat(log).contains("without validation examples: all 3 epochs run, no early stopping, no validation metric")
                .contains("trained 3 epochs without validation; keeping the last epoch")
                .doesNotContain("val ").doesNotContain("NaN").doesNotContain("best epoch");
    }
}
