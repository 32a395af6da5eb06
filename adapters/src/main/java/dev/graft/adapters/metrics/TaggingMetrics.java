package dev.graft.adapters.metrics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Token-tagging scores over whole words: token accuracy and per-tag {@link ClassificationMetrics} always, and —
 * when the tag set {@link BioSpans#isBioTagSet is BIO} — entity-level precision / recall / F1 like seqeval's
 * defaults: spans decoded per sentence by {@link BioSpans#decode}, a predicted span correct only if a gold span
 * has the same start, end and type, micro-averaged over all entities (and also reported per type).
 */
public final class TaggingMetrics {
    private final List<String> tagNames;
    private final ClassificationMetrics perTag;
    private final EntityScores entities;                  // null unless BIO
    private final Map<String, EntityScores> entitiesByType; // empty unless BIO

    private TaggingMetrics(List<String> tagNames, ClassificationMetrics perTag, EntityScores entities,
                           Map<String, EntityScores> entitiesByType) {
        this.tagNames = tagNames;
        this.perTag = perTag;
        this.entities = entities;
        this.entitiesByType = entitiesByType;
    }

    /**
     * Scores string tags, one list per sentence; gold and predicted must have the same sentences with the same
     * lengths. Whether entity scores are computed is decided by the union of tags seen in both.
     */
    public static TaggingMetrics of(List<List<String>> gold, List<List<String>> predicted) {
        checkShape(gold.size(), predicted.size(), s -> gold.get(s).size(), s -> predicted.get(s).size());
        TreeSet<String> seen = new TreeSet<>();
        for (int s = 0; s < gold.size(); s++) {
            addAll(seen, gold.get(s), "gold", s);
            addAll(seen, predicted.get(s), "predicted", s);
        }
        List<String> names = List.copyOf(seen);
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            index.put(names.get(i), i);
        }
        int[][] g = new int[gold.size()][];
        int[][] p = new int[gold.size()][];
        for (int s = 0; s < g.length; s++) {
            g[s] = gold.get(s).stream().mapToInt(index::get).toArray();
            p[s] = predicted.get(s).stream().mapToInt(index::get).toArray();
        }
        return of(g, p, names);
    }

    /**
     * Scores tag indices into {@code tagNames} (the training label set), one array per sentence. Whether entity
     * scores are computed is decided by {@code tagNames}.
     */
    public static TaggingMetrics of(int[][] gold, int[][] predicted, List<String> tagNames) {
        checkShape(gold.length, predicted.length, s -> gold[s].length, s -> predicted[s].length);
        List<String> names = List.copyOf(tagNames);
        int tokens = 0;
        for (int[] sentence : gold) {
            tokens += sentence.length;
        }
        int[] flatGold = new int[tokens];
        int[] flatPredicted = new int[tokens];
        int at = 0;
        for (int s = 0; s < gold.length; s++) {
            System.arraycopy(gold[s], 0, flatGold, at, gold[s].length);
            System.arraycopy(predicted[s], 0, flatPredicted, at, predicted[s].length);
            at += gold[s].length;
        }
        ClassificationMetrics perTag = ClassificationMetrics.of(flatGold, flatPredicted, names.size());
        if (!BioSpans.isBioTagSet(names)) {
            return new TaggingMetrics(names, perTag, null, Map.of());
        }
        Map<String, long[]> byType = new TreeMap<>(); // type -> {gold, predicted, correct}
        for (int s = 0; s < gold.length; s++) {
            List<Span> goldSpans = BioSpans.decode(tags(gold[s], names));
            List<Span> predictedSpans = BioSpans.decode(tags(predicted[s], names));
            Set<Span> goldSet = new HashSet<>(goldSpans);
            for (Span span : goldSpans) {
                byType.computeIfAbsent(span.type(), t -> new long[3])[0]++;
            }
            for (Span span : predictedSpans) {
                long[] counts = byType.computeIfAbsent(span.type(), t -> new long[3]);
                counts[1]++;
                if (goldSet.contains(span)) {
                    counts[2]++;
                }
            }
        }
        long g = 0;
        long p = 0;
        long c = 0;
        Map<String, EntityScores> scores = new TreeMap<>();
        for (var entry : byType.entrySet()) {
            long[] n = entry.getValue();
            scores.put(entry.getKey(), new EntityScores(n[0], n[1], n[2]));
            g += n[0];
            p += n[1];
            c += n[2];
        }
        return new TaggingMetrics(names, perTag, new EntityScores(g, p, c), Collections.unmodifiableMap(scores));
    }

    /** Number of words scored. */
    public long tokens() {
        return perTag.total();
    }

    /** Number of words tagged correctly. */
    public long correctTokens() {
        return perTag.correct();
    }

    /** Fraction of words tagged correctly. */
    public double tokenAccuracy() {
        return perTag.accuracy();
    }

    /** The tag names the per-tag metrics are indexed by. */
    public List<String> tagNames() {
        return tagNames;
    }

    /** Per-tag precision / recall / F1 over words (indices into {@link #tagNames()}). */
    public ClassificationMetrics perTag() {
        return perTag;
    }

    /** Whether the tags are BIO, so that entity scores exist. */
    public boolean bio() {
        return entities != null;
    }

    /** Micro-averaged entity scores over all types, present only when the tags are BIO. */
    public Optional<EntityScores> entities() {
        return Optional.ofNullable(entities);
    }

    /** Entity scores per entity type, sorted by type; empty unless the tags are BIO. */
    public Map<String, EntityScores> entitiesByType() {
        return entitiesByType;
    }

    @Override
    public String toString() {
        String base = String.format(Locale.ROOT, "token accuracy %.4f (%d/%d)", tokenAccuracy(), correctTokens(), tokens());
        return entities == null ? base : base + String.format(Locale.ROOT, ", entity P %.4f R %.4f F1 %.4f",
                entities.precision(), entities.recall(), entities.f1());
    }

    private static List<String> tags(int[] indices, List<String> names) {
        List<String> out = new ArrayList<>(indices.length);
        for (int i : indices) {
            if (i < 0 || i >= names.size()) {
                throw new IllegalArgumentException("tag index " + i + " is outside [0, " + names.size() + ")");
            }
            out.add(names.get(i));
        }
        return out;
    }

    private static void addAll(Set<String> seen, List<String> tags, String which, int sentence) {
        for (String tag : tags) {
            if (tag == null) {
                throw new IllegalArgumentException(which + " sentence " + sentence + " has a null tag");
            }
            seen.add(tag);
        }
    }

    private static void checkShape(int goldSentences, int predictedSentences,
                                   java.util.function.IntUnaryOperator goldLength,
                                   java.util.function.IntUnaryOperator predictedLength) {
        if (goldSentences != predictedSentences) {
            throw new IllegalArgumentException("gold has " + goldSentences + " sentences but predicted has " + predictedSentences);
        }
        if (goldSentences == 0) {
            throw new IllegalArgumentException("no sentences to score");
        }
        for (int s = 0; s < goldSentences; s++) {
            if (goldLength.applyAsInt(s) != predictedLength.applyAsInt(s)) {
                throw new IllegalArgumentException("sentence " + s + ": gold has " + goldLength.applyAsInt(s)
                        + " tags but predicted has " + predictedLength.applyAsInt(s));
            }
        }
    }
}
