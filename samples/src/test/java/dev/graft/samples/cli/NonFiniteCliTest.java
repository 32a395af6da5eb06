package dev.graft.samples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.adapters.adapter.AdaptedHead;
import dev.graft.adapters.classification.ClassificationConfig;
import dev.graft.adapters.classification.SequenceClassification;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.head.HeadIO;
import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.lora.LoraConfig;
import dev.graft.adapters.nn.Parameter;
import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.backbones.testing.HostileModels;
import dev.graft.core.backbone.Pooling;
import dev.graft.core.testing.CorruptWeights;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile cases of issue 11 run as a user runs them, through {@code GraftCli}: a NaN in a copy of the real
 * model, a model that overflows on one word, heads and adapters whose tensors hold NaN, whose outputs overflow on
 * one line, or whose configs describe networks far larger than their files. Every run must fail with exit code 1
 * and a message naming the file (and line, for an input), and write no output.
 */
class NonFiniteCliTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> QUESTIONS = List.of("I still have not received my new card",
            "How long does a transfer to another bank take?", "Why was I charged twice for one coffee?");

    @TempDir
    static Path dir;
    static Path questions;
    static Path overflowingModel;

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        return run(GraftCli.standard(), args);
    }

    static Run run(GraftCli cli, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = cli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @BeforeAll
    static void files() throws IOException {
        questions = Files.write(dir.resolve("questions.txt"), QUESTIONS);
        overflowingModel = HostileModels.miniLmDirectory(dir.resolve("minilm-card"));
        HostileModels.overflowOn(overflowingModel, "card"); // finite weights; NaN for any text with "card"
    }

    /** The files in {@code d} whose names start with {@code prefix} (temporary files start with '.'). */
    static List<String> files(Path d, String prefix) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix)).toList();
        }
    }

    @Test
    void embedRefusesAModelWithANaNWeightNamingTheFileAndTensor() throws IOException {
        Path model = HostileModels.miniLmDirectory(dir.resolve("minilm-nan"));
        Path weights = model.resolve("model.safetensors");
        CorruptWeights.setFloat(weights, "encoder.layer.2.output.LayerNorm.weight", 100, Float.POSITIVE_INFINITY);
        Path out = dir.resolve("nan-embeddings.jsonl");
        Run r = run("embed", "--model", model.toString(), "--input", questions.toString(), "--output", out.toString(),
                "--threads", "2");
        assertThat(r.code()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).startsWith("graft embed: " + weights + ": tensor 'encoder.layer.2.output.LayerNorm.weight' [384]"
                + " holds Infinity at index 100").doesNotContain("\tat ");
        assertThat(out).doesNotExist();
    }

    @Test
    void embedNamesTheLineWhoseEmbeddingOverflowsAndWritesNothing() throws IOException {
        for (String ext : List.of("jsonl", "arrow")) {
            Path out = dir.resolve("card." + ext);
            Run r = run("embed", "--model", overflowingModel.toString(), "--input", questions.toString(), "--output",
                    out.toString(), "--threads", "2");
            assertThat(r.code()).as(r.err()).isEqualTo(1);
            assertThat(r.err()).as(ext).startsWith("graft embed: " + questions + ":1: the embedding of \"" + QUESTIONS.get(0)
                    + "\" is NaN (element ");
            assertThat(out).doesNotExist();
            assertThat(files(dir, ".card")).as("no temporary file left").isEmpty();
        }
        // the same model on lines without the word: valid JSON, every number finite
        Path fine = Files.write(dir.resolve("fine.txt"), QUESTIONS.subList(1, 3));
        Path out = dir.resolve("fine.jsonl");
        Run r = run("embed", "--model", overflowingModel.toString(), "--input", fine.toString(), "--output", out.toString(),
                "--threads", "2");
        assertThat(r.code()).as(r.err()).isZero();
        List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSize(2);
        for (String line : lines) {
            assertThat(JSON.readTree(line).get("embedding")).hasSize(384)
                    .allSatisfy(v -> assertThat(v.isNumber() && Double.isFinite(v.asDouble())).as(v.toString()).isTrue());
        }
    }

    /** A classifier on the embedded MiniLM whose weights are finite but overflow on {@code QUESTIONS[1]} only. */
    static Path overflowingHead(Path at) throws IOException {
        try (BertBackbone bert = Backbones.builder("all-minilm-l6-v2").optThreads(2).build()) {
            float[][] features = bert.embed(QUESTIONS, Pooling.MEAN, false);
            int j = -1;
            for (int c = 0; c < 384 && j < 0; c++) {
                if (features[1][c] > 0.01f && features[0][c] < -0.01f && features[2][c] < -0.01f) {
                    j = c;
                }
            }
            assertThat(j).as("a feature positive for the second question only").isNotNegative();
            Head head = new SequenceClassification().create(
                    ClassificationConfig.of(List.of("card_arrival", "transfer_timing", "charged_twice")), BackboneInfo.of(bert), 1);
            parameter(head, "classifier.weight").values()[j] = Float.MAX_VALUE;
            parameter(head, "classifier.bias").values()[0] = Float.MAX_VALUE;
            HeadIO.save(head, at);
        }
        return at;
    }

    static Parameter parameter(Head head, String name) {
        return head.parameters().stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void predictAndEvalNameTheLineWhoseScoresOverflowAndPrintNoResult() throws IOException {
        Path head = overflowingHead(dir.resolve("overflowing-head"));
        Run p = run("predict", "--head", head.toString(), "--input", questions.toString(), "--threads", "2", "--batch-size", "1");
        assertThat(p.code()).as(p.err()).isEqualTo(1);
        assertThat(p.err()).contains("graft predict: " + questions + ":2: the output of head 'head' (classification) of \""
                + QUESTIONS.get(1) + "\" is Infinity (element 0)");
        assertThat(p.out()).as("no line with a made-up label").isEmpty();

        Path test = Files.writeString(dir.resolve("test.csv"), "text,category\n" + "\"" + QUESTIONS.get(0) + "\",card_arrival\n"
                + "\"" + QUESTIONS.get(1) + "\",transfer_timing\n" + "\"" + QUESTIONS.get(2) + "\",charged_twice\n");
        Run e = run("eval", "--head", head.toString(), "--test", test.toString(), "--threads", "2");
        assertThat(e.code()).as(e.err()).isEqualTo(1);
        assertThat(e.err()).contains("graft eval: " + test + ":3: the output of head 'head' (classification) of \""
                + QUESTIONS.get(1) + "\" is Infinity");
        assertThat(e.out()).as("no accuracy over NaN scores").doesNotContain("accuracy");
    }

    @Test
    void predictRefusesAHeadWithANaNTensor() throws IOException {
        Path head = overflowingHead(dir.resolve("nan-head"));
        Path weights = head.resolve(HeadIO.WEIGHTS_FILE);
        CorruptWeights.setFloat(weights, "classifier.weight", 384 + 5, Float.NaN);
        Run p = run("predict", "--head", head.toString(), "--input", questions.toString(), "--threads", "2");
        assertThat(p.code()).isEqualTo(1);
        assertThat(p.err()).startsWith("graft predict: " + weights + ": tensor 'classifier.weight' [3, 384] holds NaN at index 389"
                + " (element [1, 5])");
        assertThat(p.out()).isEmpty();
    }

    @Test
    void hugeHeadAndAdapterConfigsAreRefusedAtOnceWithoutAnOutOfMemoryError() throws IOException {
        long heap = Runtime.getRuntime().maxMemory();
        Path head = overflowingHead(dir.resolve("huge-head"));
        Path config = head.resolve(HeadIO.CONFIG_FILE);
        assertThat(3_000_000L * 384 * Float.BYTES).as("what hidden_size 3000000 would allocate").isGreaterThan(heap);
        Files.writeString(config, Files.readString(config).replace("\"hidden_size\" : 0", "\"hidden_size\" : 3000000"));
        Run p = run("predict", "--head", head.toString(), "--input", questions.toString(), "--threads", "2");
        assertThat(p.code()).isEqualTo(1);
        assertThat(p.err()).startsWith("graft predict: " + config + ": field 'config' does not describe a valid classification"
                + " head: parameter 'hidden.weight' [3000000, 384] (1152000000 floats) cannot be filled from head.safetensors")
                .doesNotContain("OutOfMemoryError");

        try (BertBackbone bert = Backbones.builder("all-minilm-l6-v2").optThreads(1).build()) {
            Head plain = new SequenceClassification().create(ClassificationConfig.of(List.of("x", "y")), BackboneInfo.of(bert), 2);
            Lora lora = Lora.create(LoraConfig.of(4, 8, SiteKind.QUERY, SiteKind.VALUE), bert.encoder().sites(), 3);
            Path adapted = dir.resolve("huge-rank");
            AdaptedHead.save(plain, lora, adapted, null, null);
            Path adapterConfig = adapted.resolve("adapter_config.json");
            String original = Files.readString(adapterConfig);
            assertThat(original).containsPattern("\"r\" : 4\\b");
            long wouldAllocate = 2L * 6 * 2 * 100_000 * 384 * Float.BYTES * 2; // 2 sites × 6 layers × (A, B), values + grads
            assertThat(wouldAllocate).as("what r: 100000 would allocate").isGreaterThan(heap);
            Files.writeString(adapterConfig, original.replaceFirst("\"r\" : 4\\b", "\"r\" : 100000"));
            Run r = run("predict", "--head", adapted.toString(), "--input", questions.toString(), "--threads", "2");
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.err()).startsWith("graft predict: " + adapterConfig + ": parameter 'base_model.model.encoder.layer.0."
                    + "attention.self.query.lora_A.weight' [100000, 384] (38400000 floats) cannot be filled from"
                    + " adapter_model.safetensors").doesNotContain("OutOfMemoryError");

            Files.writeString(adapterConfig, original.replaceFirst("\"lora_alpha\" : 8[.0]*", "\"lora_alpha\" : 1e30"));
            Run a = run("predict", "--head", adapted.toString(), "--input", questions.toString(), "--threads", "2");
            assertThat(a.code()).as(a.err()).isEqualTo(1);
            assertThat(a.err()).startsWith("graft predict: " + adapterConfig + ": lora_alpha 1.0E30 with r 4 scales the update by");
            assertThat(a.out()).isEmpty();
        }
    }

    /** A command that fails with a real OutOfMemoryError is reported in one message with exit code 1, no stack dump. */
    @Test
    void anOutOfMemoryErrorIsReportedTidily() {
        Command greedy = new Command() {
            @Override
            public String name() {
                return "greedy";
            }

            @Override
            public String summary() {
                return "asks for more memory than any heap has";
            }

            @Override
            public String usage() {
                return "usage: greedy";
            }

            @Override
            public int run(Options o, PrintStream out, PrintStream err) {
                long[] all = new long[Integer.MAX_VALUE - 16]; // 16 GB
                return all.length;
            }
        };
        Run r = run(new GraftCli(List.of(greedy)), "greedy");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("graft greedy: out of memory (").contains("MB; give the JVM more (GRAFT_JAVA_OPTS=-Xmx")
                .doesNotContain("\tat ").hasLineCount(1);
    }
}
