package dev.graft.adapters.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.adapters.AdapterTypes;
import dev.graft.adapters.ia3.Ia3;
import dev.graft.adapters.lora.Lora;
import dev.graft.backbones.sites.Site;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.core.io.Safetensors;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loads adapters written the way PEFT writes them, made here from PEFT's "checkpoint format" documentation (not by
 * Graft's writer): {@code adapter_config.json} with the fields {@code save_pretrained} writes for a LoRA
 * ({@code peft_type}, {@code r}, {@code lora_alpha}, {@code lora_dropout}, {@code target_modules},
 * {@code base_model_name_or_path}, {@code bias}, {@code fan_in_fan_out}, {@code inference_mode}, …) and
 * {@code adapter_model.safetensors} holding F32 tensors under PEFT's state-dict names without the adapter name
 * ({@code base_model.model.encoder.layer.0.attention.self.query.lora_A.weight} {@code [r, in]}, {@code lora_B}
 * {@code [out, r]}; (IA)³: {@code ….attention.self.key.ia3_l} {@code [out, 1]}, {@code ….output.dense.ia3_l}
 * {@code [1, in]}). Values follow a formula so the test can check every number. Then every error the issue lists.
 */
class PeftFixtureTest {
    @TempDir
    Path tmp;

    private static final String LORA_CONFIG = """
            {
              "alpha_pattern": {},
              "auto_mapping": null,
              "base_model_name_or_path": "graft-tests/random-test-model",
              "bias": "none",
              "fan_in_fan_out": false,
              "inference_mode": true,
              "init_lora_weights": true,
              "layers_pattern": null,
              "layers_to_transform": null,
              "lora_alpha": %s,
              "lora_dropout": 0.1,
              "modules_to_save": null,
              "peft_type": "%s",
              "r": %d,
              "rank_pattern": {},
              "revision": null,
              "target_modules": ["query", "value"],
              "task_type": null,
              "use_rslora": false
            }
            """;

    /** value of element i of a fixture tensor number t */
    private static float value(int t, int i) {
        return (float) Math.sin(0.37 * i + 1.3 * t) * 0.25f;
    }

    /** PEFT LoRA tensors for query and value of both TINY layers: A [rank, 16], B [16, rank]. */
    private static Map<String, float[]> loraTensors(int rank, Map<String, long[]> shapes) {
        Map<String, float[]> m = new LinkedHashMap<>();
        int t = 0;
        for (int layer = 0; layer < 2; layer++) {
            for (String module : List.of("query", "value")) {
                String base = "base_model.model.encoder.layer." + layer + ".attention.self." + module;
                float[] a = new float[rank * 16];
                float[] b = new float[16 * rank];
                for (int i = 0; i < a.length; i++) {
                    a[i] = value(t, i);
                    b[i] = value(t + 1, i);
                }
                t += 2;
                m.put(base + ".lora_A.weight", a);
                shapes.put(base + ".lora_A.weight", new long[] {rank, 16});
                m.put(base + ".lora_B.weight", b);
                shapes.put(base + ".lora_B.weight", new long[] {16, rank});
            }
        }
        return m;
    }

