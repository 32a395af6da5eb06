package dev.graft.backbones.tokenizer;

import dev.graft.backbones.bert.BertConfig;

/**
 * What a {@link BertTokenizer} must respect about the model it feeds, and how it treats long inputs.
 *
 * @param vocabSize    rows of the model's word-embedding table; the tokenizer's vocabulary must have exactly this
 *                     many entries, so that every id it emits indexes a row
 * @param maxPositions rows of the model's position table: no sequence may be longer
 * @param maxLength    the longest sequence (special tokens included) the tokenizer emits; {@code ≤ maxPositions}
 * @param truncate     {@code true}: longer inputs are cut to {@code maxLength} (the trailing {@code [SEP]} is kept);
 *                     {@code false}: a longer input is an error naming the limit and the input's index
 */
public record TokenizerSettings(int vocabSize, int maxPositions, int maxLength, boolean truncate) {

    /** The shortest sequence a BERT template produces for a sentence pair: {@code [CLS] [SEP] [SEP]}. */
    static final int MIN_LENGTH = 3;

    public TokenizerSettings {
        if (vocabSize <= 0) {
            throw new IllegalArgumentException("vocabSize must be > 0, was " + vocabSize);
        }
        if (maxPositions < MIN_LENGTH) {
            throw new IllegalArgumentException("maxPositions must be >= " + MIN_LENGTH + ", was " + maxPositions);
        }
        if (maxLength < MIN_LENGTH || maxLength > maxPositions) {
            throw new IllegalArgumentException("maxLength must be in [" + MIN_LENGTH + ", maxPositions=" + maxPositions
                    + "], was " + maxLength);
        }
    }

    /** Truncation on, at the model's full position table. */
    public static TokenizerSettings forModel(int vocabSize, int maxPositions) {
        return new TokenizerSettings(vocabSize, maxPositions, maxPositions, true);
    }

    /** Truncation on, at the model's full position table. */
    public static TokenizerSettings forModel(BertConfig config) {
        return forModel(config.vocabSize(), config.maxPositions());
    }

    /** The same settings with a shorter (or the full) length limit, e.g. 128 for sentence embeddings. */
    public TokenizerSettings withMaxLength(int newMaxLength) {
        return new TokenizerSettings(vocabSize, maxPositions, newMaxLength, truncate);
    }

    /** The same settings with truncation switched on or off. */
    public TokenizerSettings withTruncation(boolean newTruncate) {
        return new TokenizerSettings(vocabSize, maxPositions, maxLength, newTruncate);
    }
}
