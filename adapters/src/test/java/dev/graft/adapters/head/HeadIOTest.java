package dev.graft.adapters.head;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.adapters.HeadTypes;
import dev.graft.adapters.classification.ClassificationConfig;
import dev.graft.adapters.classification.SequenceClassification;
import dev.graft.adapters.nn.Parameter;
import dev.graft.adapters.tagging.TaggingConfig;
import dev.graft.adapters.tagging.TokenClassification;
import dev.graft.core.io.NonFiniteWeightException;
import dev.graft.core.io.Safetensors;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import dev.graft.core.testing.CorruptWeights;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HeadIOTest {
    static final BackboneInfo MINI = new BackboneInfo("tiny", "ab".repeat(32), 16, 2);
    static final HeadRegistry REGISTRY = HeadTypes.registry();

    @TempDir
    Path dir;

    static Head mlpMixHead() {
        return new SequenceClassification().create(ClassificationConfig.of(List.of("no", "yes", "maybe"))
                .withHidden(8, "tanh").withLayers(LayerSelection.MIX).withDropout(0.1f), MINI, 7);
    }

    @Test
    void aSavedHeadLoadsBackWithTheSameConfigParametersAndBackbone() throws IOException {
        Head head = mlpMixHead();
        head.parameters().getFirst().values()[0] = 0.125f; // not what a fresh init gives
        Path saved = dir.resolve("h");
        HeadIO.save(head, saved, Json.mapper().createObjectNode().put("note", "test"), null);
        assertThat(saved.resolve(HeadIO.CONFIG_FILE)).exists();
        HeadIO.Loaded loaded = HeadIO.load(saved, REGISTRY);
        Head back = loaded.head();
        assertThat(back.type()).isEqualTo("classification");
        assertThat(back.config()).isEqualTo(head.config());
        assertThat(back.backbone()).isEqualTo(MINI);
        assertThat(loaded.training().path("note").asText()).isEqualTo("test");
        assertThat(back.parameters()).extracting(Parameter::name)
                .containsExactly("mix.weights", "mix.gamma", "hidden.weight", "hidden.bias", "classifier.weight", "classifier.bias");
        for (int i = 0; i < head.parameters().size(); i++) {
            assertThat(back.parameters().get(i).values()).containsExactly(head.parameters().get(i).values());
        }
        String json = Files.readString(saved.resolve(HeadIO.CONFIG_FILE));
        assertThat(json).contains("\"pooling\" : \"mean\"", "\"layers\" : \"mix\"", "\"hidden_size\" : 8", "graft_version");
    }

    @Test
    void loadingOntoAnotherBackboneIsRefusedNamingBoth() throws IOException {
        Path saved = dir.resolve("h");
        HeadIO.save(mlpMixHead(), saved);
        BackboneInfo other = new BackboneInfo("other", "cd".repeat(32), 16, 2);
        assertThatThrownBy(() -> HeadIO.load(saved, REGISTRY, other))
                .isInstanceOf(HeadMismatchException.class)
                .hasMessageContaining("tiny").hasMessageContaining("other").hasMessageContaining(saved.toString());
        assertThat(HeadIO.load(saved, REGISTRY, MINI).head().backbone()).isEqualTo(MINI);
    }

    @Test
    void aFailingSaveLeavesNoDirectoryAndKeepsTheOldOne() throws IOException {
        Path saved = dir.resolve("h");
        HeadIO.save(mlpMixHead(), saved);
        byte[] before = Files.readAllBytes(saved.resolve(HeadIO.WEIGHTS_FILE));
        Head other = new TokenClassification().create(TaggingConfig.of(List.of("A", "B")), MINI, 1);
        assertThatThrownBy(() -> HeadIO.save(other, saved, null, tmp -> {
            Files.writeString(tmp.resolve("partial"), "x");
            throw new IOException("disk full (simulated)");
        })).hasMessageContaining("disk full");
        assertThat(Files.readAllBytes(saved.resolve(HeadIO.WEIGHTS_FILE))).isEqualTo(before);
        assertThat(HeadIO.load(saved, REGISTRY).head().type()).isEqualTo("classification");
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("h");
        }
        Path fresh = dir.resolve("fresh");
        assertThatThrownBy(() -> HeadIO.save(other, fresh, null, tmp -> {
            throw new IOException("interrupted (simulated)");
        })).hasMessageContaining("interrupted");
        assertThat(fresh).doesNotExist();
    }

    @Test
    void aNonEmptyDirectoryThatIsNotAHeadIsNeverOverwritten() throws IOException {
        Path precious = Files.createDirectories(dir.resolve("precious"));
        Files.writeString(precious.resolve("thesis.tex"), "…");
        assertThatThrownBy(() -> HeadIO.save(mlpMixHead(), precious)).hasMessageContaining("refusing to overwrite");
        assertThat(precious.resolve("thesis.tex")).exists();
    }

    @Test
    void brokenSavedHeadsGiveErrorsNamingTheFileAndField() throws IOException {
        Path saved = dir.resolve("h");
        HeadIO.save(mlpMixHead(), saved);
        Path config = saved.resolve(HeadIO.CONFIG_FILE);
        String good = Files.readString(config);

        assertThatThrownBy(() -> HeadIO.load(dir.resolve("missing"), REGISTRY)).isInstanceOf(NoSuchFileException.class);

        Files.writeString(config, good.replace("\"classification\"", "\"sentiment-ranker\""));
        assertThatThrownBy(() -> HeadIO.load(saved, REGISTRY)).isInstanceOf(HeadFormatException.class)
                .hasMessageContaining(config.toString()).hasMessageContaining("unknown head type 'sentiment-ranker'");

        Files.writeString(config, good.replace("\"hidden_size\" : 8", "\"hiden_size\" : 8"));
        assertThatThrownBy(() -> HeadIO.load(saved, REGISTRY)).hasMessageContaining(config.toString())
                .hasMessageContaining("field 'config.hidden_size'"); // the typo leaves the real field missing

        Files.writeString(config, good.replace("\"hidden_size\" : 16,", ""));
        assertThatThrownBy(() -> HeadIO.load(saved, REGISTRY)).hasMessageContaining("field 'backbone.hidden_size'");

        Files.writeString(config, good.substring(0, good.length() / 2));
        assertThatThrownBy(() -> HeadIO.load(saved, REGISTRY)).hasMessageContaining("not valid JSON");

        Files.writeString(config, good.replace("\"layers\" : \"mix\"", "\"layers\" : \"7\""));
        assertThatThrownBy(() -> HeadIO.load(saved, REGISTRY)).hasMessageContaining("layer 7 does not exist");
        Files.writeString(config, good);
    }

    @Test
    void missingExtraAndMisshapenTensorsAreNamed() throws IOException {
        Head head = mlpMixHead();
        Path saved = dir.resolve("h");
        HeadIO.save(head, saved);
        Path weights = saved.resolve(HeadIO.WEIGHTS_FILE);
        rewrite(weights, head, m -> m.remove("classifier.bias"));
        assertThatThrownBy(() -> HeadIO.load(saved, REGISTRY)).isInstanceOf(HeadFormatException.class)
                .hasMessageContaining(weights.toString()).hasMessageContaining("missing tensor 'classifier.bias'");
        rewrite(weights, head, m -> m.put("lora_A", m.get("mix.gamma")));
        assertThatThrownBy(() -> HeadIO.load(saved, REGISTRY)).hasMessageContaining("unexpected tensor(s) [lora_A]");
        rewrite(weights, head, m -> m.put("mix.weights", m.get("hidden.bias")));
        assertThatThrownBy(() -> HeadIO.load(saved, REGISTRY)).hasMessageContaining("'mix.weights' is F32 [8]")
                .hasMessageContaining("expects F32 [3]");
        Files.write(weights, "not safetensors".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> HeadIO.load(saved, REGISTRY)).hasMessageContaining(weights.toString());
    }

    @Test
    void aNonFiniteHeadTensorIsNamedWithItsFirstBadElement() throws IOException {
        Head head = mlpMixHead();
        Path saved = dir.resolve("h");
        HeadIO.save(head, saved);
        Path weights = saved.resolve(HeadIO.WEIGHTS_FILE);
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            CorruptWeights.setFloat(weights, "classifier.weight", 9, bad); // classifier [3, 8]: row 1, column 1
            assertThatThrownBy(() -> HeadIO.load(saved, REGISTRY))
                    .isInstanceOf(NonFiniteWeightException.class)
                    .hasMessageStartingWith(weights + ": tensor 'classifier.weight' [3, 8] holds " + bad
                            + " at index 9 (element [1, 1])");
        }
        CorruptWeights.setFloat(weights, "classifier.weight", 9, 0.5f);
        CorruptWeights.setFloat(weights, "mix.gamma", 0, Float.NaN);
        assertThatThrownBy(() -> HeadIO.load(saved, REGISTRY)).isInstanceOf(NonFiniteWeightException.class)
                .hasMessageContaining("tensor 'mix.gamma' [1] holds NaN at index 0");
    }

    /** A head for a MiniLM-sized backbone (hidden 384), saved with its (small) real weights. */
    private Path savedMiniLmSizedHead() throws IOException {
        BackboneInfo minilm = new BackboneInfo("all-minilm-l6-v2", "ef".repeat(32), 384, 6);
        Path saved = dir.resolve("h384");
        HeadIO.save(new SequenceClassification().create(ClassificationConfig.of(List.of("no", "yes", "maybe")), minilm, 1),
                saved);
        return saved;
    }

    /**
     * {@code hidden_size: 3000000} beside a 4.6 KB weights file: the MLP it describes needs 3 M × 384 floats (4.6 GB,
     * twice that with gradients), more than the test JVM's heap. The load fails at once naming the config, the
     * parameter and the file — it could not have allocated from the config and then failed, as that ends in an
     * OutOfMemoryError.
     */
    @Test
    void aHugeHiddenSizeIsRefusedBeforeAnythingIsAllocated() throws IOException {
        Path saved = savedMiniLmSizedHead();
        Path config = saved.resolve(HeadIO.CONFIG_FILE);
        assertThat(3_000_000L * 384 * Float.BYTES).as("what the config would allocate").isGreaterThan(Runtime.getRuntime().maxMemory());
        Files.writeString(config, Files.readString(config).replace("\"hidden_size\" : 0", "\"hidden_size\" : 3000000"));
        assertThatThrownBy(() -> HeadIO.load(saved, REGISTRY))
                .isInstanceOf(HeadFormatException.class)
                .hasMessageStartingWith(config + ": field 'config' does not describe a valid classification head: parameter"
                        + " 'hidden.weight' [3000000, 384] (1152000000 floats) cannot be filled from head.safetensors: it holds"
                        + " 1155 floats in all, and no tensor named 'hidden.weight'; the config and the weights file disagree");
    }

    /** Two million labels beside a three-label weights file: 2 M × 384 floats (3 GB) are never allocated. */
    @Test
    void twoMillionLabelsAreRefusedBeforeAnythingIsAllocated() throws IOException {
        Path saved = savedMiniLmSizedHead();
        Path config = saved.resolve(HeadIO.CONFIG_FILE);
        int labels = 2_000_000;
        assertThat((long) labels * 384 * Float.BYTES * 2).as("values and gradients").isGreaterThan(Runtime.getRuntime().maxMemory());
        StringBuilder many = new StringBuilder("[");
        for (int i = 0; i < labels; i++) {
            many.append(i == 0 ? "" : ",").append("\"l").append(i).append('"');
        }
        String json = Files.readString(config);
        String list = json.substring(json.indexOf("\"labels\""), json.indexOf(']', json.indexOf("\"labels\"")) + 1);
        Files.writeString(config, json.replace(list, "\"labels\" : " + many + "]"));
        assertThatThrownBy(() -> HeadIO.load(saved, REGISTRY))
                .isInstanceOf(HeadFormatException.class)
                .hasMessageContaining(config.toString())
                .hasMessageContaining("parameter 'classifier.weight' [2000000, 384] (768000000 floats) cannot be filled from"
                        + " head.safetensors: it holds 1155 floats in all, and 'classifier.weight' as [3, 384]");
    }

    @Test
    void aBackboneBeyondAnyRealEncoderIsRefused() throws IOException {
        Path saved = savedMiniLmSizedHead();
        Path config = saved.resolve(HeadIO.CONFIG_FILE);
        String json = Files.readString(config);
        Files.writeString(config, json.replace("\"num_layers\" : 6", "\"num_layers\" : 2000000000"));
        assertThatThrownBy(() -> HeadIO.load(saved, REGISTRY)).isInstanceOf(HeadFormatException.class)
                .hasMessageContaining(config.toString()).hasMessageContaining("field 'backbone'")
                .hasMessageContaining("must be at most 65536 and 1024");
        Files.writeString(config, json.replace("\"hidden_size\" : 384", "\"hidden_size\" : 3000000"));
        assertThatThrownBy(() -> HeadIO.load(saved, REGISTRY)).hasMessageContaining("hidden_size 3000000");
        Files.writeString(config, json.replace("\"dropout\" : 0.0", "\"dropout\" : 1.0"));
        assertThatThrownBy(() -> HeadIO.load(saved, REGISTRY)).hasMessageContaining("dropout must be in [0, 1), got 1.0");
    }

    private static void rewrite(Path weights, Head head, java.util.function.Consumer<Map<String, Tensor>> edit) throws IOException {
        try (TensorArena arena = TensorArena.root("rewrite")) {
            Map<String, Tensor> m = new LinkedHashMap<>();
            for (Parameter p : head.parameters()) {
                m.put(p.name(), arena.copyOf(p.values(), java.util.Arrays.stream(p.shape()).asLongStream().toArray()));
            }
            edit.accept(m);
            Safetensors.write(weights, m, Map.of());
        }
    }

    @Test
    void layerSelectionsParseAndCheckTheBackbone() {
        assertThat(LayerSelection.parse("last").stages(6)).containsExactly(6);
        assertThat(LayerSelection.parse("MIX").stages(2)).containsExactly(0, 1, 2);
        assertThat(LayerSelection.parse(" 3 ").stages(6)).containsExactly(3);
        assertThat(LayerSelection.parse("0").stages(6)).containsExactly(0);
        assertThatThrownBy(() -> LayerSelection.parse("top")).hasMessageContaining("last, mix or a layer number");
        assertThatThrownBy(() -> LayerSelection.parse("-1")).hasMessageContaining("≥ 0");
        assertThatThrownBy(() -> LayerSelection.parse("7").stages(6)).hasMessageContaining("the backbone has 6 layers");
    }
}
