package dev.graft.samples.cli;

import static dev.graft.samples.cli.HeadCommandsTest.JSON;
import static dev.graft.samples.cli.HeadCommandsTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.adapters.HeadTypes;
import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.data.CsvDataset;
import dev.graft.adapters.data.LabeledText;
import dev.graft.adapters.head.HeadIO;
import dev.graft.adapters.head.HeadOutput;
import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.testing.ModelResources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real-data check, through the command line: three tasks trained with {@code train-head --adapter} on
 * slices of ../shared/datasets — banking77 intents (LoRA on query and value), UD English-EWT UPOS tags ((IA)³) and
 * the STS Benchmark sentences' genre (captions, news or forum; a Pfeiffer bottleneck) — composed into one model with
 * {@code compose} and served with mixed rows through {@code predict --model}: every row's prediction is the one
 * its single-task model gives ({@code predict --head}) — the same label or the same tag for every word, and every
 * score to 1e-5. Small training settings (one epoch over about a hundred examples): the point is equality, not
 * accuracy; each adapter is checked to move its head's scores by far more than that tolerance.
 */
class ComposedRealDataTest {
    private static final int PER_TASK = 24;

    @TempDir
    Path dir;

    @Test
    void threeAdaptedTasksServedMixedGiveEachRowItsSingleTaskPrediction() throws IOException {
        Path intentTrain = dir.resolve("intent-train.csv");
        HeadCommandsTest.writeCsv(ModelResources.shared("datasets/banking77/train.csv"), intentTrain, 25);
        Path posTrain = dir.resolve("pos-train.conllu");
        HeadCommandsTest.writeConllu(ModelResources.shared("datasets/ud_english_ewt/en_ewt-ud-train.conllu"), posTrain, 0, 80);
        Path genreTrain = dir.resolve("genre-train.csv");
        writeGenres(ModelResources.shared("datasets/stsbenchmark/sts-train.csv"), genreTrain, 30);

        Map<String, Path> heads = new LinkedHashMap<>();
        heads.put("intent", train("classification", intentTrain, "--adapter", "lora", "--lora-rank", "8", "--lora-alpha",
                "16", "--lora-targets", "query,value", "--lr", "5e-3"));
        heads.put("pos", train("tagging", posTrain, "--adapter", "ia3", "--lr", "2e-2"));
        heads.put("genre", train("classification", genreTrain, "--adapter", "pfeiffer", "--reduction-factor", "16", "--lr",
                "5e-3"));

        Path model = dir.resolve("model");
        List<String> composeArgs = new ArrayList<>(List.of("compose"));
        heads.forEach((name, d) -> composeArgs.addAll(List.of("--head", name + "=" + d)));
        composeArgs.addAll(List.of("--output", model.toString()));
        HeadCommandsTest.Run c = run(composeArgs.toArray(String[]::new));
        assertThat(c.code()).as(c.err()).isZero();
        assertThat(c.err()).contains("intent: classification with adapter lora r=8 alpha=16.0 on query, value")
                .contains("pos: tagging with adapter ia3").contains("genre: classification with adapter bottleneck pfeiffer");

        // mixed rows: each task's real test texts interleaved, some asking for two heads or all three, two bad lines
        Map<String, List<String>> texts = new LinkedHashMap<>();
        texts.put("intent", CsvDataset.read(ModelResources.shared("datasets/banking77/test.csv"), "text", "category").stream()
                .filter(t -> HeadCommandsTest.INTENTS.contains(t.label())).map(LabeledText::text).limit(PER_TASK).toList());
        texts.put("pos", Files.readAllLines(ModelResources.shared("datasets/ud_english_ewt/en_ewt-ud-test.conllu")).stream()
                .filter(l -> l.startsWith("# text = ")).map(l -> l.substring("# text = ".length()).strip())
                .filter(t -> t.length() < 200).limit(PER_TASK).toList());
        texts.put("genre", Files.readAllLines(ModelResources.shared("datasets/stsbenchmark/sts-test.csv")).stream()
                .map(l -> l.split("\t")[5]).limit(PER_TASK).toList());
        List<String> lines = new ArrayList<>();
        List<Integer> badLines = new ArrayList<>();
        for (int i = 0; i < PER_TASK; i++) {
            for (Map.Entry<String, List<String>> e : texts.entrySet()) {
                ObjectNode r = JSON.createObjectNode().put("text", e.getValue().get(i));
                if (i % 8 == 3) {
                    r.putArray("heads").add(e.getKey()).add(e.getKey().equals("genre") ? "intent" : "genre");
                } else if (i % 8 != 5) {
                    r.put("head", e.getKey());
                } // else: no head named, every head
                lines.add(JSON.writeValueAsString(r));
            }
            if (i == 7) {
                lines.add(JSON.writeValueAsString(JSON.createObjectNode().put("text", "Is my card lost?").put("head", "sentiment")));
                badLines.add(lines.size());
                lines.add("{\"text\": \"no closing brace\"");
                badLines.add(lines.size());
            }
        }
        Path requests = dir.resolve("requests.jsonl");
        Files.write(requests, lines);
        HeadCommandsTest.Run p = run("predict", "--model", model.toString(), "--input", requests.toString(),
                "--batch-size", "16", "--top", "77", "--threads", "2");
        assertThat(p.code()).as(p.err()).isEqualTo(RoutedPredict.SOME_LINES_FAILED);
        List<JsonNode> out = new ArrayList<>();
        for (String l : p.out().lines().toList()) {
            out.add(JSON.readTree(l));
        }
        assertThat(out).hasSize(lines.size());
        for (int i = 0; i < out.size(); i++) {
            JsonNode n = out.get(i);
            assertThat(n.get("line").asInt()).isEqualTo(i + 1);
            assertThat(n.has("error")).as("line " + (i + 1)).isEqualTo(badLines.contains(i + 1));
        }
        assertThat(out.get(badLines.get(0) - 1).get("error").asText())
                .isEqualTo("unknown head 'sentiment' (this model has [intent, pos, genre])");

        // each head's rows against that head's own model, run alone by predict --head on the same texts
        JsonClose close = new JsonClose();
        StringBuilder figures = new StringBuilder();
        for (Map.Entry<String, Path> h : heads.entrySet()) {
            String name = h.getKey();
            List<JsonNode> rows = out.stream().filter(n -> n.has("outputs") && n.get("outputs").has(name)).toList();
            assertThat(rows.size()).as(name + " rows").isGreaterThan(PER_TASK);
            Path single = dir.resolve(name + "-texts.txt");
            Files.write(single, rows.stream().map(n -> n.get("text").asText()).toList());
            HeadCommandsTest.Run s = run("predict", "--head", h.getValue().toString(), "--input", single.toString(),
                    "--top", "77", "--threads", "2");
            assertThat(s.code()).as(s.err()).isZero();
            List<String> expected = s.out().lines().toList();
            assertThat(expected).hasSize(rows.size());
            int words = 0;
            for (int i = 0; i < rows.size(); i++) {
                ObjectNode e = (ObjectNode) JSON.readTree(expected.get(i));
                e.remove("text");
                JsonNode actual = rows.get(i).get("outputs").get(name);
                if (name.equals("pos")) {
                    assertThat(actual.get("tags")).as("tags of line " + rows.get(i).get("line")).isEqualTo(e.get("tags"));
                    words += e.get("tags").size();
                } else {
                    assertThat(actual.get("label")).as("label of line " + rows.get(i).get("line")).isEqualTo(e.get("label"));
                }
                close.assertClose(actual, e, 1e-5, name + " on line " + rows.get(i).get("line"));
            }
            figures.append(String.format(java.util.Locale.ROOT, "%s: %d rows%s agree; ", name, rows.size(),
                    name.equals("pos") ? " (" + words + " words)" : ""));
        }

        // the agreement means something: each adapter moves its head's scores far beyond the tolerance
        double[] moved = adapterEffects(model, out);
        for (int i = 0; i < moved.length; i++) {
            assertThat(moved[i]).as("largest score change from the adapter of " + List.copyOf(heads.keySet()).get(i))
                    .isGreaterThan(1e-3);
        }
        System.err.printf(java.util.Locale.ROOT, "%smax |score difference| %.2e; adapter effects %.3f / %.3f / %.3f%n",
                figures, close.maxDifference(), moved[0], moved[1], moved[2]);
    }

