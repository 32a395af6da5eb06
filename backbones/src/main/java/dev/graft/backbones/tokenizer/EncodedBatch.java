package dev.graft.backbones.tokenizer;

import dev.graft.core.backbone.TokenBatch;

/**
 * A {@link TokenBatch} plus, for every token, the index of the word of its text it belongs to — how a
 * token-classification head maps sub-word predictions back to words (e.g. by each word's first sub-token).
 *
 * @param tokens  the batch the backbone consumes
 * @param wordIds {@code [batch][tokens]}: the 0-based word index (words as the tokenizer's pre-tokenizer splits
 *                them: whitespace and punctuation), or -1 for {@code [CLS]}, {@code [SEP]} and padding
 */
public record EncodedBatch(TokenBatch tokens, int[][] wordIds) {

    public EncodedBatch {
        if (wordIds.length != tokens.batchSize()) {
            throw new IllegalArgumentException(wordIds.length + " word-id rows for a batch of " + tokens.batchSize());
        }
        int[][] copy = new int[wordIds.length][];
        for (int i = 0; i < wordIds.length; i++) {
            if (wordIds[i].length != tokens.tokens()) {
                throw new IllegalArgumentException("word-id row " + i + " has " + wordIds[i].length
                        + " entries for " + tokens.tokens() + " tokens");
            }
            copy[i] = wordIds[i].clone();
        }
        wordIds = copy;
    }

    /** A deep copy of the word ids. */
    @Override
    public int[][] wordIds() {
        int[][] copy = new int[wordIds.length][];
        for (int i = 0; i < copy.length; i++) {
            copy[i] = wordIds[i].clone();
        }
        return copy;
    }

    /** Word index of token {@code token} of sequence {@code sequence}, -1 for special tokens and padding. */
    public int wordId(int sequence, int token) {
        return wordIds[sequence][token];
    }

    /** A copy of sequence {@code sequence}'s word ids. */
    public int[] wordIds(int sequence) {
        return wordIds[sequence].clone();
    }

    /**
     * The first sub-token of each of the first {@code words} words of sequence {@code sequence}, or -1 for a word
     * without a token of its own: cut off by truncation, or made only of characters the tokenizer's normaliser
     * drops. The model saw nothing of such a word, so nothing can be predicted for it.
     */
    public int[] ownFirstTokens(int sequence, int words) {
        int[] ids = wordIds[sequence];
        int[] first = new int[words];
        java.util.Arrays.fill(first, -1);
        for (int t = 0; t < ids.length; t++) {
            int w = ids[t];
            if (w >= 0 && w < words && first[w] < 0) {
                first[w] = t;
            }
        }
        return first;
    }

    /**
     * Like {@link #ownFirstTokens}, but a word without a token of its own is read from the last real token before
     * {@code [SEP]}, so that every word has a row of features; whoever reads them must treat those rows as stand-ins
     * ({@link #ownFirstTokens} tells which).
     */
    public int[] firstTokens(int sequence, int words) {
        int[] first = ownFirstTokens(sequence, words);
        int fallback = Math.max(0, tokens.lengths()[sequence] - 2);
        for (int w = 0; w < words; w++) {
            if (first[w] < 0) {
                first[w] = fallback;
            }
        }
        return first;
    }
}
