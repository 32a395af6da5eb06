package dev.graft.backbones.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Scores a {@link SentenceEmbedder} on sentence-similarity pairs (STS Benchmark): cosine similarity of each pair's
 * embeddings, then Spearman's ρ against the gold scores.
 *
 * <p>Each distinct sentence is embedded once. Sentences are sorted by length and embedded in batches of
 * {@code batchSize}, so a batch padded to its longest member wastes little; results are mapped back to the pairs.
 */
public final class StsEvaluator {
    private final List<StsPair> pairs;

    public StsEvaluator(List<StsPair> pairs) {
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("no pairs to evaluate");
        }
        this.pairs = List.copyOf(pairs);
    }

    /**
     * Embeds every sentence and correlates cosine similarity with the gold scores.
     *
     * @throws IllegalStateException the embedder returned the wrong number of vectors, vectors of different widths,
     *                               a non-finite value, or a zero vector (whose cosine is undefined)
     */
    public StsResult evaluate(SentenceEmbedder embedder, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, was " + batchSize);
        }
        Map<String, float[]> embeddings = embedAll(embedder, batchSize);
        double[] cosine = new double[pairs.size()];
        double[] gold = new double[pairs.size()];
        for (int i = 0; i < pairs.size(); i++) {
            StsPair p = pairs.get(i);
            cosine[i] = cosine(embeddings.get(p.sentence1()), embeddings.get(p.sentence2()));
            gold[i] = p.score();
        }
        return new StsResult(Spearman.correlation(cosine, gold), Spearman.pearson(cosine, gold), pairs.size(), embeddings.size());
    }

    private Map<String, float[]> embedAll(SentenceEmbedder embedder, int batchSize) {
        Set<String> distinct = new LinkedHashSet<>();
        for (StsPair p : pairs) {
            distinct.add(p.sentence1());
            distinct.add(p.sentence2());
        }
        List<String> sorted = new ArrayList<>(distinct);
        sorted.sort(Comparator.comparingInt(String::length));
        Map<String, float[]> out = new HashMap<>(sorted.size() * 2);
        int width = -1;
        for (int from = 0; from < sorted.size(); from += batchSize) {
            List<String> batch = sorted.subList(from, Math.min(sorted.size(), from + batchSize));
            float[][] vectors = embedder.embed(List.copyOf(batch));
            if (vectors == null || vectors.length != batch.size()) {
                throw new IllegalStateException("embedder returned " + (vectors == null ? "null" : vectors.length + " vectors")
                        + " for a batch of " + batch.size() + " sentences");
            }
            for (int i = 0; i < vectors.length; i++) {
                float[] v = vectors[i];
                if (width < 0) {
                    width = v.length;
                }
                if (v.length != width || width == 0) {
                    throw new IllegalStateException("embedder returned a vector of width " + v.length + " for \"" + batch.get(i)
                            + "\", earlier vectors have width " + width);
                }
                for (float f : v) {
                    if (!Float.isFinite(f)) {
                        throw new IllegalStateException("embedder returned a non-finite value for \"" + batch.get(i) + "\"");
                    }
                }
                if (norm(v) == 0) {
                    throw new IllegalStateException("embedder returned a zero vector for \"" + batch.get(i) + "\"");
                }
                out.put(batch.get(i), v);
            }
        }
        return out;
    }

    /** Cosine similarity in double precision. */
    static double cosine(float[] a, float[] b) {
        double dot = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
        }
        return dot / (norm(a) * norm(b));
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float f : v) {
            s += (double) f * f;
        }
        return Math.sqrt(s);
    }
}
