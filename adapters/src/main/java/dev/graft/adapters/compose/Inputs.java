package dev.graft.adapters.compose;

import java.util.List;
import java.util.Objects;

/** What one call of a composed model runs on: texts, texts already split into words, or text pairs. */
public sealed interface Inputs {

    int size();

    /** Plain texts; word-level heads see them split by {@link WordSplitter}. */
    record Texts(List<String> texts) implements Inputs {
        public Texts {
            texts = checked(texts, "text");
        }

        @Override
        public int size() {
            return texts.size();
        }
    }

    /** Sentences as words (CoNLL-U style): word-level heads label exactly these words. */
    record Words(List<List<String>> sentences) implements Inputs {
        public Words {
            Objects.requireNonNull(sentences, "sentences");
            if (sentences.isEmpty()) {
                throw new IllegalArgumentException("no inputs: the batch is empty");
            }
            for (int i = 0; i < sentences.size(); i++) {
                List<String> s = sentences.get(i);
                if (s == null || s.isEmpty()) {
                    throw new IllegalArgumentException("sentence " + i + " has no words");
                }
                checked(s, "sentence " + i + " word");
            }
            sentences = sentences.stream().map(List::copyOf).toList();
        }

        @Override
        public int size() {
            return sentences.size();
        }
    }

    /** Text pairs, each encoded as one sequence {@code [CLS] a [SEP] b [SEP]} (for pair regression / classification). */
    record Pairs(List<String> first, List<String> second) implements Inputs {
        public Pairs {
            first = checked(first, "first text");
            second = checked(second, "second text");
            if (first.size() != second.size()) {
                throw new IllegalArgumentException(first.size() + " first texts but " + second.size() + " second texts");
            }
        }

        @Override
        public int size() {
            return first.size();
        }
    }

    private static List<String> checked(List<String> texts, String what) {
        Objects.requireNonNull(texts, what + "s");
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("no inputs: the batch is empty");
        }
        for (int i = 0; i < texts.size(); i++) {
            String t = texts.get(i);
            if (t == null) {
                throw new IllegalArgumentException(what + " " + i + " is null");
            }
            if (t.isBlank()) {
                throw new IllegalArgumentException(what + " " + i + " is empty: there is nothing to encode");
            }
        }
        return List.copyOf(texts);
    }
}
