package dev.graft.backbones.bert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.attention.dense.DenseAttention;
import dev.graft.backbones.Backbones;
import dev.graft.backbones.huggingface.HfBertDirectory;
import dev.graft.backbones.huggingface.HfTestModels;
import dev.graft.backbones.testing.HostileModels;
import dev.graft.core.backbone.Pooling;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.kernels.ScalarKernels;
import dev.graft.core.parallel.ComputePool;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.NonFiniteOutputException;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The backbone as users see it: loading, encoding on both kernel sets, conversion, and every bad-input path. */
class BertBackboneTest {
    static final String MINILM = "all-minilm-l6-v2";

    @TempDir
    Path tmp;

    @Test
    void vectorAndScalarKernelsGiveTheSameHiddenStatesAndEveryLayerIsExposed() {
        BertConfig c = HfTestModels.TINY;
        try (TensorArena arena = TensorArena.root("tiny");
             Kernels vector = Kernels.create(2);
             Kernels scalar = new ScalarKernels(new ComputePool(1))) {
            BertWeights w = HfTestModels.randomWeights(arena, c, false, 7);
            TokenBatch batch = batch(arena, new int[][] {{2, 5, 9, 3}, {2, 7, 3}}, c.vocabSize());
            EncoderOutput v = new BertEncoder(w, vector, new DenseAttention(vector)).encode(batch, arena, true);
            EncoderOutput s = new BertEncoder(w, scalar, new DenseAttention(scalar)).encode(batch, arena, false);
            assertThat(maxAbsDiff(v.lastHidden(), s.lastHidden())).isLessThan(1e-4);
            assertThat(v.lastHidden().shape()).containsExactly(2, 4, c.hiddenSize());
            assertThat(v.layers()).hasSize(c.numLayers() + 1);
            assertThat(v.layers().getLast().toFloatArray()).isEqualTo(v.lastHidden().toFloatArray());
            assertThat(maxAbsDiff(v.layers().get(0), v.layers().get(1))).as("layer 1 changes the embeddings").isGreaterThan(1e-3);
            assertThat(s.layers()).isEmpty();
        }
    }

    /**
     * Pre-packed weights (the backbone's default) give the same hidden states as the weights read in place, for both
     * weight layouts, on the vector kernels (hidden 64: Q/K/V fused into one GEMM; hidden 16: packed separately) and
     * the scalar ones (row-major copies); the packed copies live in the given arena, which ends at 0 bytes.
     */
    @Test
    void prepackedWeightsGiveTheSameHiddenStatesAsWeightsReadInPlace() {
        try (TensorArena arena = TensorArena.root("prepack");
             Kernels vector = Kernels.create(2);
             Kernels scalar = new ScalarKernels(new ComputePool(1))) {
            for (BertConfig c : List.of(HfTestModels.TINY, new BertConfig(50, 64, 2, 4, 96, 20, 2, 1e-12f))) {
                for (boolean outIn : new boolean[] {false, true}) {
                    BertWeights w = HfTestModels.randomWeights(arena, c, outIn, 11);
                    TokenBatch batch = batch(arena, new int[][] {{2, 5, 9, 3, 4, 8}, {2, 7, 3}}, c.vocabSize());
                    for (Kernels k : List.of(vector, scalar)) {
                        List<dev.graft.attention.AttentionKernel> att =
                                java.util.Collections.nCopies(c.numLayers(), new DenseAttention(k));
                        EncoderOutput plain = new BertEncoder(w, k, att).encode(batch, arena, false);
                        try (TensorArena packs = arena.child("packed")) {
                            BertEncoder enc = new BertEncoder(w, k, att, packs);
                            assertThat(enc.prepacked()).isTrue();
                            assertThat(packs.allocatedBytes()).as("one copy of the projection matrices")
                                    .isGreaterThanOrEqualTo(4L * c.numLayers() * (4L * c.hiddenSize() * c.hiddenSize()
                                            + 2L * c.hiddenSize() * c.intermediateSize()));
                            EncoderOutput packed = enc.encode(batch, arena, false);
                            assertThat(maxAbsDiff(packed.lastHidden(), plain.lastHidden()))
                                    .as("hidden %d, outIn %s, %s", c.hiddenSize(), outIn, k.name()).isLessThan(1e-4);
                        }
                    }
                }
            }
        }
    }

