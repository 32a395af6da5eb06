package dev.graft.backbones.huggingface;

import static dev.graft.backbones.huggingface.HfTestModels.TINY;
import static dev.graft.backbones.huggingface.HfTestModels.assertSameWeights;
import static dev.graft.backbones.huggingface.HfTestModels.checkpoint;
import static dev.graft.backbones.huggingface.HfTestModels.randomWeights;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.backbones.bert.BertCheckpoint;
import dev.graft.backbones.bert.BertWeights;
import dev.graft.backbones.bert.Linear;
import dev.graft.core.io.NonFiniteWeightException;
import dev.graft.core.io.Safetensors;
import dev.graft.core.io.SafetensorsFile;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import dev.graft.core.testing.CorruptWeights;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class HfBertDirectoryTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path tmp;

    /** Holds the in-memory source models. */
    private TensorArena source;
    /** Loads and rewrites in tests go here, so every test can check that loading releases everything. */
    private TensorArena work;

    @BeforeEach
    void open() {
        source = TensorArena.root("hf-test-source");
        work = TensorArena.root("hf-test-work");
    }

    @AfterEach
    void close() {
        source.close();
        work.close();
        assertThat(source.allocatedBytes()).isZero();
        assertThat(work.allocatedBytes()).isZero();
    }

    /** A tiny random model written as an HF directory at {@code tmp/name}. */
    private Path writeTiny(String name, boolean outIn) throws IOException {
        BertCheckpoint ckpt = checkpoint(tmp, randomWeights(source, TINY, outIn, 42), source);
        Path dir = tmp.resolve(name);
        HfBertDirectory.write(ckpt, dir);
        return dir;
    }

    @ParameterizedTest(name = "source Linear weights [out, in] = {0}")
    @ValueSource(booleans = {false, true})
    void writesAndLoadsBackEveryWeight(boolean outIn) throws IOException {
        BertWeights original = randomWeights(source, TINY, outIn, 7);
        BertCheckpoint ckpt = checkpoint(tmp, original, source);
        Path dir = tmp.resolve("converted");
        HfBertDirectory.write(ckpt, dir);

        assertThat(list(dir)).containsExactly("config.json", "model.safetensors", "tokenizer.json");
        assertThat(list(tmp)).containsExactlyInAnyOrder("converted", "source-tokenizer.json");
        assertThat(Files.readString(dir.resolve("tokenizer.json"))).isEqualTo(HfTestModels.TOKENIZER_JSON);

        try (BertCheckpoint loaded = HfBertDirectory.load(dir)) {
            assertSameWeights(original, loaded.weights());
            assertThat(loaded.name()).isEqualTo(dir.toString());
            assertThat(loaded.weightsFile()).isEqualTo(dir.resolve("model.safetensors"));
            assertThat(loaded.tokenizerFile()).isEqualTo(dir.resolve("tokenizer.json"));
            Linear q = loaded.weights().layers().get(1).query();
            assertThat(q.outIn()).isTrue();
            assertThat(loaded.weights().layers().get(0).intermediate().weight().shape()).containsExactly(32, 16);
        }
    }

    @Test
    void writesWhatTransformersBertModelSaves() throws IOException {
        Path dir = writeTiny("hf", false);
        JsonNode config = JSON.readTree(dir.resolve("config.json").toFile());
        assertThat(config.get("model_type").asText()).isEqualTo("bert");
        assertThat(config.get("architectures").get(0).asText()).isEqualTo("BertModel");
        assertThat(config.get("hidden_act").asText()).isEqualTo("gelu");
        assertThat(config.get("vocab_size").asInt()).isEqualTo(50);
        assertThat(config.get("hidden_size").asInt()).isEqualTo(16);
        assertThat(config.get("num_hidden_layers").asInt()).isEqualTo(2);
        assertThat(config.get("num_attention_heads").asInt()).isEqualTo(4);
        assertThat(config.get("intermediate_size").asInt()).isEqualTo(32);
        assertThat(config.get("max_position_embeddings").asInt()).isEqualTo(20);
        assertThat(config.get("type_vocab_size").asInt()).isEqualTo(2);
        assertThat(config.get("layer_norm_eps").asDouble()).isEqualTo(1e-12);

        SafetensorsFile file = Safetensors.open(dir.resolve("model.safetensors"), work);
        assertThat(file.metadata()).containsEntry("format", "pt").containsEntry("graft.source", "random-test-model");
        assertThat(file.names()).hasSize(5 + 2 * 16)
                .startsWith("embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
                        "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias",
                        "encoder.layer.0.attention.self.query.weight")
                .contains("encoder.layer.1.output.LayerNorm.bias", "encoder.layer.0.intermediate.dense.weight")
                .allMatch(n -> n.startsWith("embeddings.") || n.startsWith("encoder.layer."));
        // nn.Linear(in=16, out=32).weight is [32, 16]; nn.Linear(in=32, out=16).weight is [16, 32]
        assertThat(file.info("encoder.layer.0.intermediate.dense.weight").shape()).containsExactly(32, 16);
        assertThat(file.info("encoder.layer.0.output.dense.weight").shape()).containsExactly(16, 32);
        assertThat(file.info("encoder.layer.0.output.dense.bias").shape()).containsExactly(16);
        assertThat(file.names()).allMatch(n -> file.info(n).dtype().equals("F32"));
    }

    @Test
    void loadedWeightsAreReadOnlyViewsOfTheMapping() throws IOException {
        Path dir = writeTiny("ro", true);
        try (BertCheckpoint loaded = HfBertDirectory.load(dir)) {
            BertWeights w = loaded.weights();
            assertThat(loaded.arena().allocatedBytes()).isEqualTo(Files.size(dir.resolve("model.safetensors")));
            Tensor emb = w.wordEmbeddings();
            Tensor q = w.layers().get(0).query().weight();
            assertThat(emb.isReadOnly()).isTrue();
            assertThat(q.isReadOnly()).isTrue();
            assertThat(w.layers().get(1).outputNorm().beta().isReadOnly()).isTrue();
            assertThatThrownBy(() -> emb.setFloat(0, 1f)).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> q.setFloat(3, 1f)).isInstanceOf(UnsupportedOperationException.class);
            assertThat(q.arrowBuffer()).isSameAs(emb.arrowBuffer());
        }
    }

    @Test
    void loadsIntoAChildOfTheGivenArenaAndReleasesIt() throws IOException {
        Path dir = writeTiny("child", true);
        BertCheckpoint loaded = HfBertDirectory.load(dir, work);
        assertThat(work.allocatedBytes()).isEqualTo(Files.size(dir.resolve("model.safetensors")));
        assertThat(loaded.arena()).isNotSameAs(work);
        loaded.close();
        assertThat(work.allocatedBytes()).isZero();
        assertThat(work.isClosed()).isFalse();
    }

    @Test
    void loadsTaskModelNamesWithTheBertPrefixIgnoringHeadsAndPooler() throws IOException {
        Path plain = writeTiny("plain", false);
        Map<String, Tensor> extras = new LinkedHashMap<>();
        extras.put("bert.pooler.dense.weight", source.allocate(DType.F32, 16, 16));
        extras.put("bert.pooler.dense.bias", source.allocate(DType.F32, 16));
        extras.put("cls.predictions.bias", source.allocate(DType.F32, 50));
        extras.put("bert.embeddings.position_ids", source.allocate(DType.I32, 1, 20));
        Path prefixed = rewrite(plain, "prefixed", n -> "bert." + n, extras);

        try (BertCheckpoint a = HfBertDirectory.load(plain); BertCheckpoint b = HfBertDirectory.load(prefixed, work)) {
            assertSameWeights(a.weights(), b.weights());
            assertThat(b.weights().layers().get(0).query().name()).isEqualTo("encoder.layer.0.attention.self.query");
        }
    }

    @Test
    void loadsTheOldGammaBetaLayerNormNames() throws IOException {
        Path plain = writeTiny("plain", true);
        Path old = rewrite(plain, "old", n -> n.contains("LayerNorm")
                ? n.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta") : n, Map.of());
        assertThat(names(old.resolve("model.safetensors"))).contains("embeddings.LayerNorm.gamma")
                .doesNotContain("embeddings.LayerNorm.weight");
        try (BertCheckpoint a = HfBertDirectory.load(plain); BertCheckpoint b = HfBertDirectory.load(old)) {
            assertSameWeights(a.weights(), b.weights());
        }
    }

    static Stream<Arguments> badConfigs() {
        return Stream.of(
                Arguments.of("hidden_act relu", (Consumer<ObjectNode>) c -> c.put("hidden_act", "relu"),
                        "config.json: hidden_act is 'relu' but Graft's BERT encoder implements only 'gelu'"),
                Arguments.of("hidden_act gelu_new", (Consumer<ObjectNode>) c -> c.put("hidden_act", "gelu_new"),
                        "hidden_act is 'gelu_new'"),
                Arguments.of("model_type roberta", (Consumer<ObjectNode>) c -> c.put("model_type", "roberta"),
                        "config.json: model_type is 'roberta' but only 'bert'"),
                Arguments.of("relative positions", (Consumer<ObjectNode>) c -> c.put("position_embedding_type", "relative_key"),
                        "config.json: position_embedding_type is 'relative_key'"),
                Arguments.of("decoder", (Consumer<ObjectNode>) c -> c.put("is_decoder", true), "config.json: is_decoder is true"),
                Arguments.of("hidden_size missing", (Consumer<ObjectNode>) c -> c.remove("hidden_size"),
                        "config.json: missing field 'hidden_size'"),
                Arguments.of("hidden_size a string", (Consumer<ObjectNode>) c -> c.put("hidden_size", "16"),
                        "config.json: hidden_size must be a 32-bit integer"),
                Arguments.of("vocab_size fractional", (Consumer<ObjectNode>) c -> c.put("vocab_size", 50.5),
                        "config.json: vocab_size must be a 32-bit integer"),
                Arguments.of("heads do not divide hidden", (Consumer<ObjectNode>) c -> c.put("num_attention_heads", 5),
                        "config.json: hidden_size 16 is not a multiple of num_attention_heads 5"),
                Arguments.of("zero layers", (Consumer<ObjectNode>) c -> c.put("num_hidden_layers", 0),
                        "config.json: num_hidden_layers must be > 0"),
                Arguments.of("fewer layers than the file", (Consumer<ObjectNode>) c -> c.put("num_hidden_layers", 1),
                        "model.safetensors: tensor 'encoder.layer.1.attention.self.query.weight' belongs to layer 1 but config.json says num_hidden_layers = 1"),
                Arguments.of("more layers than the file", (Consumer<ObjectNode>) c -> c.put("num_hidden_layers", 3),
                        "model.safetensors: missing tensor 'encoder.layer.2.attention.self.query.weight'"),
                Arguments.of("vocab mismatch", (Consumer<ObjectNode>) c -> c.put("vocab_size", 51),
                        "model.safetensors: embeddings.word_embeddings.weight is f32[50, 16] but the config needs [51, 16]"),
                Arguments.of("layer_norm_eps 1e300 (+Inf as a float)", (Consumer<ObjectNode>) c -> c.put("layer_norm_eps", 1e300),
                        "config.json: layer_norm_eps is 1.0E300; it must be a finite number in"),
                Arguments.of("layer_norm_eps 0.5", (Consumer<ObjectNode>) c -> c.put("layer_norm_eps", 0.5),
                        "config.json: layer_norm_eps is 0.5; it must be a finite number in [1.1754944E-38, 0.01] (BERT models use 1e-12 to 1e-5)"),
                Arguments.of("layer_norm_eps 1e-50 (0 as a float)", (Consumer<ObjectNode>) c -> c.put("layer_norm_eps", 1e-50),
                        "config.json: layer_norm_eps is 1.0E-50"),
                Arguments.of("layer_norm_eps negative", (Consumer<ObjectNode>) c -> c.put("layer_norm_eps", -1e-12),
                        "config.json: layer_norm_eps is -1.0E-12"),
                Arguments.of("dropout 1.5", (Consumer<ObjectNode>) c -> c.put("hidden_dropout_prob", 1.5),
                        "config.json: hidden_dropout_prob is 1.5; a dropout probability must be in [0, 1)"),
                Arguments.of("dropout 1", (Consumer<ObjectNode>) c -> c.put("attention_probs_dropout_prob", 1),
                        "config.json: attention_probs_dropout_prob is 1;"),
                Arguments.of("intermediate mismatch", (Consumer<ObjectNode>) c -> c.put("intermediate_size", 64),
                        "model.safetensors: encoder.layer.0.intermediate.dense.weight is f32[32, 16] [out, in] but the config needs 16 → 64"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badConfigs")
    void rejectsConfigsItCannotHonour(String label, Consumer<ObjectNode> edit, String expected) throws IOException {
        Path dir = writeTiny("model", true);
        editConfig(dir, edit);
        assertThatThrownBy(() -> HfBertDirectory.load(dir, work))
                .as(label)
                .isInstanceOf(HfFormatException.class)
                .hasMessageContaining(dir.toString())
                .hasMessageContaining(expected);
        assertThat(work.allocatedBytes()).as("nothing stays mapped after a failed load").isZero();
    }

    @Test
    void rejectsAConfigThatIsNotJson() throws IOException {
        Path dir = writeTiny("model", true);
        Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 16,");
        assertThatThrownBy(() -> HfBertDirectory.load(dir))
                .isInstanceOf(HfFormatException.class)
                .hasMessageContaining(dir.resolve("config.json") + ": not valid JSON");
    }

    @Test
    void appliesTransformersDefaultsForOptionalFields() throws IOException {
        Path dir = writeTiny("model", true);
        editConfig(dir, c -> {
            c.remove("layer_norm_eps");
            c.remove("type_vocab_size");
            c.remove("hidden_act");
            c.remove("model_type");
            c.remove("position_embedding_type");
        });
        try (BertCheckpoint loaded = HfBertDirectory.load(dir)) {
            assertThat(loaded.config()).isEqualTo(TINY);
        }
    }

    @Test
    void namesAMissingTensor() throws IOException {
        Path plain = writeTiny("plain", true);
        Path broken = rewrite(plain, "broken", n -> n.equals("encoder.layer.1.output.dense.bias") ? null : n, Map.of());
        assertThatThrownBy(() -> HfBertDirectory.load(broken, work))
                .isInstanceOf(HfFormatException.class)
                .hasMessageContaining(broken.resolve("model.safetensors").toString())
                .hasMessageContaining("missing tensor 'encoder.layer.1.output.dense.bias'");
        Path brokenPrefixed = rewrite(plain, "broken-prefixed",
                n -> n.equals("embeddings.LayerNorm.bias") ? null : "bert." + n, Map.of());
        assertThatThrownBy(() -> HfBertDirectory.load(brokenPrefixed, work))
                .isInstanceOf(HfFormatException.class)
                .hasMessageContaining("missing tensor 'bert.embeddings.LayerNorm.bias'");
        Path noEmbeddings = rewrite(plain, "no-embeddings", n -> n.startsWith("embeddings.word") ? null : n, Map.of());
        assertThatThrownBy(() -> HfBertDirectory.load(noEmbeddings, work))
                .isInstanceOf(HfFormatException.class)
                .hasMessageContaining("missing tensor 'embeddings.word_embeddings.weight' (nor 'bert.embeddings.word_embeddings.weight')");
        assertThat(work.allocatedBytes()).isZero();
    }

    @Test
    void namesATensorOfTheWrongShapeOrDtype() throws IOException {
        Path plain = writeTiny("plain", true);
        TensorArena scratch = source.child("extras");
        Map<String, Tensor> extras = new LinkedHashMap<>();
        extras.put("encoder.layer.0.output.dense.bias", scratch.allocate(DType.F32, 17));
        Path badBias = rewrite(plain, "bad-bias", n -> n.equals("encoder.layer.0.output.dense.bias") ? null : n, extras);
        assertThatThrownBy(() -> HfBertDirectory.load(badBias, work))
                .isInstanceOf(HfFormatException.class)
                .hasMessageContaining(badBias.resolve("model.safetensors").toString())
                .hasMessageContaining("encoder.layer.0.output.dense.bias is f32[17] but the layer has 16 outputs");

        extras.clear();
        extras.put("embeddings.token_type_embeddings.weight", scratch.allocate(DType.I32, 2, 16));
        Path badDtype = rewrite(plain, "bad-dtype", n -> n.startsWith("embeddings.token_type") ? null : n, extras);
        assertThatThrownBy(() -> HfBertDirectory.load(badDtype, work))
                .isInstanceOf(HfFormatException.class)
                .hasMessageContaining("tensor 'embeddings.token_type_embeddings.weight' is I32 but weights must be F32");
        scratch.close();
        assertThat(work.allocatedBytes()).isZero();
    }

    @Test
    void namesMissingFiles() throws IOException {
        Path dir = writeTiny("model", true);
        assertThatThrownBy(() -> HfBertDirectory.load(tmp.resolve("nowhere")))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining(tmp.resolve("nowhere").toString());

        Files.move(dir.resolve("tokenizer.json"), tmp.resolve("t.json"));
        assertThatThrownBy(() -> HfBertDirectory.load(dir, work))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(dir.resolve("tokenizer.json").toString()).hasMessageContaining("tokenizer");
        Files.move(tmp.resolve("t.json"), dir.resolve("tokenizer.json"));

        Files.move(dir.resolve("config.json"), tmp.resolve("c.json"));
        assertThatThrownBy(() -> HfBertDirectory.load(dir, work))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining(dir.resolve("config.json").toString());
        Files.move(tmp.resolve("c.json"), dir.resolve("config.json"));

        Files.move(dir.resolve("model.safetensors"), dir.resolve("pytorch_model.bin"));
        assertThatThrownBy(() -> HfBertDirectory.load(dir, work))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(dir.resolve("model.safetensors").toString())
                .hasMessageContaining("only pytorch_model.bin is here");
        assertThat(work.allocatedBytes()).isZero();
    }

    @Test
    void refusesToOverwriteANonEmptyTargetButFillsAnEmptyOne() throws IOException {
        BertCheckpoint ckpt = checkpoint(tmp, randomWeights(source, TINY, false, 3), source);
        Path full = Files.createDirectory(tmp.resolve("full"));
        Files.writeString(full.resolve("keep.txt"), "mine");
        assertThatThrownBy(() -> HfBertDirectory.write(ckpt, full))
                .isInstanceOf(FileAlreadyExistsException.class).hasMessageContaining(full.toString());
        assertThat(list(full)).containsExactly("keep.txt");

        Path empty = Files.createDirectory(tmp.resolve("empty"));
        HfBertDirectory.write(ckpt, empty);
        assertThat(list(empty)).containsExactly("config.json", "model.safetensors", "tokenizer.json");
        assertThat(list(tmp)).containsExactlyInAnyOrder("full", "empty", "source-tokenizer.json");
    }

    @Test
    void aFailedWriteLeavesNothingBehind() throws IOException {
        TensorArena doomed = TensorArena.root("doomed");
        BertCheckpoint ckpt = checkpoint(tmp, randomWeights(doomed, TINY, false, 5), doomed);
        doomed.close(); // the weights are gone: writing them must fail, after config.json was already written
        Path target = tmp.resolve("out");
        assertThatThrownBy(() -> HfBertDirectory.write(ckpt, target))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("embeddings.word_embeddings.weight").hasMessageContaining("closed");
        assertThat(list(tmp)).containsExactly("source-tokenizer.json");

        BertCheckpoint noTokenizer = new BertCheckpoint("x", tmp.resolve("x.onnx"), tmp.resolve("absent.json"),
                randomWeights(source, TINY, true, 6), source);
        assertThatThrownBy(() -> HfBertDirectory.write(noTokenizer, target))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("absent.json");
        assertThat(list(tmp)).containsExactly("source-tokenizer.json");
    }

    @Test
    void convertsALoadedDirectoryAgainUnchanged() throws IOException {
        Path first = writeTiny("first", false);
        try (BertCheckpoint loaded = HfBertDirectory.load(first)) {
            Path second = tmp.resolve("second");
            HfBertDirectory.write(loaded, second);
            try (BertCheckpoint again = HfBertDirectory.load(second)) {
                assertSameWeights(loaded.weights(), again.weights());
            }
            // same tensors, same order, same bytes; only the provenance metadata differs
            try (TensorArena read = work.child("compare")) {
                SafetensorsFile a = Safetensors.open(first.resolve("model.safetensors"), read);
                SafetensorsFile b = Safetensors.open(second.resolve("model.safetensors"), read);
                assertThat(b.names()).containsExactlyElementsOf(a.names());
                assertThat(b.metadata().get("graft.source")).isEqualTo(first.toString());
                byte[] da = Files.readAllBytes(first.resolve("model.safetensors"));
                byte[] db = Files.readAllBytes(second.resolve("model.safetensors"));
                assertThat(Arrays.copyOfRange(db, (int) b.dataStart(), db.length))
                        .isEqualTo(Arrays.copyOfRange(da, (int) a.dataStart(), da.length));
            }
        }
    }

    @Test
    void transposeIsExact() {
        Tensor w = work.copyOf(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertThat(HfBertDirectory.transpose(w, work).toFloatArray()).containsExactly(1, 4, 2, 5, 3, 6);
        Tensor big = work.allocate(DType.F32, 37, 70); // not a multiple of the tile
        for (int k = 0; k < big.elementCount(); k++) {
            big.setFloat(k, k);
        }
        Tensor t = HfBertDirectory.transpose(big, work);
        assertThat(t.shape()).containsExactly(70, 37);
        for (int i = 0; i < 37; i++) {
            for (int j = 0; j < 70; j++) {
                assertThat(t.getFloat(t.index(j, i))).isEqualTo(big.getFloat(big.index(i, j)));
            }
        }
    }

    /** Copies {@code from} to {@code tmp/name}, its tensors renamed (null drops one) and {@code extras} added. */
    @ParameterizedTest(name = "{1} in {0}[{2}]")
    @org.junit.jupiter.params.provider.CsvSource({"embeddings.word_embeddings.weight, NaN, 123",
            "encoder.layer.1.output.LayerNorm.weight, Infinity, 5", "encoder.layer.0.attention.self.key.bias, -Infinity, 0",
            "embeddings.LayerNorm.bias, NaN, 15"})
    void aNonFiniteWeightIsNamedWithItsFileTensorAndElement(String tensor, float value, int index) throws IOException {
        Path dir = writeTiny("model", true);
        Path weights = dir.resolve("model.safetensors");
        CorruptWeights.setFloat(weights, tensor, index, value);
        assertThatThrownBy(() -> HfBertDirectory.load(dir, work))
                .isInstanceOfSatisfying(NonFiniteWeightException.class, e -> {
                    assertThat(e.file()).isEqualTo(weights);
                    assertThat(e.tensor()).isEqualTo(tensor);
                    assertThat(e.index()).isEqualTo(index);
                })
                .hasMessageStartingWith(weights + ": tensor '" + tensor + "' ")
                .hasMessageContaining("holds " + value + " at index " + index);
        assertThat(work.allocatedBytes()).as("nothing stays mapped after a failed load").isZero();
    }

    @Test
    void aNonFiniteWeightIsFoundUnderTheBertPrefix() throws IOException {
        Path plain = writeTiny("plain", true);
        Map<String, Tensor> extras = new LinkedHashMap<>();
        Path prefixed = rewrite(plain, "prefixed", n -> "bert." + n, extras);
        CorruptWeights.setFloat(prefixed.resolve("model.safetensors"), "bert.encoder.layer.0.output.LayerNorm.weight", 2,
                Float.POSITIVE_INFINITY);
        assertThatThrownBy(() -> HfBertDirectory.load(prefixed, work))
                .isInstanceOf(NonFiniteWeightException.class)
                .hasMessageContaining("tensor 'bert.encoder.layer.0.output.LayerNorm.weight' [16] holds Infinity at index 2");
    }

    private Path rewrite(Path from, String name, UnaryOperator<String> rename, Map<String, Tensor> extras) throws IOException {
        Path to = Files.createDirectory(tmp.resolve(name));
        Files.copy(from.resolve("config.json"), to.resolve("config.json"));
        Files.copy(from.resolve("tokenizer.json"), to.resolve("tokenizer.json"));
        try (TensorArena read = work.child("rewrite")) {
            SafetensorsFile in = Safetensors.open(from.resolve("model.safetensors"), read);
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (String n : in.names()) {
                String renamed = rename.apply(n);
                if (renamed != null) {
                    out.put(renamed, in.tensor(n));
                }
            }
            out.putAll(extras);
            Safetensors.write(to.resolve("model.safetensors"), out, in.metadata());
        }
        return to;
    }

    private static void editConfig(Path dir, Consumer<ObjectNode> edit) throws IOException {
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        edit.accept(config);
        JSON.writeValue(dir.resolve("config.json").toFile(), config);
    }

    private List<String> names(Path safetensors) throws IOException {
        try (TensorArena read = work.child("names")) {
            return new ArrayList<>(Safetensors.open(safetensors, read).names());
        }
    }

    private static List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
