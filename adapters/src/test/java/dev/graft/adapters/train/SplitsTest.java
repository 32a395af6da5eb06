package dev.graft.adapters.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SplitsTest {

    @Test
    void stratifiedSplitKeepsEveryClassShare() {
        int[] labels = new int[1000];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i < 600 ? 0 : i < 900 ? 1 : i < 995 ? 2 : 3; // 600 / 300 / 95 / 5
        }
        Splits.Split split = Splits.stratified(labels, 0.1, 7);
        assertThat(split.validation()).hasSize(100);
        assertThat(split.train()).hasSize(900);
        int[] perClass = new int[4];
        for (int i : split.validation()) {
            perClass[labels[i]]++;
        }
        assertThat(perClass[0]).isEqualTo(60);
        assertThat(perClass[1]).isEqualTo(30);
        assertThat(perClass[2]).isBetween(9, 10);
        assertThat(perClass[3]).isBetween(0, 1);
        int[] all = IntStream.concat(Arrays.stream(split.train()), Arrays.stream(split.validation())).sorted().toArray();
        assertThat(all).containsExactly(IntStream.range(0, 1000).toArray());
        assertThat(split.train()).isSorted();
        assertThat(split.validation()).isSorted();
    }

    @Test
    void splitsAreDeterministicPerSeed() {
        int[] labels = IntStream.range(0, 500).map(i -> i % 7).toArray();
        assertThat(Splits.stratified(labels, 0.2, 1).validation()).containsExactly(Splits.stratified(labels, 0.2, 1).validation());
        assertThat(Splits.stratified(labels, 0.2, 1).validation()).isNotEqualTo(Splits.stratified(labels, 0.2, 2).validation());
        assertThat(Splits.random(500, 0.2, 3).validation()).containsExactly(Splits.random(500, 0.2, 3).validation()).hasSize(100);
    }

    @Test
    void aSingletonClassStaysInTraining() {
        Splits.Split split = Splits.stratified(new int[] {0, 0, 0, 0, 1}, 0.5, 1);
        assertThat(split.train()).contains(4);
        assertThat(Splits.stratified(new int[] {0, 1, 2}, 0.0, 1).validation()).isEmpty();
    }
}