    @Test
    void theEncoderRejectsASequenceLongerThanThePositionTableAndIdsOutsideTheVocabulary() {
        BertConfig c = HfTestModels.TINY;
        try (TensorArena arena = TensorArena.root("tiny"); Kernels k = Kernels.create(1)) {
            BertEncoder enc = new BertEncoder(HfTestModels.randomWeights(arena, c, true, 1), k, new DenseAttention(k));
            int[] tooLong = new int[c.maxPositions() + 1];
            assertThatThrownBy(() -> enc.encode(batch(arena, new int[][] {tooLong}, c.vocabSize()), arena))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(c.maxPositions() + " positions");
            assertThatThrownBy(() -> enc.encode(batch(arena, new int[][] {{2, c.vocabSize(), 3}}, Integer.MAX_VALUE), arena))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("token id " + c.vocabSize()).hasMessageContaining("position 1");
        }
    }

    @Test
    void aTokenizerWhoseVocabularyDoesNotMatchTheEmbeddingsIsRejectedNamingTheFile() throws IOException {
        Path dir = tmp.resolve("tiny-with-wrong-tokenizer");
        Files.createDirectories(tmp.resolve("src"));
        try (TensorArena arena = TensorArena.root("tiny");
             BertCheckpoint tiny = HfTestModels.checkpoint(tmp.resolve("src"),
                     HfTestModels.randomWeights(arena.child("w"), HfTestModels.TINY, true, 3), arena.child("ck"));
             BertCheckpoint minilm = Backbones.load(MINILM)) {
            HfBertDirectory.write(tiny, dir);
            Files.copy(minilm.tokenizerFile(), dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
        }
        assertThatThrownBy(() -> Backbones.open(dir.toString()))
                .hasMessageContaining("tokenizer.json")
                .hasMessageContaining("30522")
                .hasMessageContaining("50");
    }

    @Test
    void anInputLongerThanThePositionTableWithTruncationOffIsRejectedNamingTheLimit() throws IOException {
        String longText = "word ".repeat(600);
        try (BertBackbone bert = Backbones.builder(MINILM).optThreads(1).optTruncation(false).build()) {
            assertThatThrownBy(() -> bert.embed(List.of("short", longText), Pooling.MEAN, false))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("input 1")
                    .hasMessageContaining("512");
        }
        try (BertBackbone bert = Backbones.builder(MINILM).optThreads(1).build()) {
            assertThat(bert.embed(List.of(longText), Pooling.MEAN, false)[0]).hasSize(384); // truncated by default
        }
    }

    @Test
    void emptyBatchesUnknownModelsAndImpossibleSettingsGiveClearErrors() throws IOException {
        try (BertBackbone bert = Backbones.builder(MINILM).optThreads(1).build()) {
            assertThatThrownBy(() -> bert.embed(List.of(), Pooling.MEAN, false))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
        }
        assertThatThrownBy(() -> Backbones.open("no-such-model"))
                .hasMessageContaining("no-such-model").hasMessageContaining(MINILM);
        assertThatThrownBy(() -> Backbones.builder(MINILM).optMaxLength(513).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("512");
        assertThatThrownBy(() -> BertBackbone.builder().build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("setCheckpoint");
    }

    @Test
    void backboneWeightsAreReadOnly() throws IOException {
        try (BertBackbone bert = Backbones.builder(MINILM).optThreads(1).build()) {
            Tensor wq = bert.checkpoint().weights().layers().get(0).query().weight();
            assertThat(wq.isReadOnly()).isTrue();
            assertThatThrownBy(() -> wq.setFloat(0, 1f)).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> wq.segment().set(java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, 1f))
                    .as("even raw memory access refuses").hasMessageContaining("read-only");
            Tensor emb = bert.checkpoint().weights().wordEmbeddings();
            assertThatThrownBy(() -> bert.kernels().add(4, emb.segment(), 0, emb.segment(), 0, emb.segment(), 0))
                    .as("a kernel cannot write into frozen weights either")
                    .isInstanceOf(RuntimeException.class);
        }
    }

    @Test
    void aHuggingFaceDirectoryConvertedFromTheEmbeddedModelGivesTheSameEmbeddings() throws IOException {
        Path dir = tmp.resolve("minilm-hf");
        List<String> texts = List.of("A man is playing a guitar.", "Three dogs run across a snowy field in the morning.");
        float[][] fromOnnx;
        try (BertBackbone bert = Backbones.builder(MINILM).optThreads(2).build()) {
            fromOnnx = bert.embed(texts, Pooling.MEAN, true);
            HfBertDirectory.write(bert.checkpoint(), dir);
        }
        assertThat(dir.resolve("config.json")).exists();
        assertThat(dir.resolve("model.safetensors")).exists();
        try (BertBackbone bert = Backbones.builder(dir.toString()).optThreads(2).build()) {
            assertThat(bert.checkpoint().weights().layers().get(0).query().outIn()).isTrue();
            float[][] fromHf = bert.embed(texts, Pooling.MEAN, true);
            for (int i = 0; i < texts.size(); i++) {
                for (int c = 0; c < fromOnnx[i].length; c++) {
                    assertThat((double) fromHf[i][c]).isCloseTo(fromOnnx[i][c], org.assertj.core.api.Assertions.within(1e-5));
                }
            }
        }
    }

    private static TokenBatch batch(TensorArena arena, int[][] seqs, int unusedVocab) {
        int t = 0;
        for (int[] s : seqs) {
            t = Math.max(t, s.length);
        }
        Tensor ids = arena.allocate(DType.I32, seqs.length, t);
        Tensor mask = arena.allocate(DType.I32, seqs.length, t);
        Tensor types = arena.allocate(DType.I32, seqs.length, t);
        int[] lengths = new int[seqs.length];
        for (int i = 0; i < seqs.length; i++) {
            for (int j = 0; j < seqs[i].length; j++) {
                ids.setInt((long) i * t + j, seqs[i][j]);
                mask.setInt((long) i * t + j, 1);
            }
            lengths[i] = seqs[i].length;
        }
        return new TokenBatch(ids, mask, types, lengths);
    }

    private static double maxAbsDiff(Tensor a, Tensor b) {
        float[] x = a.toFloatArray();
        float[] y = b.toFloatArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            m = Math.max(m, Math.abs(x[i] - y[i]));
        }
        return m;
    }

    /**
     * A copy of the real model whose weights are all finite but overflow on one word: the texts without it embed as
     * before, and a call with it fails naming that text (its index in the call and its start), returning nothing.
     */
    @Test
    void anEmbeddingThatOverflowsIsReportedWithItsTextInsteadOfReturned() throws IOException {
        Path dir = HostileModels.miniLmDirectory(tmp.resolve("minilm-overflowing"));
        HostileModels.overflowOn(dir, "card");
        try (BertBackbone bert = Backbones.builder(dir.toString()).optThreads(2).build();
             BertBackbone original = Backbones.builder(MINILM).optThreads(2).build()) {
            List<String> fine = List.of("the weather is nice today", "a quiet morning by the lake");
            float[][] e = bert.embed(fine, Pooling.MEAN, true);
            float[][] reference = original.embed(fine, Pooling.MEAN, true);
            for (int i = 0; i < e.length; i++) {
                assertThat(e[i]).as("a text without the word").containsExactly(reference[i], org.assertj.core.data.Offset.offset(1e-5f));
            }
            for (boolean normalize : new boolean[] {false, true}) {
                try (TensorArena arena = TensorArena.root("overflow")) {
                    assertThatThrownBy(() -> bert.embed(List.of("the weather is nice today", "I lost my card yesterday", "card"),
                            Pooling.MEAN, normalize, arena))
                            .isInstanceOfSatisfying(NonFiniteOutputException.class, x -> {
                                assertThat(x.input()).isEqualTo(1);
                                assertThat(x.text()).isEqualTo("I lost my card yesterday");
                                assertThat(x.value()).isNaN();
                            })
                            .hasMessageStartingWith("the embedding of input 1 (\"I lost my card yesterday\") is NaN");
                    assertThat(arena.allocatedBytes()).as("no embedding is returned").isZero();
                }
            }
        }
    }

    /** A NaN written into a copy of the real {@code model.safetensors} is refused when the directory is loaded. */
    @Test
    void aNaNInACopyOfTheRealModelIsRefusedAtLoad() throws IOException {
        Path dir = HostileModels.miniLmDirectory(tmp.resolve("minilm-nan"));
        Path weights = dir.resolve("model.safetensors");
        dev.graft.core.testing.CorruptWeights.setFloat(weights, "encoder.layer.3.attention.self.value.weight", 384L * 7 + 11,
                Float.NaN);
        assertThatThrownBy(() -> Backbones.load(dir.toString()))
                .isInstanceOf(dev.graft.core.io.NonFiniteWeightException.class)
                .hasMessage(weights + ": tensor 'encoder.layer.3.attention.self.value.weight' [384, 384] holds NaN at index "
                        + (384 * 7 + 11) + " (element [7, 11]); the weights are corrupt or come from a diverged training run,"
                        + " and every result computed from them would be NaN");
    }
}
