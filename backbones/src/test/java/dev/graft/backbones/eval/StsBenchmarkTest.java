package dev.graft.backbones.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.backbones.testing.ModelResources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StsBenchmarkTest {

    @TempDir
    Path dir;

    @Test
    void readsEverySplitWithTheDocumentedRowCounts() throws IOException {
        Path shared = ModelResources.shared(".");
        assertThat(StsBenchmark.read(shared, StsBenchmark.Split.TRAIN)).hasSize(5_749);
        assertThat(StsBenchmark.read(shared, StsBenchmark.Split.DEV)).hasSize(1_500);
        List<StsPair> test = StsBenchmark.read(shared, StsBenchmark.Split.TEST);
        assertThat(test).hasSize(1_379);
        assertThat(test.getFirst()).isEqualTo(new StsPair("main-captions", "MSRvid", "2012test", "0024", 2.5,
                "A girl is styling her hair.", "A girl is brushing her hair."));
        assertThat(test).extracting(StsPair::genre).containsOnly("main-captions", "main-news", "main-forums");
    }

    @Test
    void keepsQuotesAsTextAndDropsExtraColumns() throws IOException {
        List<StsPair> test = StsBenchmark.read(ModelResources.shared("datasets/stsbenchmark/sts-test.csv"));
        // line 649: an unbalanced quote that a quoted-CSV parser would run into the following rows
        StsPair unbalanced = test.get(648);
        assertThat(unbalanced.sentence2()).isEqualTo("I always go by the rule \"When in doubt, throw it out!");
        assertThat(unbalanced.score()).isEqualTo(4.0);
        // line 626 has nine columns (two attributions after sentence2) and trailing spaces kept verbatim
        StsPair extra = test.get(625);
        assertThat(extra.id()).isEqualTo("0008");
        assertThat(extra.sentence2()).endsWith("every two hours. ").doesNotContain("StackExchange");
        assertThat(test.get(1378).sentence2()).isEqualTo("North Korea Delegation Meets With South Korean Officials");
    }

    @Test
    void aRowWithTooFewColumnsNamesFileAndLine() throws IOException {
        Path file = Files.writeString(dir.resolve("sts-bad.csv"),
                "g\tf\t2012\t1\t2.0\ta\tb\n" + "g\tf\t2012\t2\t3.0\tonly one sentence\n");
        assertThatThrownBy(() -> StsBenchmark.read(file))
                .isInstanceOfSatisfying(DatasetFormatException.class, e -> {
                    assertThat(e.file()).isEqualTo(file);
                    assertThat(e.line()).isEqualTo(2);
                })
                .hasMessageContaining(file + ":2:")
                .hasMessageContaining("found 6");
    }

    @Test
    void aBadScoreNamesFileAndLine() throws IOException {
        Path notNumber = Files.writeString(dir.resolve("a.csv"), "g\tf\t2012\t1\tfive\ta\tb\n");
        assertThatThrownBy(() -> StsBenchmark.read(notNumber))
                .isInstanceOf(DatasetFormatException.class).hasMessageContaining(notNumber + ":1:").hasMessageContaining("'five'");
        Path outOfRange = Files.writeString(dir.resolve("b.csv"), "g\tf\t2012\t1\t1\ta\tb\ng\tf\t2012\t1\t5.5\ta\tb\n");
        assertThatThrownBy(() -> StsBenchmark.read(outOfRange))
                .isInstanceOf(DatasetFormatException.class).hasMessageContaining(outOfRange + ":2:").hasMessageContaining("[0, 5]");
        Path emptySentence = Files.writeString(dir.resolve("c.csv"), "g\tf\t2012\t1\t1\ta\t \n");
        assertThatThrownBy(() -> StsBenchmark.read(emptySentence))
                .isInstanceOf(DatasetFormatException.class).hasMessageContaining("sentence2 is empty");
    }

    @Test
    void anEmptyFileIsAnError() throws IOException {
        Path empty = Files.writeString(dir.resolve("empty.csv"), "");
        assertThatThrownBy(() -> StsBenchmark.read(empty)).isInstanceOf(DatasetFormatException.class).hasMessageContaining("no rows");
    }
}
