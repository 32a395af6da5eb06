package dev.graft.adapters.compose;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a plain text into the words a tagging head labels when it is given texts rather than words: runs of
 * letters and digits (keeping inner apostrophes, hyphens and dots, as in {@code don't}, {@code e-mail},
 * {@code U.S.}) and every other non-space character on its own. Pass {@link Inputs.Words} to use your own split
 * (for instance the one the tagger was trained on).
 */
public final class WordSplitter {
    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}]+(?:['’.\\-][\\p{L}\\p{N}]+)*|\\S");

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