    /** Trains a head with its adapter for one epoch on {@code train}; returns its directory. */
    private Path train(String task, Path train, String... adapter) {
        Path out = dir.resolve("head-" + train.getFileName().toString().replaceAll("\\..*", ""));
        List<String> args = new ArrayList<>(List.of("train-head", "--task", task, "--train", train.toString(),
                "--epochs", "1", "--batch-size", "8", "--warmup", "0", "--validation-fraction", "0", "--threads", "2",
                "--output", out.toString()));
        args.addAll(List.of(adapter));
        HeadCommandsTest.Run t = run(args.toArray(String[]::new));
        assertThat(t.code()).as(t.err()).isZero();
        return out;
    }

    /** The first {@code perGenre} rows of each genre (captions, news, forum) of an STS-B file: sentence 1 and genre. */
    static void writeGenres(Path sts, Path to, int perGenre) throws IOException {
        List<String> out = new ArrayList<>(List.of("text,label"));
        Map<String, Integer> count = new LinkedHashMap<>();
        for (String l : Files.readAllLines(sts)) {
            String[] c = l.split("\t");
            String genre = c[0].replace("main-", "").replace("forums", "forum"); // the test file says forums
            if (count.merge(genre, 1, Integer::sum) <= perGenre) {
                out.add("\"" + c[5].replace("\"", "\"\"") + "\"," + genre);
            }
        }
        assertThat(count.keySet()).containsExactlyInAnyOrder("captions", "news", "forum");
        Files.write(to, out);
    }

