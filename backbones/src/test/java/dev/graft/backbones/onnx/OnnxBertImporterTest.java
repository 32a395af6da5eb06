package dev.graft.backbones.onnx;

import static dev.graft.backbones.onnx.TinyBertOnnx.HIDDEN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.backbones.bert.BertCheckpoint;
import dev.graft.backbones.bert.BertConfig;
import dev.graft.backbones.bert.BertLayerWeights;
import dev.graft.backbones.bert.BertWeights;
import dev.graft.backbones.onnx.proto.ModelProto;
import dev.graft.backbones.onnx.proto.StringStringEntryProto;
import dev.graft.backbones.onnx.proto.TensorProto;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The importer on small graphs written with the generated protobuf classes: what it finds, and how it fails. */
class OnnxBertImporterTest {
    private static final BertConfig TINY = new BertConfig(TinyBertOnnx.VOCAB, HIDDEN, TinyBertOnnx.LAYERS, TinyBertOnnx.HEADS,
            TinyBertOnnx.INTERMEDIATE, TinyBertOnnx.POSITIONS, TinyBertOnnx.TYPES, TinyBertOnnx.EPS);

    @TempDir
    Path dir;

    private Path tokenizer() throws IOException {
        return Files.writeString(dir.resolve("tokenizer.json"), "{}");
    }

    @ParameterizedTest(name = "float_data={0} prefix=''{1}'' LayerNormalization={2} Reshape={3}")
    @CsvSource({"false, '', false, true", "true, '', false, true", "false, bert., true, true", "true, bert., true, false",
            "false, '', false, false"})
    void readsEveryVariantOfTheGraph(boolean floatData, String prefix, boolean lnNodes, boolean reshape) throws IOException {
        TinyBertOnnx tiny = new TinyBertOnnx(floatData, prefix, lnNodes, reshape);
        ModelProto model = tiny.build();
        Path file = TinyBertOnnx.write(model, dir.resolve("tiny.onnx"));
        try (TensorArena parent = TensorArena.root("tiny")) {
            try (BertCheckpoint cp = OnnxBertImporter.load(file, tokenizer(), parent)) {
                assertThat(cp.name()).isEqualTo("tiny");
                assertThat(cp.config()).isEqualTo(TINY);
                BertWeights w = cp.weights();
                Map<String, float[]> v = tiny.values();
                assertValues(w.wordEmbeddings(), v.get(prefix + "embeddings.word_embeddings.weight"));
                assertValues(w.tokenTypeEmbeddings(), v.get(prefix + "embeddings.token_type_embeddings.weight"));
                assertValues(w.embeddingNorm().beta(), v.get(prefix + "embeddings.LayerNorm.bias"));
                for (int l = 0; l < TinyBertOnnx.LAYERS; l++) {
                    BertLayerWeights layer = w.layers().get(l);
                    String scope = "/encoder/layer." + l + "/";
                    assertValues(layer.query().weight(), v.get(TinyBertOnnx.matMulWeight(model, scope + "attention/self/query/MatMul")));
                    assertValues(layer.key().weight(), v.get(TinyBertOnnx.matMulWeight(model, scope + "attention/self/key/MatMul")));
                    assertValues(layer.value().weight(), v.get(TinyBertOnnx.matMulWeight(model, scope + "attention/self/value/MatMul")));
                    assertValues(layer.attentionOutput().weight(), v.get(TinyBertOnnx.matMulWeight(model, scope + "attention/output/dense/MatMul")));
                    assertValues(layer.intermediate().weight(), v.get(TinyBertOnnx.matMulWeight(model, scope + "intermediate/dense/MatMul")));
                    assertValues(layer.output().weight(), v.get(TinyBertOnnx.matMulWeight(model, scope + "output/dense/MatMul")));
                    assertValues(layer.intermediate().bias(), v.get(prefix + "encoder.layer." + l + ".intermediate.dense.bias"));
                    assertValues(layer.outputNorm().gamma(), v.get(prefix + "encoder.layer." + l + ".output.LayerNorm.weight"));
                    assertThat(layer.query().name()).isEqualTo("encoder.layer." + l + ".attention.self.query");
                    assertThat(layer.intermediate().in()).isEqualTo(HIDDEN);
                    assertThat(layer.intermediate().out()).isEqualTo(TinyBertOnnx.INTERMEDIATE);
                }
                Tensor anyWeight = w.layers().getFirst().output().weight();
                assertThat(anyWeight.isReadOnly()).isTrue();
                assertThatThrownBy(() -> anyWeight.setFloat(3, 0f)).isInstanceOf(UnsupportedOperationException.class);
                // raw_data stays in the mapping; float_data is copied into the arena, on top of the mapping.
                long mapping = Files.size(file);
                if (floatData) {
                    assertThat(cp.arena().allocatedBytes()).isGreaterThan(mapping);
                } else {
                    assertThat(cp.arena().allocatedBytes()).isEqualTo(mapping);
                }
            }
            assertThat(parent.allocatedBytes()).isZero();
        }
    }

