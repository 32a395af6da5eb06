package dev.graft.backbones.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.CodedInputStream;
import dev.graft.backbones.bert.BertCheckpoint;
import dev.graft.backbones.bert.BertConfig;
import dev.graft.backbones.bert.BertLayerWeights;
import dev.graft.backbones.bert.BertWeights;
import dev.graft.backbones.bert.Linear;
import dev.graft.backbones.models.EmbeddedModels;
import dev.graft.backbones.models.ModelCache;
import dev.graft.backbones.onnx.proto.ModelProto;
import dev.graft.backbones.onnx.proto.NodeProto;
import dev.graft.backbones.onnx.proto.TensorProto;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Imports the three real models shipped in Maven jars (extracted to the default model cache) and checks their
 * configs, sizes, read-only mapping and values against an independent full parse of the same file.
 */
class OnnxBertImporterRealModelsTest {

    private static EmbeddedModels.ModelFiles files(String name) throws IOException {
        return EmbeddedModels.extract(EmbeddedModels.get(name), ModelCache.atDefaultLocation());
    }

    /** Parameters of a BERT encoder without pooler, computed from the architecture, not from the loaded tensors. */
    private static long expectedParameters(BertConfig c) {
        long h = c.hiddenSize();
        long i = c.intermediateSize();
        long embeddings = (c.vocabSize() + c.maxPositions() + c.typeVocabSize()) * h + 2 * h;
        long layer = 4 * (h * h + h) + (h * i + i) + (i * h + h) + 4 * h;
        return embeddings + c.numLayers() * layer;
    }

    @ParameterizedTest
    @CsvSource({"all-minilm-l6-v2, 6, 22500000, 22600000", "bge-small-en-v15, 12, 33150000, 33250000",
            "e5-small-v2, 12, 33150000, 33250000"})
    void importsConfigAndWeightsOfTheRealModels(String name, int layers, long minParams, long maxParams) throws IOException {
        EmbeddedModels.ModelFiles f = files(name);
        try (TensorArena parent = TensorArena.root("test " + name)) {
            try (BertCheckpoint cp = OnnxBertImporter.load(name, f.onnx(), f.tokenizer(), parent)) {
                BertConfig c = cp.config();
                assertThat(c).isEqualTo(new BertConfig(30522, 384, layers, 12, 1536, 512, 2, 1e-12f));
                assertThat(c.headSize()).isEqualTo(32);
                long params = cp.weights().parameterCount();
                assertThat(params).isEqualTo(expectedParameters(c)).isBetween(minParams, maxParams);
                // Only the mapping is accounted: no weight was copied into Arrow memory.
                assertThat(cp.arena().allocatedBytes()).isEqualTo(Files.size(f.onnx()));
                assertThat(parent.allocatedBytes()).isEqualTo(Files.size(f.onnx()));
                assertThat(cp.tokenizerFile()).isEqualTo(f.tokenizer());
                assertReadOnlyViewsOfTheMapping(cp.weights(), f.onnx(), cp);
            }
            assertThat(parent.allocatedBytes()).isZero();
        }
    }

    private static void assertReadOnlyViewsOfTheMapping(BertWeights w, Path onnx, BertCheckpoint cp) throws IOException {
        List<Tensor> all = new ArrayList<>(List.of(w.wordEmbeddings(), w.positionEmbeddings(), w.tokenTypeEmbeddings(),
                w.embeddingNorm().gamma(), w.embeddingNorm().beta()));
        for (BertLayerWeights l : w.layers()) {
            for (Linear lin : List.of(l.query(), l.key(), l.value(), l.attentionOutput(), l.intermediate(), l.output())) {
                assertThat(lin.outIn()).isFalse();
                all.add(lin.weight());
                all.add(lin.bias());
            }
            all.addAll(List.of(l.attentionNorm().gamma(), l.attentionNorm().beta(), l.outputNorm().gamma(), l.outputNorm().beta()));
        }
        long size = Files.size(onnx);
        for (Tensor t : all) {
            assertThat(t.isReadOnly()).isTrue();
            assertThat(t.segment().isReadOnly()).isTrue();
            assertThat(t.arena()).isSameAs(cp.arena());
            assertThatThrownBy(() -> t.setFloat(0, 1f)).isInstanceOf(UnsupportedOperationException.class);
            assertThat(t.bufferOffset()).isBetween(0L, size - t.byteSize());
        }
    }

