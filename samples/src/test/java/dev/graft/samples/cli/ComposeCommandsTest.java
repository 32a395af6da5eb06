package dev.graft.samples.cli;

import static dev.graft.samples.cli.HeadCommandsTest.JSON;
import static dev.graft.samples.cli.HeadCommandsTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.adapters.adapter.AdaptedHead;
import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.classification.ClassificationConfig;
import dev.graft.adapters.classification.SequenceClassification;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.HeadIO;
import dev.graft.adapters.ia3.Ia3;
import dev.graft.adapters.ia3.Ia3Config;
import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.lora.LoraConfig;
import dev.graft.adapters.tagging.TaggingConfig;
import dev.graft.adapters.tagging.TokenClassification;
import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.sites.SiteKind;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code compose} and {@code predict --model} as a user runs them, on all-MiniLM-L6-v2 with three saved heads: an
 * intent classifier through a LoRA, a UPOS tagger through an (IA)³ adapter (both with random non-zero adapter
 * weights, so that each adapter changes its head's outputs) and a plain classifier.
 */
class ComposeCommandsTest {
    static final List<String> INTENTS = List.of("card_arrival", "exchange_rate", "lost_or_stolen_card", "pin_blocked");
    static final List<String> UPOS = List.of("ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART",
            "PRON", "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X");

    @TempDir
    static Path dir;
    static Path intent;
    static Path pos;
    static Path topic;

    @BeforeAll
    static void heads() throws IOException {
        intent = dir.resolve("intent");
        pos = dir.resolve("pos");
        topic = dir.resolve("topic");
        try (BertBackbone backbone = Backbones.builder("all-minilm-l6-v2").optThreads(2).build()) {
            BackboneInfo info = BackboneInfo.of(backbone);
            Adapter lora = Lora.create(LoraConfig.of(4, 8, SiteKind.QUERY, SiteKind.VALUE), backbone.encoder().sites(), 8);
            randomize(lora, 0, 0.2, 9);
            AdaptedHead.save(new SequenceClassification().create(ClassificationConfig.of(INTENTS), info, 7), lora, intent,
                    null, null);
            Adapter ia3 = Ia3.create(Ia3Config.standard(), backbone.encoder().sites());
            randomize(ia3, 1, 0.3, 10);
            AdaptedHead.save(new TokenClassification().create(TaggingConfig.of(UPOS), info, 11), ia3, pos, null, null);
            HeadIO.save(new SequenceClassification().create(ClassificationConfig.of(List.of("cards", "money", "other")),
                    info, 12), topic);
        }
    }

    private static void randomize(Adapter adapter, double mean, double sd, long seed) {
        Random r = new Random(seed);
        adapter.parameters().forEach(p -> {
            for (int i = 0; i < p.values().length; i++) {
                p.values()[i] = (float) (mean + r.nextGaussian() * sd);
            }
        });
    }

    static HeadCommandsTest.Run compose(Path output, String... extra) {
        List<String> args = new ArrayList<>(List.of("compose", "--head", "intent=" + intent, "--head", "pos=" + pos,
                "--head", "topic=" + topic, "--output", output.toString()));
        args.addAll(List.of(extra));
        return run(args.toArray(String[]::new));
    }

    @Test
    void aComposedModelAnswersEveryLineInOrderExactlyAsEachHeadAlone() throws IOException {
        Path model = dir.resolve("model");
        HeadCommandsTest.Run c = compose(model);
        assertThat(c.code()).as(c.err()).isZero();
        assertThat(c.err()).contains("composed 3 heads on all-minilm-l6-v2")
                .contains("intent: classification with adapter lora r=4").contains("pos: tagging with adapter ia3")
                .contains("topic: classification (" + topic + ")").contains("saved the composed model to " + model);
        JsonNode saved = JSON.readTree(model.resolve("model.json").toFile());
        assertThat(saved.get("heads").toString()).isEqualTo("[\"intent\",\"pos\",\"topic\"]");
        assertThat(model.resolve("heads/intent/adapter_model.safetensors")).exists();
        assertThat(model.resolve("heads/pos/adapter_config.json")).exists();
        assertThat(model.resolve("heads/topic/head_config.json")).exists();
        assertThat(model.resolve("heads/topic/adapter_config.json")).doesNotExist();

        List<String> lines = List.of(
                "{\"text\": \"I lost my card yesterday\", \"head\": \"intent\"}",
                "{\"text\": \"The cat sat on the mat.\", \"head\": \"pos\"}",
                "{\"text\": \"Where is my new card?\", \"heads\": [\"topic\", \"intent\"]}",
                "{\"text\": \"What rate do you use for euros?\"}",
                "{\"text\": \"Hello there\", \"head\": \"sentiment\"}",
                "{\"text\": \"no closing brace\"",
                "",
                "{\"head\": \"intent\"}",
                "{\"text\": \"My PIN is blocked\", \"head\": \"intent\", \"id\": 7}",
                "{\"text\": \"My PIN is blocked again\", \"head\": \"intent\"}",
                "{\"text\": \"She reads books every night.\", \"heads\": [\"pos\", \"topic\"]}",
                "{\"text\": \"x\", \"head\": \"pos\", \"heads\": [\"pos\"]}",
                "{\"text\": \"Has my card been sent out yet?\", \"heads\": [\"intent\", \"sentiment\", \"tone\"]}",
                "{\"text\": \"   \", \"head\": \"topic\"}",
                "[\"I lost my card\"]",
                "{\"text\": 5}",
                "{\"text\": \"Lost card\", \"heads\": []}",
                "{\"text\": \"Lost card\", \"heads\": [\"pos\", \"pos\"]}",
                "{\"text\": \"Lost card\", \"text\": \"Found card\"}",
                "{\"text\": \"Lost card\"} {\"text\": \"Found card\"}");
        Path requests = dir.resolve("requests.jsonl");
        Files.write(requests, lines);
        HeadCommandsTest.Run p = run("predict", "--model", model.toString(), "--input", requests.toString(),
                "--batch-size", "4", "--top", "4", "--threads", "2");
        assertThat(p.code()).as("some lines failed: " + p.err()).isEqualTo(RoutedPredict.SOME_LINES_FAILED);
        List<JsonNode> out = new ArrayList<>();
        for (String l : p.out().lines().toList()) {
            out.add(JSON.readTree(l));
        }
        assertThat(out).as("one line out per line in").hasSize(lines.size());
        for (int i = 0; i < out.size(); i++) {
            assertThat(out.get(i).get("line").asInt()).isEqualTo(i + 1);
        }
        Map<Integer, String> errors = new HashMap<>();
        for (JsonNode n : out) {
            if (n.has("error")) {
                assertThat(n.has("outputs")).isFalse();
                errors.put(n.get("line").asInt(), n.get("error").asText());
            }
        }
        assertThat(errors.keySet()).containsExactlyInAnyOrder(5, 6, 7, 8, 9, 12, 13, 14, 15, 16, 17, 18, 19, 20);
        assertThat(errors.get(5)).isEqualTo("unknown head 'sentiment' (this model has [intent, pos, topic])");
        assertThat(out.get(4).get("text").asText()).isEqualTo("Hello there");
        assertThat(errors.get(6)).startsWith("not valid JSON (column ").contains("Unexpected end-of-input")
                .contains("(start marker at column 1)").doesNotContain("Source");
        assertThat(errors.get(7)).startsWith("empty line");
        assertThat(errors.get(8)).startsWith("no \"text\" field");
        assertThat(errors.get(9)).startsWith("unknown field 'id'");
        assertThat(errors.get(12)).isEqualTo("give \"head\" or \"heads\", not both");
        assertThat(errors.get(13)).contains("'sentiment'").contains("'tone'").contains("[intent, pos, topic]");
        assertThat(errors.get(14)).contains("\"text\" is empty");
        assertThat(errors.get(15)).isEqualTo("expected a JSON object such as {\"text\": \"…\", \"head\": \"NAME\"}, got"
                + " array [\"I lost my card\"]");
        assertThat(errors.get(16)).isEqualTo("\"text\" must be a string, got number 5");
        assertThat(errors.get(17)).startsWith("\"heads\" must be a non-empty list of head names");
        assertThat(errors.get(18)).isEqualTo("\"heads\" names 'pos' twice");
        assertThat(errors.get(19)).startsWith("not valid JSON").contains("Duplicate field 'text'");
        assertThat(errors.get(20)).startsWith("not valid JSON").contains("Trailing token");
        assertThat(p.err()).contains("14 of 20 lines failed (lines 5, 6, 7, 8, 9, 12, 13, 14, 15, 16, …)")
                .contains("20 lines in");

        // the heads each line asked for, in the order it named them (all heads, in the model's order, when none)
        assertThat(fieldNames(out.get(0))).containsExactly("intent");
        assertThat(fieldNames(out.get(1))).containsExactly("pos");
        assertThat(fieldNames(out.get(2))).containsExactly("topic", "intent");
        assertThat(fieldNames(out.get(3))).containsExactly("intent", "pos", "topic");
        assertThat(fieldNames(out.get(10))).containsExactly("pos", "topic");

        // every answered row's fields are what predict --head prints for that row (labels, tags, words exactly;
        // scores to 1e-5: the rows run in other batches, with other padding)
        JsonClose close = new JsonClose();
        for (Map.Entry<String, Path> h : Map.of("intent", intent, "pos", pos, "topic", topic).entrySet()) {
            List<JsonNode> rows = out.stream().filter(n -> n.has("outputs") && n.get("outputs").has(h.getKey())).toList();
            Path texts = dir.resolve(h.getKey() + "-texts.txt");
            Files.write(texts, rows.stream().map(n -> n.get("text").asText()).toList());
            HeadCommandsTest.Run single = run("predict", "--head", h.getValue().toString(), "--input", texts.toString(),
                    "--top", "4", "--threads", "2");
            assertThat(single.code()).as(single.err()).isZero();
            List<String> expected = single.out().lines().toList();
            assertThat(expected).hasSize(rows.size());
            for (int i = 0; i < rows.size(); i++) {
                ObjectNode e = (ObjectNode) JSON.readTree(expected.get(i));
                e.remove("text");
                close.assertClose(rows.get(i).get("outputs").get(h.getKey()), e, 1e-5,
                        h.getKey() + " on line " + rows.get(i).get("line"));
            }
        }
        assertThat(out.get(1).get("outputs").get("pos").get("words").toString())
                .isEqualTo("[\"The\",\"cat\",\"sat\",\"on\",\"the\",\"mat\",\".\"]");
        assertThat(out.get(0).get("outputs").get("intent").get("top")).hasSize(4);
    }

    private static List<String> fieldNames(JsonNode line) {
        List<String> names = new ArrayList<>();
        line.get("outputs").fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void standardInputWithGoodLinesOnlyExitsZero() throws IOException {
        Path model = dir.resolve("model-stdin");
        assertThat(compose(model).code()).isZero();
        InputStream before = System.in;
        System.setIn(new ByteArrayInputStream(("{\"text\": \"I lost my card\", \"head\": \"intent\"}\n"
                + "{\"text\": \"Cards and money\", \"head\": \"topic\"}\n").getBytes(StandardCharsets.UTF_8)));
        HeadCommandsTest.Run p;
        try {
            p = run("predict", "--model", model.toString(), "--input", "-", "--threads", "2");
        } finally {
            System.setIn(before);
        }
        assertThat(p.code()).as(p.err()).isZero();
        List<String> out = p.out().lines().toList();
        assertThat(out).hasSize(2);
        assertThat(JSON.readTree(out.get(1)).get("outputs").get("topic").get("top")).as("--top defaults to 3").hasSize(3);
        assertThat(p.err()).contains("predicting with composed model " + model + " (3 heads: intent, pos, topic)")
                .contains("2 lines in").doesNotContain("failed");
    }

    @Test
    void composeRefusesBadHeadsClearlyAndWritesNothing() throws IOException {
        Path out = dir.resolve("refused");
        HeadCommandsTest.Run noEquals = run("compose", "--head", intent.toString(), "--output", out.toString());
        assertThat(noEquals.code()).isEqualTo(2);
        assertThat(noEquals.err()).contains("--head needs NAME=DIR").contains("got '" + intent + "'");
        HeadCommandsTest.Run noName = run("compose", "--head", "=" + intent, "--output", out.toString());
        assertThat(noName.code()).isEqualTo(2);
        assertThat(noName.err()).contains("--head needs NAME=DIR");
        HeadCommandsTest.Run twice = run("compose", "--head", "a=" + intent, "--head", "a=" + topic, "--output", out.toString());
        assertThat(twice.code()).isEqualTo(2);
        assertThat(twice.err()).contains("--head name 'a' is given twice (a=" + intent + " and a=" + topic + ")");
        HeadCommandsTest.Run none = run("compose", "--output", out.toString());
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.err()).contains("missing required option --head NAME=DIR");

        Path missing = dir.resolve("no-such-head");
        HeadCommandsTest.Run gone = run("compose", "--head", "intent=" + intent, "--head", "x=" + missing, "--output",
                out.toString());
        assertThat(gone.code()).isEqualTo(1);
        assertThat(gone.err()).contains(missing.toString()).contains("no such head directory");

        HeadCommandsTest.Run badName = run("compose", "--head", "in tent=" + intent, "--output", out.toString());
        assertThat(badName.code()).isEqualTo(1);
        assertThat(badName.err()).contains("head name 'in tent' must start with a letter or digit");

        // a head trained on other weights: the weights hash it records is not the backbone's
        Path other = dir.resolve("other-backbone");
        copy(topic, other);
        Path config = other.resolve("head_config.json");
        ObjectNode root = (ObjectNode) JSON.readTree(config.toFile());
        ((ObjectNode) root.get("backbone")).put("sha256", "0".repeat(64));
        JSON.writeValue(config.toFile(), root);
        HeadCommandsTest.Run mismatch = run("compose", "--head", "intent=" + intent, "--head", "topic=" + other,
                "--output", out.toString());
        assertThat(mismatch.code()).isEqualTo(1);
        assertThat(mismatch.err()).contains("head topic=" + other + " was trained on backbone all-minilm-l6-v2 (sha256 000000000000…")
                .contains("but is attached to all-minilm-l6-v2");
        assertThat(out).as("nothing written by a refused compose").doesNotExist();

        // an existing model is replaced only with --overwrite, and then only Graft's files in it
        Path model = dir.resolve("model-again");
        assertThat(compose(model).code()).isZero();
        Files.writeString(model.resolve("NOTES.md"), "mine");
        HeadCommandsTest.Run again = compose(model);
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err()).contains("pass --overwrite to replace it");
        HeadCommandsTest.Run replaced = run("compose", "--head", "topic=" + topic, "--output", model.toString(), "--overwrite");
        assertThat(replaced.code()).as(replaced.err()).isZero();
        assertThat(JSON.readTree(model.resolve("model.json").toFile()).get("heads").toString()).isEqualTo("[\"topic\"]");
        assertThat(model.resolve("heads/intent")).as("the old model's heads are Graft's files").doesNotExist();
        assertThat(model.resolve("NOTES.md")).hasContent("mine");
        HeadCommandsTest.Run intoHead = run("compose", "--head", "topic=" + topic, "--output", intent.toString(), "--overwrite");
        assertThat(intoHead.code()).as("a head's directory is not a composed model").isEqualTo(1);
        assertThat(intent.resolve("model.json")).doesNotExist();
    }

    @Test
    void predictTellsAComposedModelFromAHeadAndABackbone() throws IOException {
        Path model = dir.resolve("model-kinds");
        assertThat(compose(model).code()).isZero();
        Path texts = dir.resolve("one-text.txt");
        Files.writeString(texts, "{\"text\": \"I lost my card\"}\n");
        HeadCommandsTest.Run headAsModel = run("predict", "--model", intent.toString(), "--input", texts.toString());
        assertThat(headAsModel.code()).isEqualTo(1);
        assertThat(headAsModel.err()).contains("is not a composed model saved by compose; it is a single head: use --head " + intent);
        HeadCommandsTest.Run both = run("predict", "--head", intent.toString(), "--model", model.toString(), "--input",
                texts.toString());
        assertThat(both.code()).isEqualTo(2);
        assertThat(both.err()).contains("--model " + model + " is a composed model: run it without --head");
        HeadCommandsTest.Run backboneWithHead = run("predict", "--head", intent.toString(), "--backbone",
                "all-minilm-l6-v2", "--input", texts.toString());
        assertThat(backboneWithHead.code()).isEqualTo(2);
        assertThat(backboneWithHead.err()).contains("--backbone goes with --model DIR (a composed model)");
        HeadCommandsTest.Run backboneAsModel = run("predict", "--model", "all-minilm-l6-v2", "--input", texts.toString());
        assertThat(backboneAsModel.code()).isEqualTo(2);
        assertThat(backboneAsModel.err()).contains("--model all-minilm-l6-v2 is a backbone");
        HeadCommandsTest.Run neither = run("predict", "--input", texts.toString());
        assertThat(neither.code()).isEqualTo(2);
        assertThat(neither.err()).contains("missing required option --head DIR").contains("or --model DIR");
    }

    @Test
    void aRowWhoseScoresOverflowFailsAloneAndTheOtherRowsAnswer() throws IOException {
        Path risky = NonFiniteCliTest.overflowingHead(dir.resolve("risky")); // infinite scores for QUESTIONS[1] only
        Path model = dir.resolve("model-risky");
        HeadCommandsTest.Run c = run("compose", "--head", "intent=" + intent, "--head", "risky=" + risky, "--output",
                model.toString());
        assertThat(c.code()).as(c.err()).isZero();
        List<String> q = NonFiniteCliTest.QUESTIONS;
        Path requests = Files.write(dir.resolve("risky.jsonl"), List.of(
                "{\"text\": \"" + q.get(0) + "\", \"head\": \"risky\"}",
                "{\"text\": \"" + q.get(2) + "\"}",
                "{\"text\": \"" + q.get(0) + "\", \"head\": \"intent\"}",
                "{\"text\": \"" + q.get(1) + "\", \"heads\": [\"intent\", \"risky\"]}",
                "{\"text\": \"" + q.get(1) + "\", \"head\": \"intent\"}"));
        HeadCommandsTest.Run p = run("predict", "--model", model.toString(), "--input", requests.toString(),
                "--batch-size", "3", "--threads", "2");
        assertThat(p.code()).as(p.err()).isEqualTo(RoutedPredict.SOME_LINES_FAILED);
        List<String> out = p.out().lines().toList();
        assertThat(out).as("one line out per line in").hasSize(5);
        assertThat(out.get(3)).contains("\"line\":4").contains("\"error\"")
                .contains("the output of head 'risky' (classification)").contains("is Infinity")
                .doesNotContain("\"outputs\"");
        assertThat(out.get(0)).contains("\"outputs\"").doesNotContain("\"error\"");
        assertThat(out.get(1)).contains("\"outputs\"").doesNotContain("\"error\"");
        assertThat(out.get(4)).as("the same text through the other head in the same batch still answers")
                .contains("\"outputs\"").contains("\"intent\"").doesNotContain("\"error\"");
        assertThat(p.err()).contains("1 of 5 lines failed");
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }
}
