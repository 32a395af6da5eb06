package dev.graft.samples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.backbones.testing.ModelResources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An 800-word sentence through {@code predict} and {@code eval}: the words past the model's 512-token limit are
 * reported as not tagged, never given a made-up tag (before, every one of them got the same tag with the same
 * score, read from the token before [SEP]).
 */
class LongSentenceTaggingTest {

    @TempDir
    static Path dir;

    @Test
    void wordsPastTheTokenLimitAreNotTaggedAndEvalCountsThem() throws IOException {
        Path train = dir.resolve("train.conllu");
        HeadCommandsTest.writeConllu(ModelResources.shared("datasets/ud_english_ewt/en_ewt-ud-dev.conllu"), train, 0, 150);
        Path head = dir.resolve("upos");
        HeadCommandsTest.Run t = HeadCommandsTest.run("train-head", "--task", "tagging", "--train", train.toString(),
                "--epochs", "5", "--threads", "2", "--cache-dir", dir.resolve("cache").toString(), "--output", head.toString());
        assertThat(t.code()).as(t.err()).isZero();

        // one real 800-word sentence: consecutive UD English-EWT test sentences joined, with their gold tags
        List<String[]> rows = new ArrayList<>();
        for (String line : Files.readAllLines(ModelResources.shared("datasets/ud_english_ewt/en_ewt-ud-test.conllu"))) {
            String[] c = line.split("\t");
            if (c.length == 10 && c[0].matches("\\d+") && rows.size() < 800) {
                rows.add(c);
            }
        }
        StringBuilder conllu = new StringBuilder("# sent_id = long-1\n");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < rows.size(); i++) {
            String[] c = rows.get(i);
            conllu.append(i + 1).append('\t').append(c[1]).append('\t').append(c[2]).append('\t').append(c[3])
                    .append("\t_\t_\t_\t_\t_\t_\n");
            text.append(i == 0 ? "" : " ").append(c[1]);
        }
        Path longConllu = Files.writeString(dir.resolve("long.conllu"), conllu + "\n");
        Path longText = Files.writeString(dir.resolve("long.txt"), text + "\n");

        for (Path input : List.of(longConllu, longText)) {
            HeadCommandsTest.Run p = HeadCommandsTest.run("predict", "--head", head.toString(), "--input", input.toString(),
                    "--threads", "2");
            assertThat(p.code()).as(p.err()).isZero();
            JsonNode line = HeadCommandsTest.JSON.readTree(p.out().lines().findFirst().orElseThrow());
            int words = line.get("words").size();
            assertThat(line.get("tags").size()).isEqualTo(words);
            assertThat(line.get("scores").size()).isEqualTo(words);
            int tagged = 0;
            while (tagged < words && !line.get("tags").get(tagged).isNull()) {
                tagged++;
            }
            // 510 word pieces fit between [CLS] and [SEP]: fewer words than that, more than half of them
            assertThat(tagged).as(input.toString()).isBetween(255, 510);
            for (int w = tagged; w < words; w++) {
                assertThat(line.get("tags").get(w).isNull()).as("word %d of %d (%s)", w, words, input).isTrue();
                assertThat(line.get("scores").get(w).isNull()).isTrue();
            }
            for (int w = 0; w < tagged; w++) {
                assertThat(line.get("scores").get(w).asDouble()).isBetween(0.0, 1.0);
            }
            assertThat(line.get("untagged").asInt()).isEqualTo(words - tagged);
            assertThat(p.err()).contains("warning: " + (words - tagged) + " words in 1 inputs were not tagged")
                    .contains("limit of 512 tokens");
        }

        HeadCommandsTest.Run e = HeadCommandsTest.run("eval", "--head", head.toString(), "--test", longConllu.toString(),
                "--threads", "2");
        assertThat(e.code()).as(e.err()).isZero();
        JsonNode m = HeadCommandsTest.lastJson(e.out());
        assertThat(m.get("words").asInt()).isEqualTo(800);
        int untagged = m.get("untagged_words").asInt();
        assertThat(untagged).isBetween(290, 545);
        assertThat(m.get("token_accuracy").asDouble()).as("untagged words count as errors")
                .isLessThanOrEqualTo((800.0 - untagged) / 800);
        assertThat(e.out()).contains(untagged + " of the 800 words were not tagged");
    }
}
