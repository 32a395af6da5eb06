package dev.graft.adapters.head;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * What one head returns for one call, typed by head kind. The kinds Graft ships are records here (a sealed
 * hierarchy must live in one package); a user's own head type returns a {@link Custom}.
 */
public sealed interface HeadOutput {

    /** Number of inputs (texts or sentences) the output covers. */
    int size();

    /** A label with its probability. */
    record LabelScore(String label, float score) {
    }

    /**
     * Sequence classification: a probability per label per text.
     *
     * @param labels        the label of each class index
     * @param probabilities {@code [texts][labels]}, each row sums to 1
     */
    record Classification(List<String> labels, float[][] probabilities) implements HeadOutput {
        /** Copies the labels and probabilities, so that the output is immutable. */
        public Classification {
            labels = List.copyOf(labels);
            probabilities = deepCopy(probabilities);
        }

        @Override
        public int size() {
            return probabilities.length;
        }

        /** The most probable label of text {@code i} (the lowest class index wins a tie). */
        public String label(int i) {
            return labels.get(argmax(probabilities[i]));
        }

        /** Class index of the most probable label of text {@code i}. */
        public int labelIndex(int i) {
            return argmax(probabilities[i]);
        }

        /** The {@code k} most probable labels of text {@code i}, best first. */
        public List<LabelScore> top(int i, int k) {
            float[] p = probabilities[i];
            Integer[] order = new Integer[p.length];
            for (int c = 0; c < p.length; c++) {
                order[c] = c;
            }
            Arrays.sort(order, Comparator.<Integer>comparingDouble(c -> -p[c]).thenComparingInt(c -> c));
            List<LabelScore> top = new ArrayList<>();
            for (int j = 0; j < Math.min(k, p.length); j++) {
                top.add(new LabelScore(labels.get(order[j]), p[order[j]]));
            }
            return top;
        }

        /** Probabilities of text {@code i} (a copy). */
        public float[] probabilities(int i) {
            return probabilities[i].clone();
        }

        @Override
        public float[][] probabilities() {
            return deepCopy(probabilities);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Classification c && labels.equals(c.labels) && Arrays.deepEquals(probabilities, c.probabilities);
        }

        @Override
        public int hashCode() {
            return 31 * labels.hashCode() + Arrays.deepHashCode(probabilities);
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("Classification[");
            for (int i = 0; i < probabilities.length; i++) {
                sb.append(i == 0 ? "" : ", ").append(top(i, 1).getFirst());
            }
            return sb.append(']').toString();
        }
    }

    /**
     * Token classification at word level: one tag per word, read from the word's first sub-token.
     *
     * <p>A word the model did not see — past the backbone's token limit (512 for BERT) in a long sentence, or made
     * only of characters the tokenizer drops — is <em>not tagged</em>: its tag is {@code null} and its score
     * {@code NaN}, never a label made up from another word's features. {@link #tagged}, {@link #untagged(int)}
     * and {@link #untaggedWords()} tell which and how many.
     *
     * @param words  the words of each input
     * @param tags   the predicted tag of each word; {@code null} for a word that was not tagged
     * @param scores the probability of each predicted tag; {@code NaN} for a word that was not tagged
     * @param spans  for BIO tag sets, the entity spans of each input (empty lists otherwise); untagged words are
     *               in no span
     */
    record Tagging(List<List<String>> words, List<List<String>> tags, List<float[]> scores, List<List<Span>> spans)
            implements HeadOutput {
        /** Copies words, tags, scores and spans, so that the output is immutable. */
        public Tagging {
            words = words.stream().map(List::copyOf).toList();
            tags = tags.stream().map(t -> java.util.Collections.unmodifiableList(new ArrayList<>(t))).toList();
            scores = scores.stream().map(float[]::clone).toList();
            spans = spans.stream().map(List::copyOf).toList();
            if (words.size() != tags.size() || words.size() != scores.size() || words.size() != spans.size()) {
                throw new IllegalArgumentException("words, tags, scores and spans cover " + words.size() + ", "
                        + tags.size() + ", " + scores.size() + " and " + spans.size() + " inputs");
            }
            for (int i = 0; i < words.size(); i++) {
                if (tags.get(i).size() != words.get(i).size() || scores.get(i).length != words.get(i).size()) {
                    throw new IllegalArgumentException("input " + i + " has " + words.get(i).size() + " words but "
                            + tags.get(i).size() + " tags and " + scores.get(i).length + " scores");
                }
            }
        }

        /** Whether word {@code word} of input {@code input} was tagged (seen by the model). */
        public boolean tagged(int input, int word) {
            return tags.get(input).get(word) != null;
        }

        /** Number of words of input {@code input} that were not tagged. */
        public int untagged(int input) {
            int n = 0;
            for (String t : tags.get(input)) {
                if (t == null) {
                    n++;
                }
            }
            return n;
        }

        /** Number of words over all inputs that were not tagged. */
        public long untaggedWords() {
            long n = 0;
            for (int i = 0; i < tags.size(); i++) {
                n += untagged(i);
            }
            return n;
        }

        @Override
        public int size() {
            return words.size();
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Tagging t) || !words.equals(t.words) || !tags.equals(t.tags) || !spans.equals(t.spans)
                    || scores.size() != t.scores.size()) {
                return false;
            }
            for (int i = 0; i < scores.size(); i++) {
                if (!Arrays.equals(scores.get(i), t.scores.get(i))) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public int hashCode() {
            return Objects.hash(words, tags, spans);
        }
    }

