package dev.graft.samples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.adapters.AdapterTypes;
import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.adapter.PeftIO;
import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.lora.LoraConfig;
import dev.graft.adapters.lora.merge.LoraMerge;
import dev.graft.adapters.lora.merge.MergeMethod;
import dev.graft.adapters.lora.merge.MergeSpec;
import dev.graft.adapters.nn.Parameter;
import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.backbones.sites.SiteShape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code samples/graft merge} as a user runs it, on LoRA directories for the real all-MiniLM-L6-v2. */
class MergeCommandTest {
    static final String BASE = "sentence-transformers/all-MiniLM-L6-v2";

    @TempDir
    static Path dir;
    static List<SiteShape> sites;
    static BertBackbone backbone;
    static Path intent;
    static Path topic;
    static Path rank4;
    static Path otherModel;

    @BeforeAll
    static void adapters() throws IOException {
        backbone = Backbones.builder("all-minilm-l6-v2").optThreads(1).build();
        sites = backbone.encoder().sites();
        intent = save("intent", 8, 1, BASE, SiteKind.QUERY, SiteKind.VALUE);
        topic = save("topic", 8, 2, "all-minilm-l6-v2", SiteKind.VALUE, SiteKind.INTERMEDIATE);
        rank4 = save("rank4", 4, 3, BASE, SiteKind.QUERY, SiteKind.VALUE);
        otherModel = save("other", 8, 4, "bert-base-uncased", SiteKind.QUERY, SiteKind.VALUE);
    }

    @AfterAll
    static void close() {
        backbone.close();
    }