    /**
     * For each head of the saved model (in its order), the largest difference between a score the composed model
     * printed and the same head's score without its adapter (the bare head on the plain backbone), over its rows.
     */
    private static double[] adapterEffects(Path model, List<JsonNode> out) throws IOException {
        List<String> names = List.of("intent", "pos", "genre");
        double[] moved = new double[names.size()];
        try (BertBackbone backbone = Backbones.builder("all-minilm-l6-v2").optThreads(2).build()) {
            for (int h = 0; h < names.size(); h++) {
                String name = names.get(h);
                var bare = HeadIO.load(model.resolve("heads").resolve(name), HeadTypes.registry()).head();
                List<JsonNode> rows = out.stream().filter(n -> n.has("outputs") && n.get("outputs").has(name)).toList();
                try (ComposedModel plain = ComposedModel.builder().backbone(backbone).head(name, bare).build()) {
                    HeadOutput o = plain.predict(rows.stream().map(n -> n.get("text").asText()).toList(), name)
                            .outputs().get(name);
                    for (int i = 0; i < rows.size(); i++) {
                        JsonNode printed = rows.get(i).get("outputs").get(name);
                        if (o instanceof HeadOutput.Classification c) {
                            float[] p = c.probabilities(i);
                            for (JsonNode t : printed.get("top")) {
                                int k = c.labels().indexOf(t.get("label").asText());
                                moved[h] = Math.max(moved[h], Math.abs(t.get("score").asDouble() - p[k]));
                            }
                        } else if (o instanceof HeadOutput.Tagging t) {
                            float[] s = t.scores().get(i);
                            for (int w = 0; w < s.length; w++) {
                                boolean sameTag = t.tags().get(i).get(w).equals(printed.get("tags").get(w).asText());
                                // a changed tag is itself the adapter's doing; else compare the tag's probability
                                moved[h] = Math.max(moved[h], sameTag ? Math.abs(printed.get("scores").get(w).asDouble() - s[w]) : 1);
                            }
                        }
                    }
                }
            }
        }
        return moved;
    }
}
