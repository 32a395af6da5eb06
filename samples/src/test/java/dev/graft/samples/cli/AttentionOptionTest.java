package dev.graft.samples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.samples.cli.GraftCliTest.Run;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --attention SPEC} on the commands that run a backbone: it is used, and a bad spec is a usage error. */
class AttentionOptionTest {
    @TempDir
    Path tmp;

    @Test
    void embedTakesASpecAndAWindowCoveringTheInputChangesNothing() throws IOException {
        Path in = tmp.resolve("in.txt");
        Files.writeString(in, "A man is playing a guitar.\nThe weather is cold and rainy today in the north.\n", StandardCharsets.UTF_8);
        Run dense = GraftCliTest.run("embed", "--threads", "1", "--input", in.toString(), "--output", tmp.resolve("d.jsonl").toString());
        Run wide = GraftCliTest.run("embed", "--threads", "1", "--attention", "all:window(512)", "--input", in.toString(),
                "--output", tmp.resolve("w.jsonl").toString());
        Run mixed = GraftCliTest.run("embed", "--threads", "1", "--attention", "0-2:window(4,global=cls),3-5:topk(3)",
                "--input", in.toString(), "--output", tmp.resolve("m.jsonl").toString());
        assertThat(List.of(dense.code(), wide.code(), mixed.code())).containsOnly(0);
        List<String> d = Files.readAllLines(tmp.resolve("d.jsonl"));
        List<String> m = Files.readAllLines(tmp.resolve("m.jsonl"));
        assertThat(Files.readAllLines(tmp.resolve("w.jsonl"))).hasSize(2);
        assertThat(m).hasSize(2);
        assertThat(m.get(1)).as("a sparse pattern gives other embeddings").isNotEqualTo(d.get(1));
        double[] a = vector(d.get(1));
        double[] b = vector(Files.readAllLines(tmp.resolve("w.jsonl")).get(1));
        for (int i = 0; i < a.length; i++) {
            assertThat(b[i]).isCloseTo(a[i], org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    @Test
    void badSpecsAreUsageErrorsThatSayWhy() {
        Run syntax = GraftCliTest.run("sts", "--attention", "0-2:windw(8)");
        assertThat(syntax.code()).isEqualTo(2);
        assertThat(syntax.err()).contains("--attention: attention spec '0-2:windw(8)', position 4: unknown pattern 'windw'");
        Run width = GraftCliTest.run("embed", "--attention", "all:window(0)", "--input", "-", "--output", "x.jsonl");
        assertThat(width.code()).isEqualTo(2);
        assertThat(width.err()).contains("window width must be >= 1, was 0");
        Run layers = GraftCliTest.run("embed", "--attention", "0-9:dense", "--input", tmp.resolve("none.txt").toString(),
                "--output", tmp.resolve("x.jsonl").toString());
        assertThat(layers.err()).contains("none.txt"); // the input is read before the model is opened
        Path in = tmp.resolve("one.txt");
        try {
            Files.writeString(in, "hello\n");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        Run outside = GraftCliTest.run("embed", "--attention", "0-9:dense", "--input", in.toString(), "--output", tmp.resolve("x.jsonl").toString());
        assertThat(outside.code()).isEqualTo(2);
        assertThat(outside.err()).contains("layer range 0-9 is outside the model's 6 layers (0-5)");
    }

    private static double[] vector(String jsonLine) {
        String body = jsonLine.substring(jsonLine.indexOf('[') + 1, jsonLine.indexOf(']'));
        return java.util.Arrays.stream(body.split(",")).mapToDouble(Double::parseDouble).toArray();
    }
}