    static Path save(String name, int r, long seed, String base, SiteKind... targets) throws IOException {
        Lora l = Lora.create(new LoraConfig(r, 2 * r, 0.1f, Set.of(targets), null, false), sites, seed);
        Random random = new Random(seed);
        for (Parameter p : l.parameters()) {
            float[] v = p.values();
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (random.nextGaussian() * 0.02);
            }
        }
        Path d = dir.resolve(name);
        PeftIO.save(l, base, d);
        return d;
    }

    static HeadCommandsTest.Run run(String... args) {
        return HeadCommandsTest.run(args);
    }

    static Lora load(Path d) throws IOException {
        return (Lora) PeftIO.load(d, AdapterTypes.registry(), sites, "all-minilm-l6-v2");
    }

    @Test
    void tiesMergeIsSavedInThePeftLayoutAndEqualsTheLibrarysMerge() throws IOException {
        Path out = dir.resolve("ties");
        HeadCommandsTest.Run r = run("merge", "--adapter", intent + ":0.7", "--adapter", topic + ":-0.3", "--method", "ties",
                "--density", "0.5", "--majority-sign", "frequency", "--output", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("merged 2 adapters (ties, density 0.5, majority sign frequency) into lora r=8 alpha=8.0"
                + " on query, value, intermediate");
        Lora merged = load(out);
        Lora expected = LoraMerge.merge(List.of(new LoraMerge.Input("i", load(intent), 0.7),
                new LoraMerge.Input("t", load(topic), -0.3)),
                new MergeSpec(MergeMethod.TIES, 0.5, dev.graft.adapters.lora.merge.MajoritySign.FREQUENCY, null, 0));
        assertThat(merged.parameters()).hasSameSizeAs(expected.parameters());
        for (int i = 0; i < merged.parameters().size(); i++) {
            assertThat(merged.parameters().get(i).name()).isEqualTo(expected.parameters().get(i).name());
            assertThat(merged.parameters().get(i).values()).containsExactly(expected.parameters().get(i).values());
        }
        assertThat(HeadCommandsTest.JSON.readTree(out.resolve(PeftIO.CONFIG_FILE).toFile()).path("base_model_name_or_path")
                .asText()).isEqualTo(BASE);

        HeadCommandsTest.Run again = run("merge", "--adapter", intent.toString(), "--adapter", topic.toString(), "--method",
                "cat", "--output", out.toString());
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err()).contains(out.toString()).contains("--overwrite");
        assertThat(load(out).config().r()).as("the previous merge is untouched").isEqualTo(8);
        HeadCommandsTest.Run replaced = run("merge", "--adapter", intent.toString(), "--adapter", topic.toString(),
                "--method", "cat", "--output", out.toString(), "--overwrite");
        assertThat(replaced.code()).as(replaced.err()).isZero();
        assertThat(load(out).config().r()).isEqualTo(16);
    }

    @Test
    void foldWritesAModelDirectoryThatLoadsAsABackbone() throws IOException {
        Path out = dir.resolve("folded");
        HeadCommandsTest.Run r = run("merge", "--adapter", intent.toString(), "--adapter", rank4 + ":0.5", "--method", "svd",
                "--svd-rank", "4", "--output", out.toString(), "--fold");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("folded into a copy of all-minilm-l6-v2");
        assertThat(out.resolve("config.json")).isRegularFile();
        assertThat(out.resolve("tokenizer.json")).isRegularFile();
        try (BertBackbone folded = Backbones.builder(out.toString()).optThreads(1).build()) {
            assertThat(folded.encoder().sites()).hasSameSizeAs(sites);
        }
        HeadCommandsTest.Run again = run("merge", "--adapter", intent.toString(), "--method", "linear", "--output",
                out.toString(), "--fold");
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err()).contains("not an empty directory");
    }

    @Test
    void badInputsFailWithAMessageAndWriteNothing() {
        Path out = dir.resolve("never");
        String o = out.toString();
        String a = intent.toString();
        expect(2, "missing required option --adapter", "merge", "--method", "linear", "--output", o);
        expect(2, "weight 'heavy'", "merge", "--adapter", a + ":heavy", "--method", "linear", "--output", o);
        expect(2, "weight ''", "merge", "--adapter", a + ":", "--method", "linear", "--output", o);
        expect(2, "unknown merge method 'average'", "merge", "--adapter", a, "--method", "average", "--output", o);
        expect(2, "missing required option --method", "merge", "--adapter", a, "--output", o);
        expect(2, "ties needs a density", "merge", "--adapter", a, "--adapter", topic.toString(), "--method", "ties",
                "--output", o);
        expect(2, "density must be in (0, 1], got 0.0", "merge", "--adapter", a, "--method", "ties", "--density", "0",
                "--output", o);
        expect(2, "density must be in (0, 1], got 1.5", "merge", "--adapter", a, "--method", "dare_ties", "--density", "1.5",
                "--output", o);
        expect(2, "linear does not prune", "merge", "--adapter", a, "--method", "linear", "--density", "0.5", "--output", o);
        expect(2, "--seed applies to dare_linear", "merge", "--adapter", a, "--method", "ties", "--density", "0.5",
                "--seed", "3", "--output", o);
        expect(1, "no such adapter directory", "merge", "--adapter", dir.resolve("missing").toString(), "--method",
                "linear", "--output", o);
        expect(1, "needs adapters of equal rank", "merge", "--adapter", a, "--adapter", rank4.toString(), "--method",
                "linear", "--output", o);
        HeadCommandsTest.Run ranks = run("merge", "--adapter", a, "--adapter", rank4.toString(), "--method", "dare_linear",
                "--density", "0.5", "--output", o);
        assertThat(ranks.err()).contains(a + " has r=8").contains(rank4 + " has r=4");
        expect(1, "were made for different base models", "merge", "--adapter", a, "--adapter", otherModel.toString(),
                "--method", "cat", "--output", o);
        assertThat(out).doesNotExist();
    }

    static void expect(int code, String message, String... args) {
        HeadCommandsTest.Run r = run(args);
        assertThat(r.code()).as(r.err()).isEqualTo(code);
        assertThat(r.err()).contains(message);
    }

    @Test
    void helpListsMerge() {
        HeadCommandsTest.Run r = run("--help");
        assertThat(r.out()).contains("merge ").contains("merge LoRA adapters with weights");
        assertThat(run("merge", "--help").out()).contains("--adapter DIR[:WEIGHT]").contains("--density D");
    }
}
