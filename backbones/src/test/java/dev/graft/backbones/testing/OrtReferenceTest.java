package dev.graft.backbones.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.backbones.eval.StsBenchmark;
import dev.graft.backbones.eval.StsPair;
import dev.graft.backbones.tokenizer.BertTokenizer;
import dev.graft.backbones.tokenizer.TokenizerSettings;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Smoke test of the ONNX Runtime reference on real sentences: shapes, and padding that does not leak into real tokens. */
class OrtReferenceTest {
    static BertTokenizer tokenizer;
    static OrtReference ort;

    @BeforeAll
    static void open() {
        tokenizer = BertTokenizer.fromJson(ModelResources.MINILM_TOKENIZER, ModelResources.bytes(ModelResources.MINILM_TOKENIZER),
                TokenizerSettings.forModel(ModelResources.VOCAB_SIZE, ModelResources.MAX_POSITIONS));
        ort = OrtReference.openResource(ModelResources.MINILM_ONNX, 2);
    }

    @AfterAll
    static void close() {
        ort.close();
        tokenizer.close();
    }

    /** 8 sentences from sts-test at evenly spaced length quantiles: short captions to long forum posts. */
    static List<String> mixedLengthSentences() throws IOException {
        List<String> all = StsBenchmark.read(ModelResources.shared("datasets/stsbenchmark/sts-test.csv")).stream()
                .map(StsPair::sentence1).distinct().sorted(Comparator.comparingInt(String::length)).toList();
        List<String> picked = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            picked.add(all.get(i * (all.size() - 1) / 7));
        }
        return picked;
    }

    @Test
    void declaresTheThreeBertInputsAndA384WideOutput() throws Exception {
        assertThat(ort.inputNames()).containsExactlyInAnyOrder("input_ids", "attention_mask", "token_type_ids");
        assertThat(ort.hiddenSize()).isEqualTo(384);
    }

    @Test
    void aSentenceAloneMatchesItselfInsideAPaddedBatch() throws IOException {
        List<String> sentences = mixedLengthSentences();
        try (TensorArena arena = TensorArena.root("ort-parity")) {
            TokenBatch batch = tokenizer.encode(sentences, arena);
            assertThat(batch.lengths()).doesNotHaveDuplicates(); // really mixed lengths
            float[][][] together = ort.lastHiddenState(batch);
            assertThat(together.length).isEqualTo(8);
            assertThat(together[0].length).isEqualTo(batch.tokens());
            assertThat(together[0][0].length).isEqualTo(384);

            for (int i = 0; i < sentences.size(); i++) {
                TokenBatch single = tokenizer.encode(List.of(sentences.get(i)), arena);
                assertThat(single.tokens()).isEqualTo(batch.lengths()[i]);
                float[][] alone = ort.lastHiddenState(single)[0];
                float maxDiff = 0;
                for (int t = 0; t < alone.length; t++) {
                    for (int h = 0; h < 384; h++) {
                        assertThat(Float.isFinite(together[i][t][h])).isTrue();
                        maxDiff = Math.max(maxDiff, Math.abs(alone[t][h] - together[i][t][h]));
                    }
                }
                System.out.printf("sentence %d: %d of %d tokens, max |alone - batched| = %.3g%n", i, alone.length, batch.tokens(), maxDiff);
                assertThat(maxDiff).as("sentence %d (%d tokens)", i, alone.length).isLessThan(1e-4f);
            }
        }
    }

    @Test
    void preparedInputsCanBeRunRepeatedlyWithTheSameResult() {
        try (TensorArena arena = TensorArena.root("ort-prepared");
             OrtReference.Inputs inputs = ort.prepare(tokenizer.encode(List.of("hello world", "a b c d e f"), arena))) {
            float[] first = ort.run(inputs);
            assertThat(first).hasSize(2 * 8 * 384);
            assertThat(ort.run(inputs)).containsExactly(first);
        }
    }

    @Test
    void garbageModelBytesFailWithTheSourceName() {
        assertThatThrownBy(() -> OrtReference.fromBytes("not-a-model.onnx", "hello".getBytes(StandardCharsets.UTF_8), 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not-a-model.onnx");
        assertThatThrownBy(() -> OrtReference.fromBytes("x.onnx", new byte[0], 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("intraOpThreads");
    }
}
