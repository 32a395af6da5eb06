package dev.graft.adapters.data;

import java.util.List;

/**
 * One sentence as words with one tag per word (a UPOS or BIO tag), or with {@code tags == null} when the input is
 * unlabelled. The lists are immutable copies; a sentence has at least one word and, when tagged, exactly as many
 * tags as words. {@code source} is the line of the sentence's first word, or {@code null} for sentences built in
 * code.
 */
public record TaggedSentence(List<String> words, List<String> tags, SourceLine source) {

    public TaggedSentence {
        words = List.copyOf(words);
        if (words.isEmpty()) {
            throw new IllegalArgumentException("a sentence needs at least one word" + at(source));
        }
        if (tags != null) {
            tags = List.copyOf(tags);
            if (tags.size() != words.size()) {
                throw new IllegalArgumentException(
                        "a sentence has " + words.size() + " words but " + tags.size() + " tags" + at(source));
            }
        }
    }

    /** A sentence with no recorded source. */
    public TaggedSentence(List<String> words, List<String> tags) {
        this(words, tags, null);
    }

    /** Number of words. */
    public int size() {
        return words.size();
    }

    /** Whether this sentence carries tags. */
    public boolean labelled() {
        return tags != null;
    }

    private static String at(SourceLine source) {
        return source == null ? "" : " (at " + source + ")";
    }
}
