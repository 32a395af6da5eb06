package dev.graft.adapters.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.adapters.nn.Linear;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
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

    @Test
    void aSlowEpochInALogPrintsABatchLineEveryThirtySeconds() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong();
        ProgressBar bar = new ProgressBar(out, false, clock::get);
        bar.onStart(2, 313, 10_003, 0, "accuracy");
        for (int b = 1; b <= 313; b++) {
            clock.addAndGet(500_000_000L); // half a second per batch: 156.5 s per epoch
            bar.onBatch(1, b, 313, 1.0 / b);
        }
        bar.onEpoch(new EpochStats(1, 0.5, Double.NaN, Double.NaN, 64, 156.5, 1e-3), true);
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines.stream().filter(l -> l.contains(" batch "))).hasSize(5); // at 30, 60, 90, 120, 150 s
        assertThat(lines.get(1)).isEqualTo("epoch 1/2 batch 60/313 (19 %) loss 0.0167 2.0 batches/s");
        assertThat(lines.getLast()).startsWith("epoch 1/2 train loss 0.5000 64 ex/s 156.5 s");
        assertThat(bytes.toString(StandardCharsets.UTF_8)).doesNotContain("\r");
    }

    @Test
    void theFirstBatchOfAnEpochShowsNoRateRatherThanOneOverNoTime() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong();
        ProgressBar bar = new ProgressBar(out, true, clock::get);
        bar.onStart(1, 4, 40, 0, "accuracy");
        clock.addAndGet(500_000_000L);
        bar.onBatch(1, 1, 4, 1.0); // the clock starts as batch 1 ends: no time has passed for any batch yet
        assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("- batches/s").doesNotContain("0 batches/s");
        clock.addAndGet(500_000_000L);
        bar.onBatch(1, 2, 4, 0.5);
        assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("2.0 batches/s");
    }
}
