package dev.graft.adapters.compose;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a plain text into the words a tagging head labels when it is given texts rather than words: runs of
 * letters and digits (keeping inner apostrophes, hyphens and dots, as in {@code don't}, {@code e-mail},
 * {@code U.S.}) and every other visible character on its own. Pass {@link Inputs.Words} to use your own split
 * (for instance the one the tagger was trained on).
 *
 * <p>Invisible characters are never words: combining marks, variation selectors (U+FE00–FE0F, U+E0100–E01EF) and
 * format characters (zero-width space, joiners U+200C/U+200D, word joiner U+2060, U+FEFF, tag characters…) stay
 * attached to the word before them — {@code e + U+0301} is one word, an emoji with U+FE0F is one word, a ZWJ emoji
 * sequence is one word — and are dropped where no word precedes them (after a space, at the start). Control
 * characters and Unicode spaces (no-break space, ideographic space…) separate words like ASCII whitespace.
 */
public final class WordSplitter {
    /** Marks and format characters: never a word, part of the word before them. */
    private static final String ATTACHED = "[\\p{M}\\p{Cf}]";
    private static final String LETTER = "[\\p{L}\\p{N}]" + ATTACHED + "*";
    /** Any other visible character with its marks; a zero-width joiner joins the next one to it (emoji sequences). */
    private static final String OTHER = "[^\\p{IsWhite_Space}\\p{M}\\p{C}][\\p{M}\\p{Cf}&&[^\u200D]]*";
    private static final Pattern WORD = Pattern.compile(
            "(?:" + LETTER + ")+(?:['’.\\-](?:" + LETTER + ")+)*|" + OTHER + "(?:\u200D(?:" + OTHER + ")?)*");

    private WordSplitter() {
    }

    public static List<String> split(String text) {
        List<String> words = new ArrayList<>();
        Matcher m = WORD.matcher(text);
        while (m.find()) {
            words.add(m.group());
        }
        return words;
    }
}
