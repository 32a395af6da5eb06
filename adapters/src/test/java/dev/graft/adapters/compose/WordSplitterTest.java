package dev.graft.adapters.compose;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WordSplitterTest {

    @Test
    void wordsPunctuationAndInnerJoinersAsBefore() {
        assertThat(WordSplitter.split("I don't know, e-mail the U.S. office (3.5 km)!"))
                .containsExactly("I", "don't", "know", ",", "e-mail", "the", "U.S", ".", "office", "(", "3.5", "km", ")", "!");
    }

    @Test
    void zeroWidthAndFormatCharactersAreNeverWordsOfTheirOwn() {
        for (String invisible : new String[]{"\u200B", "\u200C", "\u200D", "\u2060", "\uFEFF", "\u00AD", "\u2062",
                "\uDB40\uDC01" /* U+E0001 language tag */}) {
            String hex = Integer.toHexString(invisible.codePointAt(0));
            // between words, after a space, at the start and at the end: attached to the word before, or dropped
            assertThat(WordSplitter.split("hello" + invisible + " world")).as("U+%s after a word", hex)
                    .containsExactly("hello" + invisible, "world");
            assertThat(WordSplitter.split("hello " + invisible + "world")).as("U+%s after a space", hex)
                    .containsExactly("hello", "world");
            assertThat(WordSplitter.split(invisible + "hello world" + invisible)).as("U+%s at both ends", hex)
                    .containsExactly("hello", "world" + invisible);
            assertThat(WordSplitter.split("a " + invisible.repeat(3) + " b")).as("U+%s alone", hex)
                    .containsExactly("a", "b");
            assertThat(WordSplitter.split("in" + invisible + "side")).as("U+%s inside a word", hex)
                    .containsExactly("in" + invisible + "side");
        }
    }

    @Test
    void variationSelectorsAndCombiningMarksStayWithTheirCharacter() {
        for (int selector : new int[]{0xFE00, 0xFE0E, 0xFE0F, 0xE0100, 0xE01EF}) {
            String vs = Character.toString(selector);
            assertThat(WordSplitter.split("I \u2764" + vs + " tea")).as("U+%X", selector)
                    .containsExactly("I", "\u2764" + vs, "tea");
            assertThat(WordSplitter.split("\u845B" + vs + "城")).as("U+%X after an ideograph", selector)
                    .containsExactly("\u845B" + vs + "城");
            assertThat(WordSplitter.split(vs + " x " + vs)).as("U+%X with nothing before it", selector)
                    .containsExactly("x");
        }
        assertThat(WordSplitter.split("cafe\u0301 nai\u0308ve")).containsExactly("cafe\u0301", "nai\u0308ve");
        // a zero-width-joiner emoji sequence (a family) is one word
        assertThat(WordSplitter.split("we 👨\u200D👩\u200D👧 too")).containsExactly("we", "👨\u200D👩\u200D👧", "too");
    }

    @Test
    void unicodeSpacesAndControlCharactersSeparateWords() {
        assertThat(WordSplitter.split("a\u00A0b\u3000c\u2003d\u0007e\u0085f")).containsExactly("a", "b", "c", "d", "e", "f");
        assertThat(WordSplitter.split("\u200B\uFE0F \u0301\u200D")).isEmpty();
    }
}
