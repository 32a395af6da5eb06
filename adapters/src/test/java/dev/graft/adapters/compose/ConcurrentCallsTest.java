package dev.graft.adapters.compose;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.adapters.classification.ClassificationConfig;
import dev.graft.adapters.classification.SequenceClassification;
import dev.graft.adapters.data.CsvDataset;
import dev.graft.adapters.data.LabeledText;
import dev.graft.adapters.embedding.EmbeddingConfig;
import dev.graft.adapters.embedding.SentenceEmbedding;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.LayerSelection;
import dev.graft.adapters.tagging.TaggingConfig;
import dev.graft.adapters.tagging.TokenClassification;
import dev.graft.adapters.testing.MiniLm;
import dev.graft.backbones.bert.BertBackbone;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** One composed model shared by 8 threads gives exactly what the same calls give one at a time. */
class ConcurrentCallsTest {
    static final int THREADS = 8;
    static final int CALLS = 200;

    @Test
    void eightThreadsTimesTwoHundredCallsMatchTheSequentialResultsAndLeaveNoArrowMemory() throws Exception {
        List<String> texts = CsvDataset.read(MiniLm.dataset("banking77/test.csv"), "text", "category").stream()
                .map(LabeledText::text).toList();
        List<List<String>> calls = new ArrayList<>();
        for (int c = 0; c < CALLS; c++) {
            int size = 1 + c % 3; // batches of 1, 2 and 3 texts of mixed lengths
            calls.add(texts.subList(c * 7 % (texts.size() - 3), c * 7 % (texts.size() - 3) + size));
        }
        try (BertBackbone backbone = MiniLm.open()) {
            BackboneInfo info = BackboneInfo.of(backbone);
            List<String> labels = List.of("a", "b", "c", "d");
            try (ComposedModel model = ComposedModel.builder().backbone(backbone)
                    .head("intent", new SequenceClassification().create(ClassificationConfig.of(labels), info, 1))
                    .head("intent-mix", new SequenceClassification().create(ClassificationConfig.of(labels).withLayers(LayerSelection.MIX), info, 2))
                    .head("pos", new TokenClassification().create(TaggingConfig.of(List.of("NOUN", "VERB", "X")), info, 3))
                    .head("embed", new SentenceEmbedding().create(EmbeddingConfig.meanPooled(), info, 0))
                    .build()) {
                ExecutorService pool = Executors.newFixedThreadPool(THREADS);
                try {
                    // Warm-up, sequential and concurrent: the paths concurrency takes (kernels run inline on the
                    // calling thread while the compute pool is busy) are compiled before the reference is taken.
                    // Until C2 has compiled a kernel, the Vector API's exp can round differently in its last bit
                    // (interpreted fallback vs intrinsic); once warm, results are bit for bit reproducible.
                    for (List<String> call : calls) {
                        model.predict(call);
                    }
                    List<Future<?>> warm = new ArrayList<>();
                    for (int t = 0; t < THREADS; t++) {
                        int offset = t;
                        warm.add(pool.submit(() -> {
                            for (int c = offset; c < CALLS; c += 2) {
                                model.predict(calls.get(c));
                            }
                        }));
                    }
                    for (Future<?> f : warm) {
                        f.get();
                    }
                    List<Predictions> sequential = new ArrayList<>();
                    for (List<String> call : calls) {
                        sequential.add(model.predict(call));
                    }
                    List<Future<List<String>>> results = new ArrayList<>();
                    for (int t = 0; t < THREADS; t++) {
                        long seed = t;
                        results.add(pool.submit(() -> {
                            List<Integer> order = new ArrayList<>();
                            for (int c = 0; c < CALLS; c++) {
                                order.add(c);
                            }
                            Collections.shuffle(order, new Random(seed));
                            List<String> mismatches = new ArrayList<>();
                            for (int c : order) {
                                Predictions p = model.predict(calls.get(c));
                                for (String head : p.heads()) {
                                    if (!p.outputs().get(head).equals(sequential.get(c).outputs().get(head))) {
                                        mismatches.add("call " + c + " head " + head + ": " + p.outputs().get(head)
                                                + " vs " + sequential.get(c).outputs().get(head));
                                    }
                                }
                            }
                            return mismatches;
                        }));
                    }
                    List<String> mismatches = new ArrayList<>();
                    for (Future<List<String>> f : results) {
                        mismatches.addAll(f.get()); // wait for every thread before judging
                    }
                    assertThat(mismatches).isEmpty();
                } finally {
                    pool.shutdown();
                    assertThat(pool.awaitTermination(5, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
                }
                assertThat(model.allocatedBytes()).isZero();
            }
        }
    }
}
