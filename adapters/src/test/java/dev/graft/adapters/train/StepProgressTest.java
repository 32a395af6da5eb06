package dev.graft.adapters.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StepProgressTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private final AtomicLong clock = new AtomicLong();

    private String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aLogGetsOnePlainLinePerTenthNotOneCarriageReturnPerStep() {
        StepProgress p = new StepProgress(out, "extracting training features", "input", "inputs", false, clock::get);
        for (int done = 1; done <= 10_003; done++) {
            clock.addAndGet(1_000_000); // 1 ms per input: the whole job takes 10 s, under the 30 s interval
            p.update(done, 10_003);
        }
        assertThat(text()).doesNotContain("\r");
        List<String> lines = text().lines().toList();
        assertThat(lines).hasSize(10);
        assertThat(lines.getFirst()).isEqualTo("extracting training features: 1,001/10,003 inputs (10 %, 1,000 inputs/s)");
        assertThat(lines.getLast()).isEqualTo("extracting training features: 10,003/10,003 inputs (100 %, 1,000 inputs/s)");
    }

    @Test
    void aSlowJobStillLogsEveryThirtySeconds() {
        StepProgress p = new StepProgress(out, "extracting", "input", "inputs", false, clock::get);
        for (int done = 1; done <= 50; done++) {
            clock.addAndGet(10_000_000_000L); // 10 s per input; a tenth is 100 inputs
            p.update(done, 1000);
        }
        // 500 s without reaching a tenth: a line every 30 s (every third input)
        assertThat(text().lines().count()).isEqualTo(16);
        assertThat(text().lines().findFirst().orElseThrow()).isEqualTo("extracting: 3/1,000 inputs (0 %, 0.10 inputs/s)");
    }

    @Test
    void aTerminalGetsOneRedrawnLinePerPercentAndANewlineAtTheEnd() {
        StepProgress p = new StepProgress(out, "extracting", "input", "inputs", true, clock::get);
        for (int done = 1; done <= 1000; done++) {
            clock.addAndGet(1_000_000);
            p.update(done, 1000);
        }
        assertThat(text().chars().filter(c -> c == '\r').count()).as("0 % to 100 %").isEqualTo(101);
        assertThat(text()).endsWith("\rextracting: 1,000/1,000 inputs (100 %, 1,000 inputs/s)" + System.lineSeparator());
    }

    @Test
    void oneInputIsSingularAndFurtherUpdatesAfterTheEndAreIgnored() {
        StepProgress p = new StepProgress(out, "extracting", "input", "inputs", false, clock::get);
        clock.addAndGet(2_500_000_000L);
        p.update(1, 1);
        p.update(1, 1);
        assertThat(text()).isEqualTo("extracting: 1/1 input (100 %, 0.40 inputs/s)" + System.lineSeparator());
    }

    @Test
    void ratesAndCountsReadNaturally() {
        assertThat(ProgressText.rate(1, 2.5, "texts")).isEqualTo("0.40 texts/s");
        assertThat(ProgressText.rate(5, 2, "texts")).isEqualTo("2.5 texts/s");
        assertThat(ProgressText.rate(12_345, 1, "texts")).isEqualTo("12,345 texts/s");
        assertThat(ProgressText.rate(3, 0, "texts")).isEqualTo("- texts/s");
        assertThat(ProgressText.count(1, "input", "inputs")).isEqualTo("1 input");
        assertThat(ProgressText.count(0, "input", "inputs")).isEqualTo("0 inputs");
        assertThat(ProgressText.count(10_003, "input", "inputs")).isEqualTo("10,003 inputs");
    }

    @Test
    void aStreamOtherThanStdoutOrStderrIsNeverATerminal() {
        assertThat(ProgressBar.isTerminal(out)).isFalse();
        assertThat(new ProgressBar(out).interactive()).isFalse();
    }
}
