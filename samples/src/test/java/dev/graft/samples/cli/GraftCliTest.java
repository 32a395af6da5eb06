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
        assertThat(t.err()).contains("--output must end in .jsonl or .arrow");
        Run n = run("embed", "--threads", "zero", "--input", "-", "--output", "x.jsonl");
        assertThat(n.code()).isEqualTo(2);
        assertThat(n.err()).contains("--threads needs a whole number");
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
}
