package dev.graft.samples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code graft bench --serve} end to end through the CLI, briefly, on real banking77 test questions. */
class BenchServeTest {

    @Test
    void serveBenchAnswersEveryRequestOnceAndEqualToTheDirectCallThenRejectsCleanlyUnderOverload(@TempDir Path tmp)
            throws Exception {
        List<String> questions = dev.graft.adapters.data.CsvDataset.read(
                dev.graft.backbones.testing.ModelResources.shared("datasets/banking77/test.csv"), "text", "category")
                .stream().map(dev.graft.adapters.data.LabeledText::text).limit(200).toList();
        Path input = Files.write(tmp.resolve("questions.txt"), questions);
        GraftCliTest.Run r = GraftCliTest.run("bench", "--serve", "--callers", "8", "--seconds", "1", "--threads", "2",
                "--max-length", "128", "--input", input.toString(), "--queue", "64", "--overload", "--warm-up");
        assertThat(r.err()).isEmpty();
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("build() with warm-up").contains("8 callers")
                .containsPattern("direct \\(callers call the model\\): +[0-9.]+ requests/s")
                .containsPattern("lost 0, answered twice 0, failed 0")
                .containsPattern("max \\|diff\\| [0-9.e-]+ \\(limit 1e-5: ok\\)")
                .containsPattern("one request alone, steady state")
                .containsPattern("overload at 10× the rate")
                .containsPattern("rejected at once \\(a rejected submit took p50 [0-9.]+ µs[^)]*\\), [0-9]+ accepted")
                .containsPattern("accepted: [0-9]+ answered, 0 failed, 0 never completed; queue depth max ([0-9]|[1-5][0-9]|6[0-4]) of 64");
    }
}
