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
 *
 * <p>Words the tagger did not tag (a {@code null} predicted tag, index -1: past the backbone's token limit) are
 * scored honestly: they count among {@link #tokens()} and as errors in {@link #tokenAccuracy()}, are in no predicted
 * entity (so a gold entity among them is missed), are left out of the per-tag confusion (there is no predicted
 * class), and are counted by {@link #untagged()}.
 */
public final class TaggingMetrics {
    /** The predicted index of a word that was not tagged. */
    public static final int NOT_TAGGED = -1;

    private final List<String> tagNames;
    private final ClassificationMetrics perTag;
    private final EntityScores entities;                  // null unless BIO
    private final Map<String, EntityScores> entitiesByType; // empty unless BIO
    private final long untagged;

    private TaggingMetrics(List<String> tagNames, ClassificationMetrics perTag, EntityScores entities,
                           Map<String, EntityScores> entitiesByType, long untagged) {
        this.untagged = untagged;
        this.tagNames = tagNames;
        this.perTag = perTag;
        this.entities = entities;
        this.entitiesByType = entitiesByType;
    }

    /**
     * Scores string tags, one list per sentence; gold and predicted must have the same sentences with the same
     * lengths; a {@code null} predicted tag is a word that was not tagged. Whether entity scores are computed is
     * decided by the union of tags seen in both.
     */
    public static TaggingMetrics of(List<List<String>> gold, List<List<String>> predicted) {
        checkShape(gold.size(), predicted.size(), s -> gold.get(s).size(), s -> predicted.get(s).size());
        TreeSet<String> seen = new TreeSet<>();
        for (int s = 0; s < gold.size(); s++) {
            addAll(seen, gold.get(s), "gold", s);
            for (String tag : predicted.get(s)) {
                if (tag != null) {
                    seen.add(tag);
                }
            }
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
            p[s] = predicted.get(s).stream().mapToInt(tag -> tag == null ? NOT_TAGGED : index.get(tag)).toArray();
        }
        return of(g, p, names);
    }

    /**
     * Scores tag indices into {@code tagNames} (the training label set), one array per sentence; a predicted
     * {@link #NOT_TAGGED} is a word that was not tagged. Whether entity scores are computed is decided by
     * {@code tagNames}.
     */
    public static TaggingMetrics of(int[][] gold, int[][] predicted, List<String> tagNames) {
        checkShape(gold.length, predicted.length, s -> gold[s].length, s -> predicted[s].length);
        List<String> names = List.copyOf(tagNames);
        int tagged = 0;
        long untagged = 0;
        for (int s = 0; s < gold.length; s++) {
            for (int g : gold[s]) {
                if (g < 0 || g >= names.size()) {
                    throw new IllegalArgumentException("gold sentence " + s + ": tag index " + g + " is outside [0, "
                            + names.size() + ")");
                }
            }
            for (int p : predicted[s]) {
                if (p == NOT_TAGGED) {
                    untagged++;
                } else {
                    tagged++;
                }
            }
        }
        int[] flatGold = new int[tagged];
        int[] flatPredicted = new int[tagged];
        int at = 0;
        for (int s = 0; s < gold.length; s++) {
            for (int w = 0; w < gold[s].length; w++) {
                if (predicted[s][w] != NOT_TAGGED) {
                    flatGold[at] = gold[s][w];
                    flatPredicted[at++] = predicted[s][w];
                }
            }
        }
        ClassificationMetrics perTag = tagged == 0 ? null : ClassificationMetrics.of(flatGold, flatPredicted, names.size());
        if (!BioSpans.isBioTagSet(names)) {
            return new TaggingMetrics(names, perTag, null, Map.of(), untagged);
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
        return new TaggingMetrics(names, perTag, new EntityScores(g, p, c), Collections.unmodifiableMap(scores), untagged);
    }

    /** Number of words scored, tagged or not. */
    public long tokens() {
        return (perTag == null ? 0 : perTag.total()) + untagged;
    }

    /** Number of words the tagger did not tag (past the token limit): counted as errors in {@link #tokenAccuracy()}. */
    public long untagged() {
        return untagged;
    }

    /** Number of words tagged correctly. */
    public long correctTokens() {
        return perTag == null ? 0 : perTag.correct();
    }

    /** Fraction of all words tagged correctly (a word that was not tagged is not correct). */
    public double tokenAccuracy() {
        return (double) correctTokens() / tokens();
    }

    /** The tag names the per-tag metrics are indexed by. */
    public List<String> tagNames() {
        return tagNames;
    }

    /**
     * Per-tag precision / recall / F1 over the words that were tagged (indices into {@link #tagNames()}).
     *
     * @throws IllegalStateException no word was tagged at all
     */
    public ClassificationMetrics perTag() {
        if (perTag == null) {
            throw new IllegalStateException("no word was tagged: there are no per-tag scores");
        }
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
        String base = String.format(Locale.ROOT, "token accuracy %.4f (%d/%d)", tokenAccuracy(), correctTokens(), tokens())
                + (untagged == 0 ? "" : String.format(Locale.ROOT, ", %d not tagged", untagged));
        return entities == null ? base : base + String.format(Locale.ROOT, ", entity P %.4f R %.4f F1 %.4f",
                entities.precision(), entities.recall(), entities.f1());
    }

    private static List<String> tags(int[] indices, List<String> names) {
        List<String> out = new ArrayList<>(indices.length);
        for (int i : indices) {
            if (i == NOT_TAGGED) {
                out.add("O"); // a word that was not tagged is in no predicted entity
                continue;
            }
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
