package dev.graft.samples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import dev.graft.core.tensor.TensorFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a user runs it: outputs, formats, exit codes and error messages. */
class GraftCliTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = GraftCli.standard().run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void helpListsEveryCommandAndEachCommandHasUsage() {
        Run r = run("--help");
        assertThat(r.code()).isZero();
        for (String c : List.of("similarity", "embed", "sts", "tensors")) {
            assertThat(r.out()).contains(c);
            Run u = run(c, "--help");
            assertThat(u.code()).isZero();
            assertThat(u.out()).startsWith("usage: samples/graft " + c);
        }
        assertThat(run().code()).isEqualTo(2);
    }

    @Test
    void unknownCommandsAndOptionsAreUsageErrors() {
        Run r = run("frobnicate");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("unknown command 'frobnicate'");
        Run o = run("tensors", "--colour", "red");
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err()).contains("unknown option --colour");
        Run t = run("embed", "--input", "x.txt", "--output", "out.csv");
        assertThat(t.code()).isEqualTo(2);
        assertThat(t.err()).contains("--output must end in .jsonl or .arrow, got 'out.csv'");
        Run n = run("embed", "--threads", "zero", "--input", "-", "--output", "x.jsonl");
        assertThat(n.code()).isEqualTo(2);
        assertThat(n.err()).contains("--threads must be an integer, got 'zero'");
    }

    @Test
    void theFoundationDemoWritesAndMapsBackAnArrowFile() throws IOException {
        Path out = tmp.resolve("demo.arrow");
        Run r = run("tensors", "--output", out.toString(), "--threads", "2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("values identical: true").contains("arrow.fixed_shape_tensor");
        assertThat(out).exists();

        Path mine = Files.writeString(tmp.resolve("mine.arrow"), "not Graft's");
        Run refused = run("tensors", "--output", mine.toString(), "--threads", "2");
        assertThat(refused.code()).isEqualTo(1);
        assertThat(refused.err()).contains(mine.toString()).contains("--overwrite");
        assertThat(Files.readString(mine)).isEqualTo("not Graft's");
        assertThat(run("tensors", "--output", mine.toString(), "--threads", "2", "--overwrite").code()).isZero();
        assertThat(Files.size(mine)).isGreaterThan(8 * 96 * 4);
    }

    @Test
    void similarityEmbedsTheDefaultSentencesAndRanksRelatedOnesHigher() {
        Run r = run("similarity", "--threads", "2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("all-minilm-l6-v2").contains("A man is playing a guitar.");
        // row [0]: guitar vs instrument (related) must beat guitar vs stock market (unrelated)
        String row0 = r.out().lines().filter(l -> l.trim().startsWith("[0]") && l.contains("1.000")).findFirst().orElseThrow();
        String[] cells = row0.trim().split("\\s+");
        assertThat(Double.parseDouble(cells[2])).isGreaterThan(Double.parseDouble(cells[5]) + 0.3);
    }

    @Test
    void embedWritesJsonLinesInInputOrderAndAnArrowFileWithTheSameVectors() throws IOException {
        Path in = tmp.resolve("in.txt");
        Files.writeString(in, "A cat sits on the mat.\n\nThe weather is nice today.\n", StandardCharsets.UTF_8);
        Path jsonl = tmp.resolve("out.jsonl");
        Run r = run("embed", "--input", in.toString(), "--output", jsonl.toString(), "--normalize", "--threads", "2");
        assertThat(r.code()).as(r.err()).isZero();
        List<String> lines = Files.readAllLines(jsonl);
        assertThat(lines).hasSize(3);
        assertThat(lines).allMatch(l -> l.startsWith("{\"embedding\":[") && l.endsWith("]}"));
        float[] first = parse(lines.get(0));
        assertThat(first).hasSize(384);
        double norm = 0;
        for (float v : first) {
            norm += v * v;
        }
        assertThat(Math.sqrt(norm)).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-5));

        Path arrow = tmp.resolve("out.arrow");
        Run a = run("embed", "--input", in.toString(), "--output", arrow.toString(), "--normalize", "--threads", "2");
        assertThat(a.code()).as(a.err()).isZero();
        try (TensorArena arena = TensorArena.root("read")) {
            Map<String, Tensor> cols = TensorFiles.read(arrow, arena);
            Tensor e = cols.get("embedding");
            assertThat(e.shape()).containsExactly(3, 384);
            float[] all = e.toFloatArray();
            for (int i = 0; i < 3; i++) {
                float[] row = parse(lines.get(i));
                for (int c = 0; c < 384; c++) {
                    // two runs in one JVM: the first may run partly before C2 compiles the Vector API kernels, whose
                    // exp then comes from a different implementation (last-bit differences)
                    assertThat(all[i * 384 + c]).isCloseTo(row[c], org.assertj.core.api.Assertions.within(1e-6f));
                }
            }
        }
    }

    @Test
    void embedReplacesAnExistingFileOnlyWithOverwriteAndWritesItWithTheUsersMode() throws IOException {
        Path in = Files.writeString(tmp.resolve("in.txt"), "A cat sits on the mat.\nThe weather is nice today.\n");
        for (String name : List.of("results.jsonl", "results.arrow")) {
            Path out = Files.writeString(tmp.resolve(name), "the user's results, not Graft's");
            Run refused = run("embed", "--input", in.toString(), "--output", out.toString(), "--threads", "2");
            assertThat(refused.code()).isEqualTo(1);
            assertThat(refused.err()).contains(out.toString()).contains("exists").contains("--overwrite")
                    .doesNotContain("embedded");
            assertThat(Files.readString(out)).isEqualTo("the user's results, not Graft's");

            Run replaced = run("embed", "--input", in.toString(), "--output", out.toString(), "--threads", "2", "--overwrite");
            assertThat(replaced.code()).as(replaced.err()).isZero();
            assertThat(Files.size(out)).isGreaterThan(2 * 384);
            String umaskMode = PosixFilePermissions.toString(Files.getPosixFilePermissions(Files.writeString(tmp.resolve("ref"), "")));
            assumeTrue(umaskMode.startsWith("rw-r"), "needs a umask that lets the group read (0022), to tell it from 0600");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out))).as(name).isEqualTo(umaskMode);
        }
        Run dirOut = run("embed", "--input", in.toString(), "--output", Files.createDirectory(tmp.resolve("d.jsonl")).toString(),
                "--overwrite");
        assertThat(dirOut.code()).isEqualTo(1);
        assertThat(dirOut.err()).contains("is a directory");
        assertThat(run("embed", "--help").out()).contains("--overwrite");
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList())
                    .containsExactlyInAnyOrder("in.txt", "results.jsonl", "results.arrow", "ref", "d.jsonl");
        }
    }

    @Test
    void embedFailsCleanlyAndLeavesNoOutputBehind() throws IOException {
        Path out = tmp.resolve("never.jsonl");
        Run missing = run("embed", "--input", tmp.resolve("nope.txt").toString(), "--output", out.toString());
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("nope.txt");
        Path empty = tmp.resolve("empty.txt");
        Files.writeString(empty, "");
        Run none = run("embed", "--input", empty.toString(), "--output", out.toString());
        assertThat(none.code()).isEqualTo(1);
        assertThat(none.err()).contains("no lines");
        Run badModel = run("embed", "--model", "no-such-model", "--input", empty.toString(), "--output", out.toString());
        assertThat(badModel.code()).isEqualTo(1);
        Run noDir = run("embed", "--input", empty.toString(), "--output", tmp.resolve("missing/dir/x.jsonl").toString());
        assertThat(noDir.err()).contains("output directory does not exist");
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("empty.txt");
        }
    }

    private static float[] parse(String line) {
        String body = line.substring(line.indexOf('[') + 1, line.lastIndexOf(']'));
        String[] parts = body.split(",");
        float[] v = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            v[i] = Float.parseFloat(parts[i]);
        }
        return v;
    }

    @Test
    void optionValuesAreCheckedAndEveryMessageNamesTheOption() throws IOException {
        Path in = Files.writeString(tmp.resolve("in.txt"), "hello\n");
        String out = tmp.resolve("x.jsonl").toString();
        Path csv = Files.writeString(tmp.resolve("train.csv"), "text,label\nhi,greeting\n");
        String[] train = {"train-head", "--task", "classification", "--train", csv.toString(), "--output",
                tmp.resolve("head").toString()};
        Map<List<String>, String> cases = new java.util.LinkedHashMap<>();
        cases.put(List.of("embed", "--normalize=yes", "--input", in.toString(), "--output", out),
                "--normalize takes no value, or =true or =false; got 'yes'");
        cases.put(concat(train, "--seed", "abc"), "--seed must be an integer, got 'abc'");
        cases.put(concat(train, "--epochs", "1.5"), "--epochs must be an integer, got '1.5'");
        cases.put(concat(train, "--lr", "fast"), "--lr must be a number, got 'fast'");
        cases.put(concat(train, "--dropout", "NaN"), "--dropout must be between 0 and 0.99, got NaN");
        cases.put(concat(train, "--balanced=maybe"), "--balanced takes no value, or =true or =false; got 'maybe'");
        cases.put(List.of("embed", "--max-length", "2", "--input", in.toString(), "--output", out),
                "--max-length must be between 3 and the model's limit 512 (all-minilm-l6-v2), got 2");
        cases.put(List.of("embed", "--max-length", "513", "--input", in.toString(), "--output", out),
                "--max-length must be between 3 and the model's limit 512 (all-minilm-l6-v2), got 513");
        cases.put(List.of("embed", "--model", "", "--input", in.toString(), "--output", out),
                "--model needs an embedded model name");
        cases.put(concat(train, "--format", "conllu"),
                "--format conllu does not fit classification, which reads csv");
        cases.put(List.of("train-head", "--task", "tagging", "--train", csv.toString(), "--text-column", "sentence",
                "--output", tmp.resolve("head").toString()), "--text-column is for CSV data (classification)");
        cases.put(concat(train, "--adapter", "lora", "--plateau", "3"), "--plateau applies to head-only training");
        cases.put(concat(train, "--adapter", "houlsby", "--lora-rank", "4"), "--lora-rank applies to --adapter lora, not houlsby");
        cases.put(List.of("predict", "--head", tmp.toString(), "--input", in.toString(), "--top", "0"),
                "--top must be between 1 and 65536, got 0");
        cases.put(List.of("embed", "--pooling", "max", "--input", in.toString(), "--output", out),
                "--pooling: unknown pooling 'max' (expected mean or cls)");
        cases.put(List.of("embed", "--model", "--normalize", "--input", in.toString(), "--output", out),
                "option --model needs a value (got the option --normalize next)");
        cases.put(List.of("sts", "--split", "validation"), "--split must be test, dev or train, got 'validation'");
        cases.put(List.of("train-head", "--task", "regression", "--train", csv.toString(), "--output", tmp.resolve("head").toString()),
                "--task must be classification or tagging, got 'regression'");
        cases.put(concat(train, "--adapter", "prefix"), "--adapter must be lora, houlsby, pfeiffer or ia3, got 'prefix'");
        cases.put(concat(train, "--adapter", "houlsby", "--adapter-activation", "swish"),
                "--adapter-activation must be relu, gelu or tanh, got 'swish'");
        cases.forEach((args, message) -> {
            Run r = run(args.toArray(String[]::new));
            assertThat(r.code()).as(String.join(" ", args) + "\n" + r.err()).isEqualTo(2);
            assertThat(r.err()).as(String.join(" ", args)).contains(message);
        });
        assertThat(tmp.resolve("head")).doesNotExist();
        assertThat(tmp.resolve("x.jsonl")).doesNotExist();
    }

    @Test
    void embedPutsThePrefixBeforeEveryLineAndSaysWhichInputsAreTruncated() throws IOException {
        String longText = "the quick brown fox jumps over the lazy dog. ".repeat(80); // about 800 tokens
        Path plain = Files.writeString(tmp.resolve("plain.txt"), "how do I reset my pin\n" + longText + "\n");
        Path prefixed = Files.writeString(tmp.resolve("prefixed.txt"), "query: how do I reset my pin\nquery: " + longText + "\n");
        Path a = tmp.resolve("a.jsonl");
        Run ra = run("embed", "--input", plain.toString(), "--prefix", "query: ", "--output", a.toString(), "--threads", "2");
        assertThat(ra.code()).as(ra.err()).isZero();
        assertThat(ra.err()).contains("warning: 1 input of 2 reaches the 512-token limit; text past it is cut off, not embedded ("
                + plain + " line 2)").contains("prefix 'query: '").contains("embedded 2 texts");
        Path b = tmp.resolve("b.jsonl");
        Run rb = run("embed", "--input", prefixed.toString(), "--output", b.toString(), "--threads", "2");
        assertThat(rb.code()).as(rb.err()).isZero();
        List<String> la = Files.readAllLines(a);
        List<String> lb = Files.readAllLines(b);
        for (int i = 0; i < 2; i++) {
            float[] x = parse(la.get(i));
            float[] y = parse(lb.get(i));
            for (int c = 0; c < x.length; c++) {
                assertThat(x[c]).as("--prefix gives what typing the prefix gives").isCloseTo(y[c], org.assertj.core.api.Assertions.within(1e-6f));
            }
        }

        Run shortLimit = run("embed", "--input", plain.toString(), "--max-length", "8", "--normalize=false", "--output",
                tmp.resolve("c.jsonl").toString(), "--threads", "2");
        assertThat(shortLimit.code()).as(shortLimit.err()).isZero();
        assertThat(shortLimit.err()).contains("warning: 2 inputs of 2 reach the 8-token limit").contains(plain + " lines 1, 2)")
                .doesNotContain("normalized");
        double norm = 0;
        for (float v : parse(Files.readAllLines(tmp.resolve("c.jsonl")).getFirst())) {
            norm += v * v;
        }
        assertThat(Math.sqrt(norm)).as("--normalize=false leaves the length").isNotCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-3));
        Run one = run("embed", "--input", in(tmp, "just one line\n"), "--output", tmp.resolve("d.jsonl").toString(), "--threads", "2");
        assertThat(one.err()).contains("embedded 1 text with").doesNotContain("warning").doesNotContain(" 0 texts/s");
    }

    private static String in(Path dir, String text) throws IOException {
        return Files.writeString(dir.resolve("one.txt"), text).toString();
    }

    private static List<String> concat(String[] base, String... more) {
        List<String> all = new java.util.ArrayList<>(List.of(base));
        all.addAll(List.of(more));
        return all;
    }

    @Test
    void stsReadsTheBenchmarkFromAnyFolderNamedWithDatasets() throws IOException {
        Path mine = Files.createDirectories(tmp.resolve("my-data/stsbenchmark"));
        List<String> rows = Files.readAllLines(dev.graft.backbones.testing.ModelResources.shared("datasets/stsbenchmark/sts-test.csv"));
        Files.write(mine.resolve("sts-test.csv"), rows.subList(0, 20));
        Run r = run("sts", "--datasets", tmp.resolve("my-data").toString(), "--threads", "2", "--max-length", "128");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("over 20 pairs");
        Run missing = run("sts", "--datasets", tmp.resolve("nowhere").toString());
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains(tmp.resolve("nowhere/stsbenchmark/sts-test.csv").toString())
                .contains("--datasets names the folder holding stsbenchmark/");
    }
}