    private static void assertValues(Tensor t, float[] expected) {
        assertThat(expected).isNotNull();
        assertThat(t.toFloatArray()).containsExactly(expected);
    }

    @Test
    void reportsWhereHeadsAndEpsilonCameFrom() throws IOException {
        try (TensorArena arena = TensorArena.root("evidence")) {
            Path a = TinyBertOnnx.write(new TinyBertOnnx(false, "", false, true).build(), dir.resolve("a.onnx"));
            OnnxBertImporter.Imported i = OnnxBertImporter.read(a, arena);
            assertThat(i.numHeadsEvidence()).contains("Reshape").contains("2 heads of 4");
            assertThat(i.layerNormEpsEvidence()).contains("decomposed");
            Path b = TinyBertOnnx.write(new TinyBertOnnx(false, "", true, false).build(), dir.resolve("b.onnx"));
            OnnxBertImporter.Imported j = OnnxBertImporter.read(b, arena);
            assertThat(j.numHeadsEvidence()).contains("scale").contains("sqrt(4)");
            assertThat(j.layerNormEpsEvidence()).contains("LayerNormalization");
        }
    }

    @Test
    void withoutAnyLayerNormEpsilonInTheGraphUsesTheHuggingFaceDefault() throws IOException {
        ModelProto m = TinyBertOnnx.standard().build();
        for (String scope : new String[] {"/embeddings/LayerNorm", "/encoder/layer.0/attention/output/LayerNorm",
                "/encoder/layer.0/output/LayerNorm", "/encoder/layer.1/attention/output/LayerNorm", "/encoder/layer.1/output/LayerNorm"}) {
            m = TinyBertOnnx.withoutNode(m, scope + "/Sqrt");
        }
        Path file = TinyBertOnnx.write(m, dir.resolve("noeps.onnx"));
        try (TensorArena arena = TensorArena.root("noeps")) {
            OnnxBertImporter.Imported i = OnnxBertImporter.read(file, arena);
            assertThat(i.weights().config().layerNormEps()).isEqualTo(1e-12f);
            assertThat(i.layerNormEpsEvidence()).contains("default");
        }
    }

    private void assertFails(ModelProto model, String... messageParts) throws IOException {
        Path file = TinyBertOnnx.write(model, dir.resolve("bad.onnx"));
        try (TensorArena parent = TensorArena.root("bad")) {
            assertThatThrownBy(() -> OnnxBertImporter.load(file, tokenizer(), parent))
                    .isInstanceOf(OnnxFormatException.class)
                    .hasMessageStartingWith(file + ": ")
                    .hasMessageContainingAll(messageParts);
            assertThat(parent.allocatedBytes()).as("nothing stays mapped after a failure").isZero();
        }
    }

    @Test
    void aMissingMatMulNodeIsNamed() throws IOException {
        ModelProto m = TinyBertOnnx.withoutNode(TinyBertOnnx.standard().build(), "/encoder/layer.1/intermediate/dense/MatMul");
        assertFails(m, "has no MatMul node '/encoder/layer.1/intermediate/dense/MatMul'");
    }

    @Test
    void aGraphWithoutAnyEncoderMatMulIsNotBert() throws IOException {
        ModelProto m = TinyBertOnnx.standard().build();
        for (int l = 0; l < TinyBertOnnx.LAYERS; l++) {
            for (String role : TinyBertOnnx.ROLES) {
                m = TinyBertOnnx.withoutNode(m, "/encoder/layer." + l + "/" + role + "/MatMul");
            }
        }
        assertFails(m, "no MatMul node named like", "not a BERT encoder");
    }