    /** An entity: words {@code [start, end)} of one input tagged {@code type} (from B-type, I-type…). */
    record Span(String type, int start, int end) {
    }

    /** Sentence embeddings, one vector per text (unit length when the head normalises). */
    record Embedding(float[][] vectors) implements HeadOutput {
        /** Copies the vectors, so that the output is immutable. */
        public Embedding {
            vectors = deepCopy(vectors);
        }

        @Override
        public int size() {
            return vectors.length;
        }

        /** The vector of text {@code i} (a copy). */
        public float[] vector(int i) {
            return vectors[i].clone();
        }

        @Override
        public float[][] vectors() {
            return deepCopy(vectors);
        }

        /** Cosine similarity of texts {@code i} and {@code j}. */
        public double cosine(int i, int j) {
            float[] a = vectors[i];
            float[] b = vectors[j];
            double dot = 0;
            double na = 0;
            double nb = 0;
            for (int d = 0; d < a.length; d++) {
                dot += (double) a[d] * b[d];
                na += (double) a[d] * a[d];
                nb += (double) b[d] * b[d];
            }
            return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Embedding e && Arrays.deepEquals(vectors, e.vectors);
        }

        @Override
        public int hashCode() {
            return Arrays.deepHashCode(vectors);
        }

        @Override
        public String toString() {
            return "Embedding[" + vectors.length + " × " + (vectors.length == 0 ? 0 : vectors[0].length) + "]";
        }
    }

    /** Regression: one score per text (or per text pair). */
    record Regression(float[] scores) implements HeadOutput {
        /** Copies the scores, so that the output is immutable. */
        public Regression {
            scores = scores.clone();
        }

        @Override
        public int size() {
            return scores.length;
        }

        /** The score of text (or pair) {@code i}. */
        public float score(int i) {
            return scores[i];
        }

        @Override
        public float[] scores() {
            return scores.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Regression r && Arrays.equals(scores, r.scores);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(scores);
        }

        @Override
        public String toString() {
            return "Regression" + Arrays.toString(scores);
        }
    }

    /** The output of a head type that is not part of Graft. Implementations should be immutable values. */
    non-sealed interface Custom extends HeadOutput {
    }

    private static float[][] deepCopy(float[][] a) {
        float[][] copy = new float[a.length][];
        for (int i = 0; i < a.length; i++) {
            copy[i] = a[i].clone();
        }
        return copy;
    }

    private static int argmax(float[] p) {
        int best = 0;
        for (int c = 1; c < p.length; c++) {
            if (p[c] > p[best]) {
                best = c;
            }
        }
        return best;
    }
}
