package dev.graft.backbones.bert;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.backbones.Backbones;
import dev.graft.backbones.eval.StsBenchmark;
import dev.graft.backbones.eval.StsPair;
import dev.graft.backbones.testing.ModelResources;
import dev.graft.backbones.testing.OrtReference;
import dev.graft.core.backbone.Pooling;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Graft's encoder against ONNX Runtime running the very same .onnx file, on real sentences in batches of mixed
 * lengths: every real token's hidden state within 1e-4 absolute (padding positions within 1e-3), and mean-pooled sentence
 * embeddings with cosine ≥ 0.99999 — for all three embedded models.
 */
class BertParityTest {
    static final double HIDDEN_TOLERANCE = 1e-4;
    /**
     * Padding positions (the untrained [PAD] embedding, attending to the real tokens) are computed like real ones,
     * but their states amplify float rounding: after 12 layers they differ from ORT by up to ~5e-4. No pooling or
     * head reads them.
     */
    static final double PADDING_TOLERANCE = 1e-3;
    static final double MIN_COSINE = 0.99999;

    @ParameterizedTest
    @ValueSource(strings = {"all-minilm-l6-v2", "bge-small-en-v15", "e5-small-v2"})
    void hiddenStatesAndEmbeddingsMatchOnnxRuntime(String model) throws IOException {
        List<List<String>> batches = mixedLengthBatches();
        double worstDiff = 0;
        double worstPaddingDiff = 0;
        double worstCos = 1;
        try (BertBackbone bert = Backbones.builder(model).optThreads(2).build();
             OrtReference ort = OrtReference.open(bert.checkpoint().weightsFile(), 2);
             TensorArena arena = TensorArena.root("parity")) {
            for (List<String> texts : batches) {
                try (TensorArena step = arena.child("batch")) {
                    TokenBatch batch = bert.tokenize(texts, step);
                    Tensor hidden = bert.encode(batch, step, false).lastHidden();
                    float[][][] ref = ort.lastHiddenState(batch);
                    int b = batch.batchSize();
                    int t = batch.tokens();
                    int h = bert.config().hiddenSize();
                    float[] ours = hidden.toFloatArray();
                    for (int i = 0; i < b; i++) {
                        for (int j = 0; j < t; j++) {
                            for (int c = 0; c < h; c++) {
                                double diff = Math.abs(ours[(i * t + j) * h + c] - ref[i][j][c]);
                                if (j < batch.lengths()[i]) {
                                    worstDiff = Math.max(worstDiff, diff);
                                } else {
                                    worstPaddingDiff = Math.max(worstPaddingDiff, diff);
                                }
                            }
                        }
                    }
                    float[] pooled = Pooling.MEAN.apply(bert.kernels(), hidden, batch.attentionMask(), step).toFloatArray();
                    int[] mask = batch.attentionMask().toIntArray();
                    for (int i = 0; i < b; i++) {
                        double[] refPooled = new double[h];
                        int n = 0;
                        for (int j = 0; j < t; j++) {
                            if (mask[i * t + j] == 1) {
                                n++;
                                for (int c = 0; c < h; c++) {
                                    refPooled[c] += ref[i][j][c];
                                }
                            }
                        }
                        double dot = 0, na = 0, nb = 0;
                        for (int c = 0; c < h; c++) {
                            double r = refPooled[c] / n;
                            dot += r * pooled[i * h + c];
                            na += r * r;
                            nb += (double) pooled[i * h + c] * pooled[i * h + c];
                        }
                        worstCos = Math.min(worstCos, dot / Math.sqrt(na * nb));
                    }
                }
            }
            assertThat(arena.allocatedBytes()).isZero();
        }
        System.out.printf("%s vs ONNX Runtime: max |hidden diff| real tokens = %.3g, padding positions = %.3g, min pooled cosine = %.8f%n",
                model, worstDiff, worstPaddingDiff, worstCos);
        assertThat(worstDiff).as("max abs difference of real tokens' hidden states").isLessThanOrEqualTo(HIDDEN_TOLERANCE);
        assertThat(worstPaddingDiff).as("max abs difference at padding positions").isLessThanOrEqualTo(PADDING_TOLERANCE);
        assertThat(worstCos).as("min cosine of mean-pooled embeddings").isGreaterThanOrEqualTo(MIN_COSINE);
    }

    /** 4 batches of 6 real STS-B sentences each, lengths spread from very short to the longest in the file. */
    static List<List<String>> mixedLengthBatches() throws IOException {
        List<String> all = new ArrayList<>();
        for (StsPair p : StsBenchmark.read(ModelResources.shared("."), StsBenchmark.Split.TEST)) {
            all.add(p.sentence1());
        }
        all.sort(Comparator.comparingInt(String::length));
        List<List<String>> batches = new ArrayList<>();
        int perBatch = 6;
        int count = 4 * perBatch;
        List<String> picked = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            picked.add(all.get((int) ((long) i * (all.size() - 1) / (count - 1))));
        }
        // interleave so every batch mixes short and long sentences
        for (int b = 0; b < 4; b++) {
            List<String> batch = new ArrayList<>();
            for (int i = b; i < count; i += 4) {
                batch.add(picked.get(i));
            }
            batches.add(batch);
        }
        return batches;
    }
}