    /** A view's values equal the floats protobuf-java decodes from the same initializer's raw_data ByteString. */
    @ParameterizedTest
    @CsvSource({"all-minilm-l6-v2", "bge-small-en-v15", "e5-small-v2"})
    void viewsHoldTheValuesProtobufDecodes(String name) throws IOException {
        EmbeddedModels.ModelFiles f = files(name);
        ModelProto full;
        try (InputStream in = Files.newInputStream(f.onnx())) {
            CodedInputStream cis = CodedInputStream.newInstance(in);
            cis.setSizeLimit(Integer.MAX_VALUE);
            full = ModelProto.parseFrom(cis);
        }
        Map<String, TensorProto> inits = new HashMap<>();
        full.getGraph().getInitializerList().forEach(t -> inits.put(t.getName(), t));
        Map<String, String> matMulWeight = new HashMap<>();
        for (NodeProto n : full.getGraph().getNodeList()) {
            if (n.getOpType().equals("MatMul") && inits.containsKey(n.getInput(1))) {
                matMulWeight.put(n.getName(), n.getInput(1));
            }
        }
        int last = full.getGraph().getNodeList().stream().filter(n -> n.getName().matches("/encoder/layer\\.\\d+/output/dense/MatMul"))
                .mapToInt(n -> Integer.parseInt(n.getName().replaceAll("\\D+", " ").trim())).max().orElseThrow();

        try (TensorArena arena = TensorArena.root("values " + name)) {
            BertWeights w = OnnxBertImporter.read(f.onnx(), arena).weights();
            BertLayerWeights first = w.layers().getFirst();
            BertLayerWeights lastLayer = w.layers().getLast();
            assertSameValues(w.wordEmbeddings(), inits.get("embeddings.word_embeddings.weight"));
            assertSameValues(w.positionEmbeddings(), inits.get("embeddings.position_embeddings.weight"));
            assertSameValues(w.embeddingNorm().gamma(), inits.get("embeddings.LayerNorm.weight"));
            assertSameValues(first.query().weight(), inits.get(matMulWeight.get("/encoder/layer.0/attention/self/query/MatMul")));
            assertSameValues(first.value().bias(), inits.get("encoder.layer.0.attention.self.value.bias"));
            assertSameValues(lastLayer.intermediate().weight(),
                    inits.get(matMulWeight.get("/encoder/layer." + last + "/intermediate/dense/MatMul")));
            assertSameValues(lastLayer.output().weight(), inits.get(matMulWeight.get("/encoder/layer." + last + "/output/dense/MatMul")));
            assertSameValues(lastLayer.outputNorm().beta(), inits.get("encoder.layer." + last + ".output.LayerNorm.bias"));
            // The key weight is not the query weight: the MatMul nodes, not file order, decide.
            assertThat(first.key().weight().getFloat(0)).isNotEqualTo(first.query().weight().getFloat(0));
        }
    }

    private static void assertSameValues(Tensor view, TensorProto proto) {
        assertThat(proto).as("initializer in the full parse").isNotNull();
        assertThat(view.shape()).containsExactly(proto.getDimsList().stream().mapToLong(Long::longValue).toArray());
        FloatBuffer expected = proto.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        assertThat((long) expected.remaining()).isEqualTo(view.elementCount());
        SplittableRandom r = new SplittableRandom(7);
        for (long i : new long[] {0, 1, view.elementCount() / 2, view.elementCount() - 1}) {
            assertThat(view.getFloat(i)).isEqualTo(expected.get((int) i));
        }
        for (int k = 0; k < 200; k++) {
            int i = r.nextInt(expected.remaining());
            assertThat(view.getFloat(i)).as("%s[%d]", proto.getName(), i).isEqualTo(expected.get(i));
        }
        assertThat(view.getFloat(view.elementCount() - 1)).isNotNaN();
    }

    /**
     * The weights stay in the mapping: importing allocates a few MB of heap (graph metadata), not the file's size.
     * The bound does not depend on the JIT (it holds under {@code -Xint}, with no escape analysis at all).
     */
    @ParameterizedTest
    @CsvSource({"all-minilm-l6-v2", "bge-small-en-v15"})
    void importingAllocatesFarLessHeapThanTheWeights(String name) throws IOException {
        Path onnx = files(name).onnx();
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (TensorArena arena = TensorArena.root("heap " + name)) {
            long before = threads.getCurrentThreadAllocatedBytes();
            OnnxBertImporter.read(onnx, arena);
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertThat(allocated).as("heap bytes allocated while importing a %d-byte file", Files.size(onnx))
                    .isLessThan(Files.size(onnx) / 10);
        }
    }

    @ParameterizedTest
    @CsvSource({"all-minilm-l6-v2", "bge-small-en-v15", "e5-small-v2"})
    void saysWhereHeadsAndEpsilonCameFrom(String name) throws IOException {
        try (TensorArena arena = TensorArena.root("evidence " + name)) {
            OnnxBertImporter.Imported imported = OnnxBertImporter.read(files(name).onnx(), arena);
            assertThat(imported.numHeadsEvidence()).contains("Reshape node '/encoder/layer.0/attention/self/").contains("12 heads of 32");
            assertThat(imported.layerNormEpsEvidence()).contains("decomposed LayerNorms").startsWith("1.0E-12");
        }
    }

    @ParameterizedTest
    @CsvSource({"all-minilm-l6-v2"})
    void aCopyCutInHalfFailsNamingTheFile(String name, @org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Path whole = files(name).onnx();
        Path half = dir.resolve("half.onnx");
        try (var in = Files.newInputStream(whole); var out = Files.newOutputStream(half)) {
            out.write(in.readNBytes((int) (Files.size(whole) / 2)));
        }
        try (TensorArena arena = TensorArena.root("half")) {
            assertThatThrownBy(() -> OnnxBertImporter.read(half, arena))
                    .isInstanceOf(OnnxFormatException.class)
                    .hasMessageStartingWith(half + ": ")
                    .hasMessageContaining("truncated");
        }
    }
}
