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
}
