package dev.graft.spark.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.core.backbone.Pooling;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code samples/graft spark embed} as a user runs it (through SparkMain's command line), on banking77 test rows. */
class SparkCliTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = SparkMain.cli().run(SparkMain.commandLine(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void embedsACsvColumnToParquetAndNeverOverwritesWithoutBeingAsked() throws Exception {
        // the first 40 banking77 test rows, quoted cells with commas included, and one empty text (a null cell)
        List<String> lines = new ArrayList<>(Files.readAllLines(Path.of(System.getProperty("graft.shared.dir"))
                .resolve("datasets/banking77/test.csv")).subList(0, 41));
        lines.add(",card_arrival");
        Path csv = dir.resolve("questions.csv");
        Files.write(csv, lines);
        Path out = dir.resolve("vectors.parquet");

        Run r = run("spark", "embed", "--master", "local[2]", "--input", csv.toString(), "--text-column", "text",
                "--partitions", "3", "--output", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("embedded 41 rows on local[2] in 3 partitions");
        assertThat(out.resolve("_SUCCESS")).exists();

        List<String> texts = new ArrayList<>();
        List<float[]> got = new ArrayList<>();
        SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
        try {
            for (Row row : spark.read().parquet(out.toString()).collectAsList()) {
                texts.add(row.getString(row.fieldIndex("text")));
                int e = row.fieldIndex("embedding");
                got.add(row.isNullAt(e) ? null : toFloats(row.getList(e)));
            }
        } finally {
            spark.stop();
        }
        assertThat(texts).hasSize(41).containsOnlyOnce("I still have not received my new card, I ordered over a week ago.");
        try (BertBackbone bert = Backbones.builder("all-minilm-l6-v2").optThreads(2).build()) {
            for (int i = 0; i < texts.size(); i++) {
                if (texts.get(i) == null) {
                    assertThat(got.get(i)).as("the empty cell is a null text: a null embedding").isNull();
                } else {
                    float[] expected = bert.embed(List.of(texts.get(i)), Pooling.MEAN, false)[0];
                    assertThat(got.get(i)).as(texts.get(i)).containsExactly(expected, within(1e-5f));
                }
            }
        }

        Path mine = out.resolve("NOTES.md");
        Files.writeString(mine, "my notes");
        Run again = run("spark", "embed", "--master", "local[2]", "--input", csv.toString(), "--output", out.toString());
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err()).contains(out.toString());
        Run replace = run("spark", "embed", "--master", "local[2]", "--input", csv.toString(), "--normalize",
                "--output", out.toString(), "--overwrite");
        assertThat(replace.code()).as(replace.err()).isZero();
        assertThat(mine).hasContent("my notes");
        try (var files = Files.list(out)) {
            assertThat(files.filter(p -> p.getFileName().toString().startsWith("part-")).count())
                    .as("only the new run's part files").isEqualTo(2);
        }
    }

    @Test
    void usageErrorsNameTheOption() {
        Run r = run("spark", "embed", "--input", "x.txt", "--output", "y.parquet");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--input must be a .csv file or a .parquet file or directory, got 'x.txt'");
        Run o = run("spark", "embed", "--input", "x.csv", "--output", "y.arrow");
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err()).contains("--output must be a directory whose name ends in .parquet");
        Run h = run("spark", "--help");
        assertThat(h.code()).isZero();
        assertThat(h.out()).contains("spark embed", "spark predict", "spark bench");
    }

    static float[] toFloats(List<Float> l) {
        float[] f = new float[l.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = l.get(i);
        }
        return f;
    }

    @Test
    void theLauncherFlagsHoldEverythingSparksOwnLauncherSets() throws Exception {
        String flags;
        try (var in = SparkCliTest.class.getResourceAsStream("/META-INF/graft-spark/jvm-flags")) {
            assertThat(in).as("written at build time from the pom").isNotNull();
            flags = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        }
        List<String> ours = Arrays.asList(flags.split("\\s+"));
        List<String> sparks = new ArrayList<>(Arrays.asList(
                org.apache.spark.launcher.JavaModuleOptions.defaultModuleOptionArray()));
        sparks.remove("--add-opens=java.base/sun.security.action=ALL-UNNAMED"); // not in JDK 25's java.base
        assertThat(ours).containsAll(sparks).doesNotHaveDuplicates();
        assertThat(ours).contains("--add-modules=jdk.incubator.vector", "--sun-misc-unsafe-memory-access=allow");
    }
}
