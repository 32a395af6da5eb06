package dev.graft.backbones.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StsEvaluatorTest {

    /** Pairs "left" / "right number i" with gold score i / 2; sentences of growing length. */
    private static List<StsPair> pairs(int n) {
        List<StsPair> pairs = new ArrayList<>();
        for (int i = 0; i <= n; i++) {
            pairs.add(new StsPair("g", "f", "y", Integer.toString(i), i * 5.0 / n, "left", "right " + "x".repeat(i) + i));
        }
        return pairs;
    }

    /** 2-d unit vectors: "left" at angle 0, "right …i" at an angle that shrinks (cosine grows) with i * sign. */
    private static float[] angleEmbedding(String s, double sign) {
        if (s.equals("left")) {
            return new float[] {1, 0};
        }
        int i = Integer.parseInt(s.replaceAll("\\D", ""));
        double angle = Math.PI / 2 - sign * i * 0.01;
        return new float[] {(float) Math.cos(angle), (float) Math.sin(angle)};
    }

    @Test
    void cosineOrderedLikeGoldGivesOneAndReversedGivesMinusOne() {
        StsEvaluator evaluator = new StsEvaluator(pairs(40));
        StsResult agree = evaluator.evaluate(batch -> batch.stream().map(s -> angleEmbedding(s, 1)).toArray(float[][]::new), 8);
        assertThat(agree.spearman()).isCloseTo(1.0, within(1e-12));
        assertThat(agree.pairs()).isEqualTo(41);
        assertThat(agree.sentences()).isEqualTo(42);
        StsResult disagree = evaluator.evaluate(batch -> batch.stream().map(s -> angleEmbedding(s, -1)).toArray(float[][]::new), 8);
        assertThat(disagree.spearman()).isCloseTo(-1.0, within(1e-12));
    }

    @Test
    void embedsEachDistinctSentenceOnceInLengthSortedBatches() {
        List<List<String>> batches = new ArrayList<>();
        new StsEvaluator(pairs(40)).evaluate(batch -> {
            batches.add(batch);
            return batch.stream().map(s -> angleEmbedding(s, 1)).toArray(float[][]::new);
        }, 8);
        List<String> seen = batches.stream().flatMap(List::stream).toList();
        assertThat(seen).hasSize(42).doesNotHaveDuplicates();
        assertThat(batches).allSatisfy(b -> assertThat(b.size()).isBetween(1, 8));
        for (int i = 1; i < seen.size(); i++) {
            assertThat(seen.get(i).length()).isGreaterThanOrEqualTo(seen.get(i - 1).length());
        }
    }

    @Test
    void cosineIsComputedInDoublePrecision() {
        assertThat(StsEvaluator.cosine(new float[] {1, 0}, new float[] {1, 1})).isCloseTo(Math.sqrt(0.5), within(1e-15));
        assertThat(StsEvaluator.cosine(new float[] {3, 4}, new float[] {-3, -4})).isCloseTo(-1, within(1e-15));
    }

    @Test
    void aMisbehavingEmbedderIsReportedClearly() {
        StsEvaluator evaluator = new StsEvaluator(pairs(4));
        assertThatThrownBy(() -> evaluator.evaluate(batch -> new float[1][2], 8))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("1 vectors for a batch of 6");
        assertThatThrownBy(() -> evaluator.evaluate(batch -> new float[batch.size()][3], 8))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("zero vector");
        assertThatThrownBy(() -> evaluator.evaluate(batch -> batch.stream()
                        .map(s -> s.equals("left") ? new float[] {1, 0} : new float[] {1, 0, 0}).toArray(float[][]::new), 8))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("width");
        assertThatThrownBy(() -> evaluator.evaluate(batch -> batch.stream()
                        .map(s -> new float[] {1, Float.NaN}).toArray(float[][]::new), 8))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("non-finite");
        assertThatThrownBy(() -> evaluator.evaluate(batch -> null, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("batchSize");
        assertThatThrownBy(() -> new StsEvaluator(List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no pairs");
    }
}