    @Test
    void aMissingInitializerIsNamed() throws IOException {
        ModelProto m = TinyBertOnnx.withoutInitializer(TinyBertOnnx.standard().build(), "encoder.layer.0.output.LayerNorm.bias");
        assertFails(m, "has no initializer named 'encoder.layer.0.output.LayerNorm.bias'");
    }

    @Test
    void aMissingWordEmbeddingSaysItIsNotBert() throws IOException {
        ModelProto m = TinyBertOnnx.withoutInitializer(TinyBertOnnx.standard().build(), "embeddings.word_embeddings.weight");
        assertFails(m, "embeddings.word_embeddings.weight", "not a BERT encoder");
    }

    @Test
    void aMatMulWhoseWeightIsNotAnInitializerIsNamed() throws IOException {
        ModelProto base = TinyBertOnnx.standard().build();
        String w = TinyBertOnnx.matMulWeight(base, "/encoder/layer.0/attention/self/key/MatMul");
        assertFails(TinyBertOnnx.withoutInitializer(base, w), "/encoder/layer.0/attention/self/key/MatMul",
                "encoder.layer.0.attention.self.key.weight", "from an initializer");
    }

    @Test
    void aWrongShapeIsNamed() throws IOException {
        ModelProto base = TinyBertOnnx.standard().build();
        String w = TinyBertOnnx.matMulWeight(base, "/encoder/layer.1/output/dense/MatMul");
        // Same number of values, transposed dims: [HIDDEN, INTERMEDIATE] where [INTERMEDIATE, HIDDEN] belongs.
        ModelProto m = TinyBertOnnx.withInitializer(base, w, t -> t.clearDims().addDims(HIDDEN).addDims(TinyBertOnnx.INTERMEDIATE));
        assertFails(m, "encoder.layer.1.output.dense");
    }

    @Test
    void rawDataOfTheWrongLengthIsNamed() throws IOException {
        ModelProto m = TinyBertOnnx.withInitializer(TinyBertOnnx.standard().build(), "embeddings.LayerNorm.weight",
                t -> t.setRawData(t.getRawData().substring(0, 12)));
        assertFails(m, "'embeddings.LayerNorm.weight'", "12 bytes of raw_data", "need 32");
    }