    private Path write(String name, String config, Map<String, float[]> tensors, Map<String, long[]> shapes)
            throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.writeString(dir.resolve("adapter_config.json"), config);
        try (TensorArena arena = TensorArena.root("fixture")) {
            Map<String, Tensor> ts = new LinkedHashMap<>();
            tensors.forEach((k, v) -> ts.put(k, arena.copyOf(v, shapes.get(k))));
            Safetensors.write(dir.resolve("adapter_model.safetensors"), ts, Map.of("format", "pt"));
        }
        return dir;
    }

    private Path loraFixture(String name, String alpha, String peftType, int configRank, int tensorRank,
                             java.util.function.Consumer<Map<String, float[]>> edit) throws IOException {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, float[]> tensors = loraTensors(tensorRank, shapes);
        edit.accept(tensors);
        shapes.put("base_model.model.encoder.layer.0.attention.self.key.lora_A.weight", new long[] {tensorRank, 16});
        return write(name, LORA_CONFIG.formatted(alpha, peftType, configRank), tensors, shapes);
    }

    @Test
    void loadsAPeftLoraAndRunsIt() throws IOException {
        Path dir = loraFixture("lora", "4", "LORA", 2, 2, t -> { });
        try (TinyModel m = new TinyModel()) {
            Adapter a = PeftIO.load(dir, AdapterTypes.registry(), m.encoder.sites(), "random-test-model");
            assertThat(a).isInstanceOf(Lora.class);
            Lora lora = (Lora) a;
            assertThat(lora.config().r()).isEqualTo(2);
            assertThat(lora.config().scaling()).isEqualTo(2f);
            assertThat(lora.config().dropout()).isEqualTo(0.1f);
            assertThat(lora.config().targets()).containsExactlyInAnyOrder(SiteKind.QUERY, SiteKind.VALUE);
            assertThat(a.sites()).hasSize(4);
            Map<String, long[]> shapes = new LinkedHashMap<>();
            Map<String, float[]> expected = loraTensors(2, shapes);
            assertThat(a.parameters()).hasSize(expected.size());
            a.parameters().forEach(p -> assertThat(p.values()).as(p.name()).containsExactly(expected.get(p.name())));
            assertThat(lora.a(new Site(1, SiteKind.VALUE)).name())
                    .isEqualTo("base_model.model.encoder.layer.1.attention.self.value.lora_A.weight");
            // the loaded adapter computes what the equations say
            try (Adapters attached = Adapters.attach(m.encoder, List.of(a), m.arena)) {
                float[] actual = m.lastHidden(attached);
                float[] reference = new ReferenceEncoder(m.weights, lora, null, null).lastHidden(m.batch);
                for (int i = 0; i < actual.length; i++) {
                    assertThat((double) actual[i]).isCloseTo(reference[i], org.assertj.core.api.Assertions.within(2e-5));
                }
            }
        }
    }

    @Test
    void loadsAPeftIa3WithItsFeedForwardModule() throws IOException {
        String config = """
                {"base_model_name_or_path": "random-test-model", "fan_in_fan_out": false,
                 "feedforward_modules": ["intermediate.dense", "output.dense"], "inference_mode": true,
                 "init_ia3_weights": true, "modules_to_save": null, "peft_type": "IA3", "revision": null,
                 "target_modules": "(.*\\\\.)?encoder\\\\.layer\\\\.\\\\d+\\\\.(attention\\\\.self\\\\.key|output\\\\.dense)",
                 "task_type": null}
                """;
        Map<String, float[]> tensors = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (int layer = 0; layer < 2; layer++) {
            String p = "base_model.model.encoder.layer." + layer + ".";
            float[] k = new float[16];
            float[] ff = new float[32];
            for (int i = 0; i < ff.length; i++) {
                ff[i] = 1 + value(layer, i);
                if (i < 16) {
                    k[i] = 1 - value(layer, i);
                }
            }
            tensors.put(p + "attention.self.key.ia3_l", k);
            shapes.put(p + "attention.self.key.ia3_l", new long[] {16, 1});
            tensors.put(p + "output.dense.ia3_l", ff);
            shapes.put(p + "output.dense.ia3_l", new long[] {1, 32});
        }
        Path dir = write("ia3", config, tensors, shapes);
        try (TinyModel m = new TinyModel()) {
            Ia3 ia3 = (Ia3) PeftIO.load(dir, AdapterTypes.registry(), m.encoder.sites(), "random-test-model");
            assertThat(ia3.config().targets()).containsExactlyInAnyOrder(SiteKind.KEY_SCALE, SiteKind.INTERMEDIATE_SCALE);
            assertThat(ia3.scaling(new Site(1, SiteKind.INTERMEDIATE_SCALE)).values())
                    .containsExactly(tensors.get("base_model.model.encoder.layer.1.output.dense.ia3_l"));
        }
    }

    @Test
    void loadsPeftsDefaultBertIa3AndWritesItBackTheSameWay() throws IOException {
        // PEFT's documented default for BERT: "output.dense" also selects attention.output.dense (input scaling)
        String config = """
                {"auto_mapping": {"base_model_class": "BertModel",
                                  "parent_library": "transformers.models.bert.modeling_bert"},
                 "base_model_name_or_path": "random-test-model", "fan_in_fan_out": false,
                 "feedforward_modules": ["output.dense"], "inference_mode": true, "init_ia3_weights": true,
                 "modules_to_save": null, "peft_type": "IA3", "revision": null,
                 "target_modules": ["key", "value", "output.dense"], "task_type": null}
                """;
        Map<String, float[]> tensors = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (int layer = 0; layer < 2; layer++) {
            String p = "base_model.model.encoder.layer." + layer + ".";
            tensors.put(p + "attention.self.key.ia3_l", new float[16]);
            shapes.put(p + "attention.self.key.ia3_l", new long[] {16, 1});
            tensors.put(p + "attention.self.value.ia3_l", new float[16]);
            shapes.put(p + "attention.self.value.ia3_l", new long[] {16, 1});
            tensors.put(p + "attention.output.dense.ia3_l", new float[16]);
            shapes.put(p + "attention.output.dense.ia3_l", new long[] {1, 16});
            tensors.put(p + "output.dense.ia3_l", new float[32]);
            shapes.put(p + "output.dense.ia3_l", new long[] {1, 32});
        }
        tensors.values().forEach(v -> java.util.Arrays.fill(v, 1.5f));
        Path dir = write("ia3-default", config, tensors, shapes);
        try (TinyModel m = new TinyModel()) {
            Ia3 ia3 = (Ia3) PeftIO.load(dir, AdapterTypes.registry(), m.encoder.sites(), "random-test-model");
            assertThat(ia3.config().targets()).isEqualTo(dev.graft.adapters.ia3.Ia3Config.peftDefault().targets());
            var written = ia3.peftConfig();
            assertThat(written.get("target_modules").toString()).isEqualTo("[\"key\",\"value\",\"output.dense\"]");
            assertThat(written.get("feedforward_modules").toString()).isEqualTo("[\"output.dense\"]");
            // the paper's three sites alone cannot be a list (it would select attention.output.dense): a regex
            var paper = Ia3.create(dev.graft.adapters.ia3.Ia3Config.standard(), m.encoder.sites()).peftConfig();
            assertThat(paper.get("target_modules").isTextual()).isTrue();
            assertThat("encoder.layer.1.output.dense").matches(paper.get("feedforward_modules").asText());
            assertThat("encoder.layer.1.attention.output.dense").doesNotMatch(paper.get("target_modules").asText());
        }
    }

    @Test
    void anotherBaseModelIsRejectedNamingTheFile() throws IOException {
        Path dir = loraFixture("other-base", "4", "LORA", 2, 2, t -> { });
        try (TinyModel m = new TinyModel()) {
            assertThatThrownBy(() -> PeftIO.load(dir, AdapterTypes.registry(), m.encoder.sites(), "bert-base-uncased"))
                    .isInstanceOf(AdapterFormatException.class)
                    .hasMessageContaining(dir.resolve("adapter_config.json").toString())
                    .hasMessageContaining("base_model_name_or_path")
                    .hasMessageContaining("graft-tests/random-test-model").hasMessageContaining("bert-base-uncased");
        }
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        String gone = "base_model.model.encoder.layer.1.attention.self.value.lora_B.weight";
        Path dir = loraFixture("missing", "4", "LORA", 2, 2, t -> t.remove(gone));
        try (TinyModel m = new TinyModel()) {
            assertThatThrownBy(() -> PeftIO.load(dir, AdapterTypes.registry(), m.encoder.sites(), null))
                    .isInstanceOf(AdapterFormatException.class)
                    .hasMessageContaining(dir.resolve("adapter_model.safetensors").toString())
                    .hasMessageContaining("missing tensor '" + gone + "'");
        }
    }

    @Test
    void extraTensorIsNamed() throws IOException {
        String extra = "base_model.model.encoder.layer.0.attention.self.key.lora_A.weight";
        Path dir = loraFixture("extra", "4", "LORA", 2, 2, t -> t.put(extra, new float[2 * 16]));
        try (TinyModel m = new TinyModel()) {
            assertThatThrownBy(() -> PeftIO.load(dir, AdapterTypes.registry(), m.encoder.sites(), null))
                    .isInstanceOf(AdapterFormatException.class)
                    .hasMessageContaining(dir.resolve("adapter_model.safetensors").toString())
                    .hasMessageContaining("unexpected tensor(s) [" + extra + "]");
        }
    }

    @Test
    void rankThatDisagreesWithTheConfigIsNamed() throws IOException {
        Path dir = loraFixture("rank", "4", "LORA", 3, 2, t -> { });
        try (TinyModel m = new TinyModel()) {
            assertThatThrownBy(() -> PeftIO.load(dir, AdapterTypes.registry(), m.encoder.sites(), null))
                    .isInstanceOf(AdapterFormatException.class)
                    .hasMessageContaining(dir.resolve("adapter_model.safetensors").toString())
                    .hasMessageContaining("base_model.model.encoder.layer.0.attention.self.query.lora_A.weight")
                    .hasMessageContaining("has rank 2").hasMessageContaining("r = 3");
        }
    }

    @Test
    void unknownPeftTypeIsNamed() throws IOException {
        Path dir = loraFixture("prefix", "4", "PREFIX_TUNING", 2, 2, t -> { });
        try (TinyModel m = new TinyModel()) {
            assertThatThrownBy(() -> PeftIO.load(dir, AdapterTypes.registry(), m.encoder.sites(), null))
                    .isInstanceOf(AdapterFormatException.class)
                    .hasMessageContaining(dir.resolve("adapter_config.json").toString())
                    .hasMessageContaining("unknown adapter type 'PREFIX_TUNING'")
                    .hasMessageContaining("GRAFT_BOTTLENECK, IA3, LORA");
        }
    }

    @Test
    void unsupportedLoraVariantsAndTargetsAreNamed() throws IOException {
        try (TinyModel m = new TinyModel()) {
            Path dora = loraFixture("dora", "4", "LORA", 2, 2, t -> { });
            Files.writeString(dora.resolve("adapter_config.json"), LORA_CONFIG.formatted("4", "LORA", 2)
                    .replace("\"use_rslora\": false", "\"use_rslora\": false, \"use_dora\": true"));
            assertThatThrownBy(() -> PeftIO.load(dora, AdapterTypes.registry(), m.encoder.sites(), null))
                    .hasMessageContaining("adapter_config.json").hasMessageContaining("use_dora");
            Path none = loraFixture("none", "4", "LORA", 2, 2, t -> { });
            Files.writeString(none.resolve("adapter_config.json"), LORA_CONFIG.formatted("4", "LORA", 2)
                    .replace("[\"query\", \"value\"]", "[\"q_proj\"]"));
            assertThatThrownBy(() -> PeftIO.load(none, AdapterTypes.registry(), m.encoder.sites(), null))
                    .hasMessageContaining("adapter_config.json").hasMessageContaining("selects no projection")
                    .hasMessageContaining("q_proj");
        }
    }

    @Test
    void absurdLoraScalingsAreRefusedNamingTheField() throws IOException {
        try (TinyModel m = new TinyModel()) {
            for (String alpha : List.of("1e30", "1e39", "2001")) {
                Path dir = loraFixture("alpha-" + alpha, alpha, "LORA", 2, 2, t -> { });
                assertThatThrownBy(() -> PeftIO.load(dir, AdapterTypes.registry(), m.encoder.sites(), null))
                        .as("lora_alpha %s", alpha)
                        .isInstanceOf(AdapterFormatException.class)
                        .hasMessageStartingWith(dir.resolve("adapter_config.json") + ": ")
                        .hasMessageContaining(alpha.equals("1e39") ? "field 'lora_alpha' is 1.0E39, beyond the range of a float32"
                                : "scales the update by");
            }
            Path fine = loraFixture("alpha-fine", "2000", "LORA", 2, 2, t -> { });
            assertThat(((Lora) PeftIO.load(fine, AdapterTypes.registry(), m.encoder.sites(), null)).config().scaling())
                    .as("a scaling of exactly the limit loads").isEqualTo(1000f);
        }
    }

    /** {@code r: 100000} beside rank-2 tensors: refused from the file's header, before the rank-100000 matrices exist. */
    @Test
    void aHugeRankIsRefusedBeforeItsMatricesAreAllocated() throws IOException {
        Path dir = loraFixture("huge-rank", "4", "LORA", 100_000, 2, t -> { });
        try (TinyModel m = new TinyModel()) {
            assertThatThrownBy(() -> PeftIO.load(dir, AdapterTypes.registry(), m.encoder.sites(), null))
                    .isInstanceOf(AdapterFormatException.class)
                    .hasMessageStartingWith(dir.resolve("adapter_config.json") + ": parameter 'base_model.model.encoder.layer.")
                    .hasMessageContaining(".lora_A.weight' [100000, 16] (1600000 floats) cannot be filled from"
                            + " adapter_model.safetensors: it holds 256 floats in all")
                    .hasMessageContaining("nothing was allocated for it");
        }
    }

    @Test
    void aNonFiniteAdapterTensorIsNamed() throws IOException {
        Path dir = loraFixture("nan", "4", "LORA", 2, 2, t -> { });
        Path weights = dir.resolve("adapter_model.safetensors");
        String b = "base_model.model.encoder.layer.1.attention.self.value.lora_B.weight";
        try (TinyModel m = new TinyModel()) {
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
                dev.graft.core.testing.CorruptWeights.setFloat(weights, b, 5, bad);
                assertThatThrownBy(() -> PeftIO.load(dir, AdapterTypes.registry(), m.encoder.sites(), null))
                        .isInstanceOf(dev.graft.core.io.NonFiniteWeightException.class)
                        .hasMessageStartingWith(weights + ": tensor '" + b + "' [16, 2] holds " + bad + " at index 5 (element [2, 1])");
            }
        }
    }

    @Test
    void anOutOfRangeLayerToTransformIsNamedWithTheValidRange() throws IOException {
        try (TinyModel m = new TinyModel()) {
            Path far = loraFixture("far-layer", "4", "LORA", 2, 2, t -> { });
            Files.writeString(far.resolve("adapter_config.json"), LORA_CONFIG.formatted("4", "LORA", 2)
                    .replace("\"layers_to_transform\": null", "\"layers_to_transform\": [0, 7]"));
            assertThatThrownBy(() -> PeftIO.load(far, AdapterTypes.registry(), m.encoder.sites(), null))
                    .isInstanceOf(AdapterFormatException.class)
                    .hasMessageContaining(far.resolve("adapter_config.json").toString())
                    .hasMessageContaining("'layers_to_transform' holds layer 7").hasMessageContaining("layers 0 to 1")
                    .hasMessageNotContaining("target_modules");
        }
    }
}
