package dev.graft.backbones.eval;

import java.util.Objects;

/**
 * One STS Benchmark row: two sentences and how similar annotators judged them.
 *
 * @param genre     {@code main-news}, {@code main-captions} or {@code main-forums}
 * @param source    the original data set ({@code MSRvid}, {@code headlines}, …)
 * @param year      the SemEval year/split tag ({@code 2012test}, …)
 * @param id        the row id within its source
 * @param score     gold similarity, 0 (unrelated) to 5 (equivalent)
 * @param sentence1 first sentence, verbatim (quotes included)
 * @param sentence2 second sentence, verbatim
 */
public record StsPair(String genre, String source, String year, String id, double score, String sentence1, String sentence2) {
    public StsPair {
        Objects.requireNonNull(genre, "genre");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(year, "year");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(sentence1, "sentence1");
        Objects.requireNonNull(sentence2, "sentence2");
        if (!(score >= StsBenchmark.MIN_SCORE && score <= StsBenchmark.MAX_SCORE)) {
            throw new IllegalArgumentException("score must be in [0, 5], was " + score);
        }
    }
}