    @Test
    void externalDataIsRefused() throws IOException {
        ModelProto m = TinyBertOnnx.withInitializer(TinyBertOnnx.standard().build(), "embeddings.word_embeddings.weight",
                t -> t.clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
                        .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("weights.bin")));
        assertFails(m, "'embeddings.word_embeddings.weight'", "external file", "weights.bin");
    }

    @ParameterizedTest
    @CsvSource({"11, DOUBLE (11)", "10, FLOAT16 (10)", "16, BFLOAT16 (16)", "99, number 99"})
    void aNonFloatWeightIsRefused(int dataType, String named) throws IOException {
        ModelProto m = TinyBertOnnx.withInitializer(TinyBertOnnx.standard().build(), "encoder.layer.0.attention.self.query.bias",
                t -> t.setDataType(dataType));
        assertFails(m, "'encoder.layer.0.attention.self.query.bias'", named, "FLOAT (float32)");
    }

    @Test
    void inconsistentLayerNormEpsilonsAreRefused() throws IOException {
        TinyBertOnnx tiny = TinyBertOnnx.standard();
        ModelProto m = tiny.build();
        var g = m.getGraph().toBuilder();
        for (int i = 0; i < g.getNodeCount(); i++) {
            if (g.getNode(i).getName().equals("/encoder/layer.1/output/LayerNorm/Constant_1")) {
                var node = g.getNode(i).toBuilder();
                var attr = node.getAttribute(0).toBuilder();
                attr.setT(attr.getT().toBuilder().setRawData(com.google.protobuf.ByteString.copyFrom(
                        java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(0, 1e-6f))));
                g.setNode(i, node.setAttribute(0, attr));
            }
        }
        assertFails(m.toBuilder().setGraph(g).build(), "LayerNorm epsilons", "1.0E-6", "1.0E-5");
    }

    @Test
    void aMissingTokenizerFileIsNamed() throws IOException {
        Path file = TinyBertOnnx.write(TinyBertOnnx.standard().build(), dir.resolve("tiny.onnx"));
        Path missing = dir.resolve("no-tokenizer.json");
        try (TensorArena parent = TensorArena.root("tok")) {
            assertThatThrownBy(() -> OnnxBertImporter.load(file, missing, parent))
                    .isInstanceOf(NoSuchFileException.class).hasMessageContaining(missing.toString());
            assertThat(parent.allocatedBytes()).isZero();
        }
    }

    @Test
    void aMissingModelFileIsNamed() throws IOException {
        Path missing = dir.resolve("nothing-here.onnx");
        try (TensorArena parent = TensorArena.root("missing")) {
            assertThatThrownBy(() -> OnnxBertImporter.load(missing, tokenizer(), parent))
                    .isInstanceOf(NoSuchFileException.class).hasMessageContaining(missing.toString());
            assertThat(parent.allocatedBytes()).isZero();
        }
    }

    /** Every decomposed LayerNorm's epsilon constant set to {@code eps}. */
    private static ModelProto withEpsilon(ModelProto m, float eps) {
        var g = m.getGraph().toBuilder();
        for (int i = 0; i < g.getNodeCount(); i++) {
            if (g.getNode(i).getName().endsWith("LayerNorm/Constant_1")) {
                var node = g.getNode(i).toBuilder();
                var attr = node.getAttribute(0).toBuilder();
                attr.setT(attr.getT().toBuilder().setRawData(com.google.protobuf.ByteString.copyFrom(
                        java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(0, eps))));
                g.setNode(i, node.setAttribute(0, attr));
            }
        }
        return m.toBuilder().setGraph(g).build();
    }

    @ParameterizedTest(name = "epsilon {0}")
    @CsvSource({"Infinity", "NaN", "0.5", "0"})
    void anEpsilonOutsideTheSaneRangeIsRefused(float eps) throws IOException {
        assertFails(withEpsilon(TinyBertOnnx.standard().build(), eps), "LayerNorm epsilon " + eps, "1e-12 to 1e-5");
    }

    @ParameterizedTest(name = "{1} in {0}")
    @CsvSource({"encoder.layer.1.output.LayerNorm.weight, Infinity, 3", "embeddings.word_embeddings.weight, NaN, 40",
            "encoder.layer.0.attention.output.LayerNorm.bias, -Infinity, 0"})
    void aNonFiniteInitializerIsNamedWithItsFirstBadElement(String initializer, float value, int index) throws IOException {
        Path file = TinyBertOnnx.write(TinyBertOnnx.standard().build(), dir.resolve("nan.onnx"));
        long offset;
        try (TensorArena arena = TensorArena.root("find")) {
            offset = OnnxModelFile.open(file, arena).rawDataOffset(initializer).orElseThrow();
        }
        dev.graft.core.testing.CorruptWeights.setFloatAt(file, offset + 4L * index, value);
        try (TensorArena parent = TensorArena.root("nan")) {
            assertThatThrownBy(() -> OnnxBertImporter.load(file, tokenizer(), parent))
                    .isInstanceOfSatisfying(dev.graft.core.io.NonFiniteWeightException.class, e -> {
                        assertThat(e.file()).isEqualTo(file);
                        assertThat(e.tensor()).isEqualTo(initializer);
                        assertThat(e.index()).isEqualTo(index);
                    })
                    .hasMessageStartingWith(file + ": tensor '" + initializer + "' ")
                    .hasMessageContaining(" holds " + value + " at index " + index);
            assertThat(parent.allocatedBytes()).as("nothing stays mapped after a failure").isZero();
        }
    }

    @Test
    void aNonFiniteMatMulWeightIsNamedByItsInitializer() throws IOException {
        ModelProto model = TinyBertOnnx.standard().build();
        String weight = TinyBertOnnx.matMulWeight(model, "/encoder/layer.1/intermediate/dense/MatMul");
        Path file = TinyBertOnnx.write(model, dir.resolve("nan-matmul.onnx"));
        long offset;
        try (TensorArena arena = TensorArena.root("find")) {
            offset = OnnxModelFile.open(file, arena).rawDataOffset(weight).orElseThrow();
        }
        dev.graft.core.testing.CorruptWeights.setFloatAt(file, offset + 4L * 17, Float.NaN);
        try (TensorArena parent = TensorArena.root("nan")) {
            assertThatThrownBy(() -> OnnxBertImporter.load(file, tokenizer(), parent))
                    .isInstanceOf(dev.graft.core.io.NonFiniteWeightException.class)
                    .hasMessageContaining("tensor '" + weight + "' [8, 16] holds NaN at index 17 (element [1, 1])");
        }
    }
}
