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
import dev.graft.backbones.bert.BertCheckpoint;
import dev.graft.backbones.huggingface.HfBertDirectory;
import dev.graft.backbones.models.EmbeddedModels;
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

    /** {@link #run} with {@code locale} as the JVM's default (e.g. German, which writes 0,927 and 36.864). */
    static Run runWithDefaultLocale(java.util.Locale locale, String... args) {
        java.util.Locale before = java.util.Locale.getDefault();
        java.util.Locale.setDefault(locale);
        try {
            return run(args);
        } finally {
            java.util.Locale.setDefault(before);
        }
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
        assertThat(unknown.err()).contains("--optimizer must be lbfgs or adamw, got 'sgd'");
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
    void retrainingNeverDeletesTheUsersFilesAndRefusesBeforeTraining() throws IOException {
        Path head = dir.resolve("heads/intent");
        String[] train = {"train-head", "--task", "classification", "--train", trainCsv.toString(), "--epochs", "2",
                "--threads", "2", "--cache-dir", cache.toString(), "--output", head.toString()};
        Run first = run(train);
        assertThat(first.code()).as(first.err()).isZero();
        Files.writeString(head.resolve("NOTES.md"), "why this head");
        Files.createDirectories(head.resolve("results"));
        Files.writeString(head.resolve("results/run1.csv"), "epoch,accuracy\n1,0.9\n");
        byte[] weights = Files.readAllBytes(head.resolve("head.safetensors"));

        Run refused = run(train);
        assertThat(refused.code()).isEqualTo(1);
        assertThat(refused.err()).contains(head.toString()).contains("holds a saved head").contains("--overwrite")
                .as("refused before training").doesNotContain("training a classification head");
        assertThat(Files.readAllBytes(head.resolve("head.safetensors"))).isEqualTo(weights);

        String[] overwrite = java.util.Arrays.copyOf(train, train.length + 3);
        overwrite[train.length] = "--overwrite";
        overwrite[train.length + 1] = "--seed";
        overwrite[train.length + 2] = "7";
        Run again = run(overwrite);
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(Files.readAllBytes(head.resolve("head.safetensors"))).as("the head was replaced").isNotEqualTo(weights);
        assertThat(Files.readString(head.resolve("NOTES.md"))).isEqualTo("why this head");
        assertThat(Files.readString(head.resolve("results/run1.csv"))).isEqualTo("epoch,accuracy\n1,0.9\n");
        try (Stream<Path> files = Files.list(head)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(".graft-files.json",
                    "NOTES.md", "results", "head_config.json", "head.safetensors", "learning-curve.png");
        }
        try (Stream<Path> files = Files.list(head.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).as("no temporary sibling").containsExactly("intent");
        }
        String umaskMode = java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(Files.writeString(dir.resolve("ref"), "")));
        org.junit.jupiter.api.Assumptions.assumeTrue(umaskMode.startsWith("rw-r"),
                "needs a umask that lets the group read (0022), to tell it from 0600");
        for (String f : List.of("head_config.json", "head.safetensors", "learning-curve.png")) {
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(head.resolve(f))))
                    .as(f).isEqualTo(umaskMode);
        }
    }

    @Test
    void aProjectDirectoryOrAnUnwritablePlaceIsRefusedBeforeTraining() throws IOException {
        Path project = Files.createDirectories(dir.resolve("project/src"));
        Files.writeString(project.resolve("Main.java"), "class Main {}");
        Files.writeString(project.getParent().resolve("pom.xml"), "<project/>");
        Run r = run("train-head", "--task", "classification", "--train", trainCsv.toString(), "--epochs", "2",
                "--threads", "2", "--cache-dir", cache.toString(), "--output", project.getParent().toString(), "--overwrite");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains(project.getParent().toString()).contains("holds no saved head")
                .doesNotContain("training a classification head");
        assertThat(Files.readString(project.resolve("Main.java"))).isEqualTo("class Main {}");
        try (Stream<Path> files = Files.list(project.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("pom.xml", "src");
        }
        Path notADir = Files.writeString(dir.resolve("a-file"), "x");
        Run u = run("train-head", "--task", "classification", "--train", trainCsv.toString(), "--epochs", "2",
                "--threads", "2", "--cache-dir", cache.toString(), "--output", notADir.resolve("head").toString());
        assertThat(u.code()).isEqualTo(1);
        assertThat(u.err()).contains(notADir.toString()).contains("not a directory")
                .doesNotContain("training a classification head");
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
        Run t = runWithDefaultLocale(java.util.Locale.GERMANY, "train-head", "--task", "classification", "--train",
                trainCsv.toString(), "--adapter", "lora",
                "--lora-rank", "4", "--lora-alpha", "8", "--lora-targets", "query,value", "--epochs", "2",
                "--lr", "1e-3", "--head-lr", "1e-2", "--warmup", "0.1", "--clip", "1", "--seed", "3", "--threads", "2",
                "--output", pair.toString());
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(t.err()).as("the same numbers whatever the default locale")
                .contains("training lora r=4 alpha=8.0 on query, value (36,864 parameters, 0.163 %")
                .contains("best epoch").containsPattern("with a classification head \\(36,864 \\+ [0-9,]+ parameters, best "
                        + "epoch \\d+, validation accuracy \\d\\.\\d{4}\\) to .* in \\d+\\.\\d s");
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
        assertThat(unknown.err()).contains("--adapter must be lora, houlsby, pfeiffer or ia3, got 'prefix'");
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

    /** Runs the CLI in a child JVM whose working directory is {@code cwd}, as a user in another directory does. */
    static Run runIn(Path cwd, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--") || a.startsWith("-D") || a.startsWith("-X")).toList());
        command.addAll(List.of("-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                GraftCli.class.getName()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "child", ".out");
        Path err = Files.createTempFile(dir, "child", ".err");
        Process p = new ProcessBuilder(command).directory(cwd.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile()).start();
        int code = p.waitFor();
        return new Run(code, Files.readString(out), Files.readString(err));
    }

    @Test
    void aHeadTrainedWithARelativeModelPathWorksFromAnotherDirectoryAndTheModelCanBeNamedAgain() throws Exception {
        Path model = dir.resolve("models/minilm");
        try (BertCheckpoint ck = EmbeddedModels.open("all-minilm-l6-v2")) {
            HfBertDirectory.write(ck, model);
        }
        String relative = Path.of("").toAbsolutePath().relativize(model.toAbsolutePath()).toString();
        assertThat(Path.of(relative)).isRelative();
        Path small = dir.resolve("rel-train.csv");
        writeCsv(ModelResources.shared("datasets/banking77/train.csv"), small, 15);
        Path head = dir.resolve("rel-head");
        Run t = run("train-head", "--model", relative, "--task", "classification", "--train", small.toString(),
                "--epochs", "10", "--threads", "2", "--cache-dir", cache.toString(), "--output", head.toString());
        assertThat(t.code()).as(t.err()).isZero();
        String recorded = model.toAbsolutePath().normalize().toString();
        assertThat(JSON.readTree(head.resolve("head_config.json").toFile()).path("backbone").path("name").asText())
                .as("the model directory is recorded as an absolute path").isEqualTo(recorded);

        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Files.copy(testCsv, elsewhere.resolve("test.csv"));
        Run child = runIn(elsewhere, "eval", "--head", "../rel-head", "--test", "test.csv", "--threads", "2");
        assertThat(child.code()).as(child.err()).isZero();
        double accuracy = lastJson(child.out()).get("accuracy").asDouble();
        assertThat(accuracy).isBetween(0.0, 1.0);

        Path moved = dir.resolve("models/minilm-moved");
        Files.move(model, moved);
        Run lost = run("eval", "--head", head.toString(), "--test", testCsv.toString(), "--threads", "2");
        assertThat(lost.code()).isEqualTo(1);
        assertThat(lost.err()).contains(recorded).contains("pass --model NAME|DIR");
        Run found = run("eval", "--head", head.toString(), "--test", testCsv.toString(), "--threads", "2",
                "--model", moved.toString());
        assertThat(found.code()).as(found.err()).isZero();
        assertThat(lastJson(found.out()).get("accuracy").asDouble()).as("the same head on the same weights").isEqualTo(accuracy);
        Path input = Files.writeString(dir.resolve("rel-questions.txt"), "I still haven't received my card\n");
        Run p = run("predict", "--head", head.toString(), "--input", input.toString(), "--threads", "2", "--model", moved.toString());
        assertThat(p.code()).as(p.err()).isZero();
        assertThat(p.err()).contains("1 input in");
        Run wrong = run("eval", "--head", head.toString(), "--test", testCsv.toString(), "--threads", "2",
                "--model", "all-minilm-l6-v2");
        assertThat(wrong.code()).as("the ONNX weights hash differently: the backbone check still guards").isEqualTo(1);
        assertThat(wrong.err()).contains("was trained on backbone");
    }

    @Test
    void oneRowPerLabelTrainsWithoutValidationAndSaysSoInsteadOfRecordingNaN() throws IOException {
        Path tiny = dir.resolve("one-per-label.csv");
        writeCsv(ModelResources.shared("datasets/banking77/train.csv"), tiny, 1);
        Path head = dir.resolve("no-validation");
        Run t = run("train-head", "--task", "classification", "--train", tiny.toString(), "--epochs", "3",
                "--optimizer", "adamw", "--threads", "2", "--cache-dir", cache.toString(), "--output", head.toString());
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(t.err()).contains("warning: no validation examples").contains("training runs all 3 epochs")
                .contains("--validation FILE").contains("adamw, 3 epochs, no validation")
                .contains("extracting training features: 4/4 inputs (100 %")
                .as("written to a file or pipe: plain lines").doesNotContain("\r").doesNotContain("NaN");
        String config = Files.readString(head.resolve("head_config.json"));
        assertThat(config).doesNotContain("NaN");
        JsonNode training = JSON.readTree(config).path("training");
        assertThat(training.path("validation").asText()).isEqualTo("none");
        assertThat(training.path("validation_examples").asInt()).isZero();
        assertThat(training.path("best_validation_metric").isNull()).isTrue();
        Run e = run("eval", "--head", head.toString(), "--test", testCsv.toString(), "--threads", "2");
        assertThat(e.code()).as(e.err()).isZero();

        // The default for a linear head, L-BFGS, cannot choose its L2 strength either: it says so and records no metric.
        Path lbfgsHead = dir.resolve("no-validation-lbfgs");
        Run l = run("train-head", "--task", "classification", "--train", tiny.toString(), "--threads", "2",
                "--cache-dir", cache.toString(), "--output", lbfgsHead.toString());
        assertThat(l.code()).as(l.err()).isZero();
        assertThat(l.err()).contains("warning: no validation examples (the --validation-fraction 0.1 share of the training data"
                        + " is empty (a label lends validation rows only when it has at least 2")
                .contains("the L2 strength was not chosen on validation (the default 1.0E-4 was used)")
                .contains("l-bfgs, L2 1.0E-4 chosen by default (no validation data)").contains("no validation")
                .doesNotContain("NaN");
        JsonNode lbfgsTraining = JSON.readTree(lbfgsHead.resolve("head_config.json").toFile()).path("training");
        assertThat(lbfgsTraining.path("validation").asText()).isEqualTo("none");
        assertThat(lbfgsTraining.path("best_validation_metric").isNull()).isTrue();
        assertThat(Files.readString(lbfgsHead.resolve("head_config.json"))).doesNotContain("NaN");
    }

    @Test
    void aTaggerWithOneSentenceIsWarnedAboutSentencesNotLabels() throws IOException {
        Path one = dir.resolve("one-sentence.conllu");
        writeConllu(ModelResources.shared("datasets/ud_english_ewt/en_ewt-ud-dev.conllu"), one, 0, 1);
        Run t = run("train-head", "--task", "tagging", "--train", one.toString(), "--epochs", "2", "--threads", "2",
                "--cache-dir", cache.toString(), "--output", dir.resolve("one-sentence-tagger").toString());
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(t.err()).contains("warning: no validation examples (the --validation-fraction 0.1 share of the training "
                        + "sentences is empty (whole sentences are held out at random")
                .contains("give more sentences").doesNotContain("a label lends").doesNotContain("every label");
    }

    /**
     * Without --validation the trainer carves a stratified share, and a label with one row lends none: 4 rows of one
     * label and 1 of each of 5 others with --validation-fraction 0.5 hold out 3 rows, not round(9 × 0.5) = 5.
     */
    @Test
    void theRecordedValidationSizeIsTheCarveNotTheRoundedShare() throws IOException {
        List<String> rows = new ArrayList<>(List.of("text,category"));
        List<String> lines = Files.readAllLines(ModelResources.shared("datasets/banking77/train.csv"));
        Map<String, Integer> taken = new HashMap<>();
        for (String l : lines.subList(1, lines.size())) {
            String label = l.substring(l.lastIndexOf(',') + 1);
            boolean wanted = label.equals("card_arrival") ? taken.getOrDefault(label, 0) < 4
                    : !taken.containsKey(label) && taken.keySet().stream().filter(k -> !k.equals("card_arrival")).count() < 5;
            if (!l.contains("\"") && wanted) {
                taken.merge(label, 1, Integer::sum);
                rows.add(l);
            }
        }
        Path csv = Files.write(dir.resolve("uneven.csv"), rows);
        assertThat(rows).hasSize(10);
        assertThat(rows).filteredOn(r -> r.endsWith(",card_arrival")).hasSize(4);
        Path head = dir.resolve("uneven-head");
        Run t = run("train-head", "--task", "classification", "--train", csv.toString(), "--epochs", "2",
                "--validation-fraction", "0.5", "--threads", "2", "--cache-dir", cache.toString(), "--output", head.toString());
        assertThat(t.code()).as(t.err()).isZero();
        JsonNode training = JSON.readTree(head.resolve("head_config.json").toFile()).path("training");
        assertThat(training.path("train_examples").asInt()).isEqualTo(9);
        assertThat(training.path("validation_examples").asInt()).isEqualTo(3);
    }

    /** Under a German default locale, train-head and eval still write 0.927 and 1,540, as a parser expects. */
    @Test
    void numbersInTheOutputDoNotDependOnTheDefaultLocale() throws IOException {
        Path head = dir.resolve("german-locale-head");
        Run t = runWithDefaultLocale(java.util.Locale.GERMANY, "train-head", "--task", "classification", "--train",
                trainCsv.toString(), "--epochs", "2", "--threads", "2", "--cache-dir", cache.toString(), "--output", head.toString());
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(t.err()).contains("saved classification head (1,540 parameters, l-bfgs, L2 ")
                .containsPattern("validation accuracy \\d\\.\\d{4}\\) to .* in \\d+\\.\\d s")
                .containsPattern("training features: 240 rows of \\[\\d+, 384\\], .* in \\d+\\.\\d s");
        Path bigTest = dir.resolve("german-locale-test.csv");
        List<String> rows = new ArrayList<>(Files.readAllLines(testCsv));
        List<String> body = List.copyOf(rows.subList(1, rows.size()));
        while (rows.size() <= 1000) {
            rows.addAll(body);
        }
        Files.write(bigTest, rows);
        Run e = runWithDefaultLocale(java.util.Locale.GERMANY, "eval", "--head", head.toString(), "--test", bigTest.toString(),
                "--threads", "2");
        assertThat(e.code()).as(e.err()).isZero();
        long correct = Math.round(lastJson(e.out()).get("accuracy").asDouble() * (rows.size() - 1));
        assertThat(e.out()).as("both counts grouped alike")
                .contains(String.format(java.util.Locale.ROOT, "1,020 texts, accuracy %s (%,d correct), macro-F1 ",
                        e.out().replaceAll("(?s).*accuracy (\\d\\.\\d{4}) .*", "$1"), correct))
                .containsPattern("macro-F1 \\d\\.\\d{4} over 4 classes")
                .containsPattern("\\(\\d+\\.\\d s\\)");
    }
}
