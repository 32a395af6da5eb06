package dev.graft.samples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.adapters.adapter.AdaptedHead;
import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.classification.ClassificationConfig;
import dev.graft.adapters.classification.SequenceClassification;
import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.data.CsvDataset;
import dev.graft.adapters.data.LabeledText;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.head.HeadOutput;
import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.lora.LoraConfig;
import dev.graft.adapters.metrics.ClassificationMetrics;
import dev.graft.adapters.tasks.ClassificationTask;
import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.backbones.testing.ModelResources;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train-head, eval and predict as a user runs them, on small real slices of banking77 and UD English-EWT. */
class HeadCommandsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Set<String> INTENTS = Set.of("card_arrival", "lost_or_stolen_card", "exchange_rate", "pin_blocked");

    @TempDir
    static Path dir;
    static Path trainCsv;
    static Path testCsv;
    static Path trainConllu;
    static Path testConllu;
    static Path cache;

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = GraftCli.standard().run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @BeforeAll
    static void slices() throws IOException {
        cache = dir.resolve("cache");
        trainCsv = dir.resolve("train.csv");
        testCsv = dir.resolve("test.csv");
        writeCsv(ModelResources.shared("datasets/banking77/train.csv"), trainCsv, 60);
        writeCsv(ModelResources.shared("datasets/banking77/test.csv"), testCsv, 15);
        trainConllu = dir.resolve("train.conllu");
        testConllu = dir.resolve("test.conllu");
        writeConllu(ModelResources.shared("datasets/ud_english_ewt/en_ewt-ud-dev.conllu"), trainConllu, 0, 150);
        writeConllu(ModelResources.shared("datasets/ud_english_ewt/en_ewt-ud-test.conllu"), testConllu, 0, 60);
    }

    /** The first {@code perLabel} rows of each of four intents, keeping the original CSV lines. */
    static void writeCsv(Path from, Path to, int perLabel) throws IOException {
        List<String> lines = Files.readAllLines(from);
        List<String> out = new ArrayList<>(List.of(lines.getFirst()));
        Map<String, Integer> count = new HashMap<>();
        for (String l : lines.subList(1, lines.size())) {
            String label = l.substring(l.lastIndexOf(',') + 1);
            if (INTENTS.contains(label) && !l.contains("\"") && count.merge(label, 1, Integer::sum) <= perLabel) {
                out.add(l);
            }
        }
        Files.write(to, out);
    }

    static void writeConllu(Path from, Path to, int skip, int sentences) throws IOException {
        String[] blocks = Files.readString(from).split("\n\n");
        Files.writeString(to, String.join("\n\n", List.of(blocks).subList(skip, skip + sentences)) + "\n\n");
    }

    static JsonNode lastJson(String out) throws IOException {
        List<String> lines = out.lines().toList();
        return JSON.readTree(lines.getLast());
    }

    @Test
    void aClassifierIsTrainedEvaluatedAndRunFromTheCommandLine() throws IOException {
        Path head = dir.resolve("intent");
        Run t = run("train-head", "--task", "classification", "--train", trainCsv.toString(), "--label-column", "category",
                "--epochs", "20", "--seed", "3", "--threads", "2", "--cache-dir", cache.toString(), "--output", head.toString());
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(t.err()).contains("training a classification head on 240 texts").contains("l-bfgs, L2");
        assertThat(head.resolve("head_config.json")).exists();
        assertThat(head.resolve("head.safetensors")).exists();
        assertThat(head.resolve("learning-curve.png")).exists();

        Run again = run("train-head", "--task", "classification", "--train", trainCsv.toString(), "--epochs", "2",
                "--threads", "2", "--cache-dir", cache.toString(), "--output", dir.resolve("intent2").toString());
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.err()).as("the label column is found by name; features come from the cache").contains("read from the cache");

        Run e = run("eval", "--head", head.toString(), "--test", testCsv.toString(), "--threads", "2");
        assertThat(e.code()).as(e.err()).isZero();
        JsonNode m = lastJson(e.out());
        assertThat(m.get("accuracy").asDouble()).isGreaterThan(0.8);
        assertThat(m.get("macro_f1").asDouble()).isBetween(0.0, 1.0);
        assertThat(m.get("examples").asInt()).isEqualTo(60);

        Path input = dir.resolve("questions.txt");
        Files.writeString(input, "I still haven't received my card\nWhat rate do you use for euros?\n");
        Run p = run("predict", "--head", head.toString(), "--input", input.toString(), "--threads", "2", "--top", "2");
        assertThat(p.code()).as(p.err()).isZero();
        List<String> lines = p.out().lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(JSON.readTree(lines.get(0)).get("label").asText()).isEqualTo("card_arrival");
        assertThat(JSON.readTree(lines.get(1)).get("label").asText()).isEqualTo("exchange_rate");
        assertThat(JSON.readTree(lines.get(1)).get("top")).hasSize(2);
    }

    @Test
    void aLinearHeadIsSolvedByLbfgsWithTheL2ChosenOnValidationAndTheSeedDoesNotMatter() throws IOException {
        Path validation = dir.resolve("validation.csv");
        List<String> lines = Files.readAllLines(ModelResources.shared("datasets/banking77/train.csv"));
        List<String> held = new ArrayList<>(List.of(lines.getFirst()));
        Map<String, Integer> count = new HashMap<>();
        for (String l : lines.subList(1, lines.size())) {      // rows 61-75 of each intent: not in trainCsv
            String label = l.substring(l.lastIndexOf(',') + 1);
            if (INTENTS.contains(label) && !l.contains("\"")) {
                int k = count.merge(label, 1, Integer::sum);
                if (k > 60 && k <= 75) {
                    held.add(l);
                }
            }
        }
        Files.write(validation, held);
        Path[] heads = {dir.resolve("lbfgs-1"), dir.resolve("lbfgs-2")};
        String[] seeds = {"1", "2"};
        for (int i = 0; i < 2; i++) {
            Run t = run("train-head", "--task", "classification", "--train", trainCsv.toString(), "--validation",
                    validation.toString(), "--seed", seeds[i], "--threads", "2", "--cache-dir", cache.toString(),
                    "--output", heads[i].toString());
            assertThat(t.code()).as(t.err()).isZero();
            assertThat(t.err()).contains("l-bfgs λ=1e-02").contains("refit on training + validation");
        }
        assertThat(Files.readAllBytes(heads[1].resolve("head.safetensors")))
                .as("a convex problem solved from a fixed start: the seed changes nothing")
                .isEqualTo(Files.readAllBytes(heads[0].resolve("head.safetensors")));
        JsonNode record = JSON.readTree(heads[0].resolve("head_config.json").toFile()).path("training");
        assertThat(record.path("optimizer").asText()).isEqualTo("lbfgs");
        JsonNode lbfgs = record.path("lbfgs");
        assertThat(lbfgs.path("chosen_by").asText()).isEqualTo("validation");
        assertThat(lbfgs.path("l2_grid").size()).isEqualTo(9);
        assertThat(lbfgs.path("search").size()).isBetween(1, 9);
        double best = 0;
        for (JsonNode fit : lbfgs.path("search")) {
            assertThat(fit.path("validation_accuracy").isNumber()).isTrue();
            assertThat(fit.path("iterations").asInt()).isPositive();
            best = Math.max(best, fit.path("validation_accuracy").asDouble());
        }
        assertThat(lbfgs.path("chosen").path("validation_accuracy").asDouble()).isEqualTo(best);
        assertThat(lbfgs.path("final").path("examples").asInt()).isEqualTo(240 + held.size() - 1);
        assertThat(lbfgs.path("final").path("gradient_norm").asDouble()).isLessThanOrEqualTo(1e-5);

        Path fixed = dir.resolve("lbfgs-fixed");
        Run f = run("train-head", "--task", "classification", "--train", trainCsv.toString(), "--l2", "0.001",
                "--threads", "2", "--cache-dir", cache.toString(), "--output", fixed.toString());
        assertThat(f.code()).as(f.err()).isZero();
        JsonNode fixedRecord = JSON.readTree(fixed.resolve("head_config.json").toFile()).path("training").path("lbfgs");
        assertThat(fixedRecord.path("chosen_by").asText()).isEqualTo("fixed");
        assertThat(fixedRecord.path("chosen_l2").asDouble()).isEqualTo(0.001);
        assertThat(fixedRecord.path("search")).isEmpty();

        Path adamw = dir.resolve("adamw");
        Run a = run("train-head", "--task", "classification", "--train", trainCsv.toString(), "--optimizer", "adamw",
                "--epochs", "2", "--threads", "2", "--cache-dir", cache.toString(), "--output", adamw.toString());
        assertThat(a.code()).as(a.err()).isZero();
        assertThat(a.err()).contains("adamw, best epoch");
        JsonNode adamwRecord = JSON.readTree(adamw.resolve("head_config.json").toFile()).path("training");
        assertThat(adamwRecord.path("optimizer").asText()).isEqualTo("adamw");
        assertThat(adamwRecord.path("history")).hasSize(2);

        Run unknown = run("train-head", "--task", "classification", "--train", trainCsv.toString(), "--optimizer", "sgd",
                "--output", dir.resolve("never-sgd").toString());
        assertThat(unknown.code()).isNotZero();
        assertThat(unknown.err()).contains("--optimizer must be lbfgs or adamw, was sgd");
        Run mlp = run("train-head", "--task", "classification", "--train", trainCsv.toString(), "--optimizer", "lbfgs",
                "--hidden", "16", "--output", dir.resolve("never-mlp").toString());
        assertThat(mlp.code()).isNotZero();
        assertThat(mlp.err()).contains("--optimizer lbfgs trains a linear head");
        Run decay = run("train-head", "--task", "classification", "--train", trainCsv.toString(), "--optimizer", "adamw",
                "--l2", "0.01", "--output", dir.resolve("never-l2").toString());
        assertThat(decay.code()).isNotZero();
        assertThat(decay.err()).contains("--l2 is the L-BFGS penalty");
    }

    @Test
    void aTaggerIsTrainedAndEvaluatedOnCoNllU() throws IOException {
        Path head = dir.resolve("upos");
        Run t = run("train-head", "--task", "tagging", "--train", trainConllu.toString(), "--layers", "3",
                "--epochs", "15", "--threads", "2", "--cache-dir", cache.toString(), "--output", head.toString());
        assertThat(t.code()).as(t.err()).isZero();
        Run e = run("eval", "--head", head.toString(), "--test", testConllu.toString(), "--threads", "2");
        assertThat(e.code()).as(e.err()).isZero();
        JsonNode m = lastJson(e.out());
        assertThat(m.get("token_accuracy").asDouble()).isGreaterThan(0.8);
        assertThat(m.has("f1")).as("UPOS is not BIO").isFalse();
        Run p = run("predict", "--head", head.toString(), "--input", testConllu.toString(), "--threads", "2");
        assertThat(p.code()).as(p.err()).isZero();
        JsonNode first = JSON.readTree(p.out().lines().findFirst().orElseThrow());
        assertThat(first.get("tags").size()).isEqualTo(first.get("words").size());
    }

    @Test
    void badInputGivesClearErrorsAndLeavesNoHalfWrittenHead() throws IOException {
        Path broken = dir.resolve("broken.csv");
        Files.writeString(broken, "text,category\nfine,card_arrival\n\"never closed,card_arrival\n");
        Path out = dir.resolve("never");
        Run r = run("train-head", "--task", "classification", "--train", broken.toString(), "--threads", "2",
                "--cache-dir", cache.toString(), "--output", out.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("broken.csv:3");
        assertThat(out).doesNotExist();

        Path badConllu = dir.resolve("bad.conllu");
        Files.writeString(badConllu, "1\tHello\thello\tINTJ\t_\t_\t0\troot\t_\t_\n2\tworld\tworld\n\n");
        Run c = run("train-head", "--task", "tagging", "--train", badConllu.toString(), "--threads", "2",
                "--cache-dir", cache.toString(), "--output", out.toString());
        assertThat(c.code()).isEqualTo(1);
        assertThat(c.err()).contains("bad.conllu:2");
        assertThat(out).doesNotExist();

        Path head = dir.resolve("small");
        Run t = run("train-head", "--task", "classification", "--train", trainCsv.toString(), "--epochs", "2",
                "--threads", "2", "--cache-dir", cache.toString(), "--output", head.toString());
        assertThat(t.code()).as(t.err()).isZero();
        Path unseen = dir.resolve("unseen.csv");
        Files.writeString(unseen, "text,category\nWhere is my card?,card_arrival\nCan I get a virtual card?,get_disposable_virtual_card\n");
        Run u = run("eval", "--head", head.toString(), "--test", unseen.toString(), "--threads", "2");
        assertThat(u.code()).isEqualTo(1);
        assertThat(u.err()).contains("get_disposable_virtual_card").contains("unseen.csv:3");

        Path empty = dir.resolve("empty-line.txt");
        Files.writeString(empty, "fine\n\nalso fine\n");
        Run p = run("predict", "--head", head.toString(), "--input", empty.toString(), "--threads", "2");
        assertThat(p.code()).isEqualTo(1);
        assertThat(p.err()).contains("empty-line.txt:2");

        Path config = head.resolve("head_config.json");
        String json = Files.readString(config);
        String sha = JSON.readTree(json).path("backbone").path("sha256").asText();
        Files.writeString(config, json.replace(sha, "0".repeat(64)));
        Run m = run("eval", "--head", head.toString(), "--test", testCsv.toString(), "--threads", "2");
        assertThat(m.code()).isEqualTo(1);
        assertThat(m.err()).contains("was trained on backbone").contains("is attached to");

        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(x -> x.getFileName().toString())).noneMatch(n -> n.startsWith(".never"));
        }
    }
    @Test
    void anAdapterAndItsHeadAreTrainedTogetherAndEvaluated() throws IOException {
        Path pair = dir.resolve("intent-lora");
        Run t = run("train-head", "--task", "classification", "--train", trainCsv.toString(), "--adapter", "lora",
                "--lora-rank", "4", "--lora-alpha", "8", "--lora-targets", "query,value", "--epochs", "2",
                "--lr", "1e-3", "--head-lr", "1e-2", "--warmup", "0.1", "--clip", "1", "--seed", "3", "--threads", "2",
                "--output", pair.toString());
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(t.err()).contains("training lora r=4 alpha=8.0 on query, value (36,864 parameters, 0.163 %")
                .contains("best epoch");
        for (String f : List.of("head_config.json", "head.safetensors", "adapter_config.json",
                "adapter_model.safetensors", "learning-curve.png")) {
            assertThat(pair.resolve(f)).exists();
        }
        JsonNode peft = JSON.readTree(pair.resolve("adapter_config.json").toFile());
        assertThat(peft.get("peft_type").asText()).isEqualTo("LORA");
        assertThat(peft.get("r").asInt()).isEqualTo(4);

        Run e = run("eval", "--head", pair.toString(), "--test", testCsv.toString(), "--threads", "2");
        assertThat(e.code()).as(e.err()).isZero();
        assertThat(e.err()).contains("with adapter lora r=4");
        assertThat(lastJson(e.out()).get("accuracy").asDouble()).as("4 intents").isGreaterThan(0.6);

        Run orphan = run("train-head", "--task", "classification", "--train", trainCsv.toString(), "--lora-rank", "4",
                "--output", dir.resolve("x").toString());
        assertThat(orphan.code()).isNotZero();
        assertThat(orphan.err()).contains("--lora-rank needs --adapter");
        Run unknown = run("train-head", "--task", "classification", "--train", trainCsv.toString(), "--adapter", "prefix",
                "--output", dir.resolve("x").toString());
        assertThat(unknown.err()).contains("--adapter must be lora, houlsby, pfeiffer or ia3, was prefix");
        Run target = run("train-head", "--task", "classification", "--train", trainCsv.toString(), "--adapter", "lora",
                "--lora-targets", "query,gate", "--output", dir.resolve("x").toString());
        assertThat(target.err()).contains("--lora-targets: unknown projection 'gate'");
        assertThat(dir.resolve("x")).doesNotExist();
    }

    @Test
    void evalAndPredictUseTheAdapterSavedBesideTheHead() throws IOException {
        Path head = dir.resolve("adapted");
        List<LabeledText> test = CsvDataset.read(testCsv, "text", "category");
        List<String> questions = List.of("I still haven't received my card", "What rate do you use for euros?");
        Path input = dir.resolve("adapted-questions.txt");
        Files.writeString(input, String.join("\n", questions) + "\n");
        Adapter lora;
        ClassificationMetrics expectedMetrics;
        HeadOutput.Classification expected;
        HeadOutput.Classification withoutAdapter;
        try (BertBackbone backbone = Backbones.builder("all-minilm-l6-v2").optThreads(2).build()) {
            BackboneInfo info = BackboneInfo.of(backbone);
            Head h = new SequenceClassification().create(ClassificationConfig.of(INTENTS.stream().sorted().toList()), info, 7);
            lora = Lora.create(LoraConfig.of(4, 8, SiteKind.QUERY, SiteKind.VALUE), backbone.encoder().sites(), 8);
            java.util.Random r = new java.util.Random(9);
            lora.parameters().forEach(p -> {
                for (int i = 0; i < p.values().length; i++) {
                    p.values()[i] = (float) (r.nextGaussian() * 0.2);
                }
            });
            new AdaptedHead(h, lora).save(head);
            try (ComposedModel adapted = ComposedModel.builder().backbone(backbone).head("head", h, lora).build();
                 ComposedModel plain = ComposedModel.builder().backbone(backbone).head("head", h).build()) {
                expectedMetrics = ClassificationTask.evaluate(adapted, "head", test, 32);
                expected = ClassificationTask.predict(adapted, "head", questions, 32);
                withoutAdapter = ClassificationTask.predict(plain, "head", questions, 32);
            }
        }
        assertThat(head.resolve("adapter_config.json")).exists();

        Run e = run("eval", "--head", head.toString(), "--test", testCsv.toString(), "--threads", "2");
        assertThat(e.code()).as(e.err()).isZero();
        assertThat(e.err()).contains("head " + head + " (classification) with adapter " + lora.describe());
        JsonNode m = lastJson(e.out());
        assertThat(m.get("accuracy").asDouble()).isEqualTo(expectedMetrics.accuracy());
        assertThat(m.get("macro_f1").asDouble()).isEqualTo(expectedMetrics.macroF1());

        Run p = run("predict", "--head", head.toString(), "--input", input.toString(), "--threads", "2", "--top", "4");
        assertThat(p.code()).as(p.err()).isZero();
        assertThat(p.err()).contains("with adapter " + lora.describe());
        List<String> lines = p.out().lines().toList();
        assertThat(lines).hasSize(2);
        for (int i = 0; i < questions.size(); i++) {
            JsonNode line = JSON.readTree(lines.get(i));
            String label = expected.label(i);
            assertThat(line.get("label").asText()).isEqualTo(label);
            float best = expected.top(i, 1).getFirst().score();
            assertThat((float) line.get("score").asDouble()).isCloseTo(best, org.assertj.core.api.Assertions.within(1e-6f));
            float plainScore = withoutAdapter.top(i, 4).stream().filter(ls -> ls.label().equals(label))
                    .findFirst().orElseThrow().score();
            assertThat(Math.abs(best - plainScore)).as("the adapter changes the scores").isGreaterThan(1e-4f);
        }

        // the head's record says an adapter belongs to it: without its files, eval refuses to run the bare head
        Files.delete(head.resolve("adapter_config.json"));
        Run broken = run("eval", "--head", head.toString(), "--test", testCsv.toString(), "--threads", "2");
        assertThat(broken.code()).isEqualTo(1);
        assertThat(broken.err()).contains("adapter_config.json").contains("missing").contains(lora.describe());
    }
}
