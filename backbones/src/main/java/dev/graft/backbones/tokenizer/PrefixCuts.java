package dev.graft.backbones.tokenizer;

/**
 * Where a text may be cut so that tokenising the part before the cut gives exactly the first tokens (and word ids)
 * that tokenising the whole text gives — what lets {@link BertTokenizer} hand the native tokenizer a prefix of a
 * multi-megabyte text instead of all of it when only {@code maxLength} tokens are kept.
 *
 * <p>For a BERT tokenizer ({@code BertNormalizer}, which changes characters one at a time, and
 * {@code BertPreTokenizer}, which splits at whitespace and punctuation; WordPiece then works word by word) the
 * tokens of a text are the concatenation of the tokens of its words, and a word ends at whitespace or punctuation.
 * A cut at index {@code p} (keeping {@code text[0, p)}) is therefore exact when {@code text[p]} is
 * <ul>
 *   <li>ASCII whitespace (space, tab, LF, CR, VT, FF), or ASCII punctuation — a word boundary in every Unicode
 *       version either side uses;</li>
 *   <li>a CJK ideograph, when the normaliser puts spaces around them ({@code handle_chinese_chars}; the ranges
 *       are the tokenizers library's);</li>
 *   <li>inside a run of letters, digits and symbols (no ASCII punctuation, no CJK) that is already longer than
 *       {@code max_input_chars_per_word} before {@code p}: WordPiece turns such a word into the single unknown
 *       token, cut or not (the normaliser never drops or merges these characters, so the part stays too long).</li>
 * </ul>
 * Any other tokenizer gets no cuts: it is tokenised whole.
 *
 * <p>The scan here is linear in the text consumed (cheap Java work); what is bounded is the text handed to the native
 * tokenizer, whose time and memory (offsets, alignments per token) are what a multi-megabyte line made explode.
 */
final class PrefixCuts {
    private final boolean enabled;
    private final boolean splitsCjk;
    private final int maxCharsPerWord;

    PrefixCuts(TokenizerJson json) {
        this.enabled = json.bertNormalizer() && json.bertPreTokenizer();
        this.splitsCjk = json.splitsCjk();
        this.maxCharsPerWord = json.maxCharsPerWord();
    }

    /** Whether this tokenizer can be cut at all. */
    boolean enabled() {
        return enabled;
    }

    /** A prefix of a text to tokenise instead of the text; {@code whole}: it stands for all of the text. */
    record Prefix(String text, boolean whole) {
    }

    /**
     * The shortest exact prefix of {@code text} with at least {@code minChars} characters (or all of it), with every
     * run of plain characters longer than {@code max_input_chars_per_word + 1} shortened to that many (such a run's
     * word is the unknown token however long it is) and every run of ASCII whitespace shortened to its first
     * character (whitespace only separates words): the shortened text gives the same token ids and word ids, and a
     * multi-megabyte "word" or gap costs the native tokenizer a few characters. Without cuts (another kind of
     * tokenizer) the text itself.
     */
    Prefix take(String text, long minChars) {
        if (!enabled) {
            return new Prefix(text, true);
        }
        int n = text.length();
        StringBuilder kept = null; // null while nothing was dropped: the prefix is text[0, p)
        int p = 0;
        long run = 0; // plain code points immediately before p
        while (p < n) {
            int cp = text.codePointAt(p);
            int length = kept == null ? p : kept.length();
            if (length >= minChars && length > 0 && (boundary(cp) || (run > maxCharsPerWord && plain(cp)))) {
                return new Prefix(kept == null ? text.substring(0, p) : kept.toString(), false);
            }
            boolean drop = false;
            if (plain(cp)) {
                run++;
                drop = run > maxCharsPerWord + 1L;
            } else {
                run = 0;
                drop = whitespace(cp) && p > 0 && whitespace(text.charAt(p - 1));
            }
            if (drop && kept == null) {
                kept = new StringBuilder(text.length() > minChars ? (int) Math.min(Integer.MAX_VALUE - 8, 2 * minChars + 16) : n);
                kept.append(text, 0, p);
            } else if (!drop && kept != null) {
                kept.appendCodePoint(cp);
            }
            p += Character.charCount(cp);
        }
        return new Prefix(kept == null ? text : kept.toString(), true);
    }

    private boolean boundary(int cp) {
        if (cp < 0x80) {
            return whitespace(cp) || asciiPunctuation(cp);
        }
        return splitsCjk && cjk(cp);
    }

    /** A letter, digit or symbol the BERT normaliser keeps and the pre-tokenizer does not split at. */
    private boolean plain(int cp) {
        if (cp < 0x80) {
            return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
        }
        if (splitsCjk && cjk(cp)) {
            return false;
        }
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER, Character.DECIMAL_DIGIT_NUMBER,
                 Character.LETTER_NUMBER, Character.OTHER_NUMBER, Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL,
                 Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL -> true;
            default -> false;
        };
    }

    private static boolean whitespace(int cp) {
        return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x0B || cp == '\f';
    }

    private static boolean asciiPunctuation(int cp) {
        return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
    }

    /** The CJK ideograph blocks BERT (and the tokenizers library) put spaces around. */
    static boolean cjk(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B920 && cp <= 0x2CEAF) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
