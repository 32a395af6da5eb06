package dev.graft.jmh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.tensor.TensorArena;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The benchmark's inputs have the shapes it claims, and both of its contestants compute the same thing. */
class BackboneWorkloadTest {
    private static BertBackbone bert;
    private static TensorArena arena;

    @BeforeAll
    static void open() throws Exception {
        bert = Backbones.builder(BackboneBenchmark.MODEL).optThreads(1).optMaxLength(128).build();
        arena = TensorArena.root("workload-test");
    }

    @AfterAll
    static void close() {
        arena.close();
        assertThat(arena.allocatedBytes()).isZero();
        bert.close();
    }

    @Test
    void batchOf32IsThirtyTwoRealTextsOfExactly128Tokens() throws Exception {
        List<String> texts = BackboneWorkload.texts(bert, BackboneWorkload.Shape.B32_T128);
        TokenBatch batch = BackboneWorkload.tokenize(bert, texts, BackboneWorkload.Shape.B32_T128, arena);

        assertThat(texts).hasSize(32).doesNotHaveDuplicates();
        assertThat(batch.batchSize()).isEqualTo(32);
        assertThat(batch.tokens()).isEqualTo(128);
        assertThat(batch.attentionMask().toIntArray()).containsOnly(1);
        List<String> sentences = BackboneWorkload.sentences();
        assertThat(texts.getFirst()).startsWith(sentences.get(0) + " " + sentences.get(1));
        assertThat(BackboneWorkload.texts(bert, BackboneWorkload.Shape.B32_T128)).isEqualTo(texts);
    }

    @Test
    void batchOf1IsOneStsSentenceOf16TokensWithoutTruncation() throws Exception {
        List<String> texts = BackboneWorkload.texts(bert, BackboneWorkload.Shape.B1_T16);
        TokenBatch batch = BackboneWorkload.tokenize(bert, texts, BackboneWorkload.Shape.B1_T16, arena);

        assertThat(texts).hasSize(1);
        assertThat(BackboneWorkload.sentences()).contains(texts.getFirst());
        assertThat(batch.tokens()).isEqualTo(16);
        assertThat(batch.lengths()).containsExactly(16);
    }

    @Test
    void graftAndOnnxRuntimeReturnTheSameHiddenStatesForTheTimedBatch() throws Exception {
        List<String> texts = BackboneWorkload.texts(bert, BackboneWorkload.Shape.B1_T16);
        TokenBatch batch = BackboneWorkload.tokenize(bert, texts, BackboneWorkload.Shape.B1_T16, arena);
        float[] graft;
        try (TensorArena call = arena.child("encode")) {
            graft = bert.encode(batch, call, false).lastHidden().toFloatArray();
        }
        float[] ort;
        try (OrtEncoder encoder = new OrtEncoder(bert.checkpoint().weightsFile(), 1)) {
            Map<String, OnnxTensor> inputs = encoder.prepare(batch);
            try (OrtSession.Result result = encoder.run(inputs)) {
                FloatBuffer buffer = ((OnnxTensor) result.get(0)).getFloatBuffer();
                ort = new float[buffer.remaining()];
                buffer.get(ort);
            } finally {
                inputs.values().forEach(OnnxTensor::close);
            }
        }

        assertThat(ort).hasSize(16 * bert.config().hiddenSize()).hasSameSizeAs(graft);
        for (int i = 0; i < ort.length; i++) {
            assertThat(graft[i]).as("element %d", i).isCloseTo(ort[i], within(1e-4f));
        }
    }
}
