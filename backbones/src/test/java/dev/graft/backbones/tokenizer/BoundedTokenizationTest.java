package dev.graft.backbones.tokenizer;

import static dev.graft.backbones.testing.ModelResources.MAX_POSITIONS;
import static dev.graft.backbones.testing.ModelResources.MINILM_TOKENIZER;
import static dev.graft.backbones.testing.ModelResources.VOCAB_SIZE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.graft.backbones.testing.ModelResources;
import dev.graft.core.tensor.TensorArena;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A long text is tokenised from a prefix, not whole: the result must be exactly what the native tokenizer gives
 * for the whole text truncated (the reference here is DJL's tokenizer run directly on the whole text), and the text
 * handed to the native tokenizer must be bounded by the token limit, not by the text's length.
 */
class BoundedTokenizationTest {
    static final int[] LIMITS = {8, 17, 64, MAX_POSITIONS};
    static final Map<Integer, HuggingFaceTokenizer> REFERENCE = new LinkedHashMap<>();
    static final Map<Integer, BertTokenizer> BOUNDED = new LinkedHashMap<>();

    @BeforeAll
    static void open() throws IOException {
        byte[] json = ModelResources.bytes(MINILM_TOKENIZER);
        for (int limit : LIMITS) {
            REFERENCE.put(limit, HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), Map.of(
                    "addSpecialTokens", "true", "padding", "false", "truncation", "true",
                    "maxLength", Integer.toString(limit), "modelMaxLength", Integer.toString(MAX_POSITIONS))));
            BOUNDED.put(limit, BertTokenizer.fromJson("minilm", json,
                    TokenizerSettings.forModel(VOCAB_SIZE, MAX_POSITIONS).withMaxLength(limit)));
        }
    }

    @AfterAll
    static void close() {
        REFERENCE.values().forEach(HuggingFaceTokenizer::close);
        BOUNDED.values().forEach(BertTokenizer::close);
    }

    /** Token ids and word ids of {@code text} through Graft, and through the whole-text reference, agree. */
    static void assertSameAsWholeText(String text, int limit) {
        Encoding whole = REFERENCE.get(limit).encode(text, true, false);
        try (TensorArena arena = TensorArena.root("bounded-test")) {
            EncodedBatch e = BOUNDED.get(limit).encodeWithWordIds(List.of(text), arena);
            int[] ids = e.tokens().inputIds().toIntArray();
            assertThat(Arrays.stream(ids).asLongStream().toArray())
                    .as("ids of a %d-char text at limit %d", text.length(), limit).containsExactly(whole.getIds());
            long[] words = whole.getWordIds();
            long[] special = whole.getSpecialTokenMask();
            int[] expected = new int[words.length];
            for (int t = 0; t < words.length; t++) {
                expected[t] = special[t] != 0 ? -1 : (int) words[t];
            }
            assertThat(e.wordIds(0)).as("word ids of a %d-char text at limit %d", text.length(), limit)
                    .containsExactly(expected);
        }
    }

    static Stream<String> realSentences() throws IOException {
        List<String> texts = new ArrayList<>();
        List<String> banking = Files.readAllLines(ModelResources.shared("datasets/banking77/test.csv"));
        for (String line : banking.subList(1, 301)) {
            texts.add(line.substring(0, line.lastIndexOf(',')));
        }
        Files.lines(ModelResources.shared("datasets/ud_english_ewt/en_ewt-ud-test.conllu"))
                .filter(l -> l.startsWith("# text = ")).limit(300).forEach(l -> texts.add(l.substring(9)));
        return texts.stream();
    }

    @Test
    void realSentencesAndTheirConcatenationTokeniseAsWholeTexts() throws IOException {
        List<String> sentences = realSentences().toList();
        for (int limit : LIMITS) {
            for (String s : sentences) {
                assertSameAsWholeText(s, limit);
            }
        }
        String document = String.join(" ", sentences); // ~30,000 characters: cut, at every limit
        for (int limit : LIMITS) {
            assertSameAsWholeText(document, limit);
        }
    }

    /** Long texts of many shapes, each about 20,000 characters: every limit, every place a cut can land. */
    static Stream<String> longTexts() {
        Random random = new Random(11);
        List<String> texts = new ArrayList<>();
        texts.add(repeat(i -> "a ", 10_000));                                       // many one-letter words
        texts.add(repeat(i -> "word" + i + (i % 7 == 0 ? ", " : " "), 2_000));      // words, digits, punctuation
        texts.add("x".repeat(20_000));                                                // one huge word
        texts.add("x".repeat(20_000) + " and then some words " + "y".repeat(300) + " end"); // huge words among words
        texts.add("hello" + " ".repeat(20_000) + "world " + "\t\n ".repeat(3_000) + "again"); // long whitespace runs
        texts.add(repeat(i -> "это проверка текста ", 1_000));                      // Cyrillic
        texts.add(repeat(i -> "这是一个测试句子，没有空格。", 1_500));                   // CJK, no spaces
        texts.add(repeat(i -> "ภาษาไทยไม่มีช่องว่าง", 1_000));                         // Thai: letters and marks, no spaces
        texts.add(repeat(i -> "ΟΔΥΣΣΕΥΣ ΚΑΙ ΠΗΝΕΛΟΠΗ ΣΑΣ. ", 800));                // Greek capitals, final sigma
        texts.add(repeat(i -> "café naïve résumé ", 1_200));                        // accents (NFD + strip)
        texts.add(repeat(i -> "مرحبا بالعالم ", 1_500));                              // Arabic
        texts.add(repeat(i -> "😀🎉👍", 4_000));                                     // emoji (symbols), no spaces
        texts.add(repeat(i -> "a\u0301\u0302", 7_000));                              // letters and combining marks
        texts.add(repeat(i -> "\u200B", 10_000) + " tail words here");              // characters the normaliser drops
        StringBuilder mixed = new StringBuilder();
        String[] pieces = {"the", " ", ",", "x".repeat(150), "тест", "中", "😀", "\u0301", "\t", "é", "-", "123", "ΣΑΣ"};
        while (mixed.length() < 20_000) {
            mixed.append(pieces[random.nextInt(pieces.length)]);
        }
        texts.add(mixed.toString());
        return texts.stream();
    }

    @ParameterizedTest
    @MethodSource("longTexts")
    void longTextsOfEveryShapeTokeniseExactlyAsTheWholeText(String text) {
        for (int limit : LIMITS) {
            assertSameAsWholeText(text, limit);
        }
    }

    @ParameterizedTest
    @MethodSource("longTexts")
    void preSplitWordsTokeniseExactlyAsAllTheWords(String text) {
        String[] words = text.split(" +");
        words = Arrays.stream(words).filter(w -> !w.isBlank()).toArray(String[]::new);
        for (int limit : LIMITS) {
            Encoding whole = REFERENCE.get(limit).encode(words, true, false);
            try (TensorArena arena = TensorArena.root("bounded-words")) {
                EncodedBatch e = BOUNDED.get(limit).encodeWords(List.of(List.of(words)), arena);
                assertThat(Arrays.stream(e.tokens().inputIds().toIntArray()).asLongStream().toArray())
                        .as("ids at limit %d", limit).containsExactly(whole.getIds());
                long[] wordIds = whole.getWordIds();
                for (int t = 1; t < wordIds.length - 1; t++) {
                    assertThat(e.wordId(0, t)).isEqualTo((int) wordIds[t]);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"words", "huge word", "whitespace", "cjk"})
    void aFiveMegabyteLineHandsTheNativeTokenizerOnlyWhatTheLimitNeeds(String shape) {
        int size = 5 << 20;
        String line = switch (shape) {
            case "words" -> repeat(i -> "lorem ipsum dolor sit amet ", size / 27);
            case "huge word" -> "x".repeat(size);
            case "whitespace" -> "start " + " ".repeat(size) + " end";
            default -> repeat(i -> "这是一个测试句子", size / 8);
        };
        BertTokenizer tokenizer = BOUNDED.get(MAX_POSITIONS);
        try (TensorArena arena = TensorArena.root("five-megabytes")) {
            long before = tokenizer.nativeCharacters();
            EncodedBatch e = tokenizer.encodeWithWordIds(List.of(line), arena);
            long handed = tokenizer.nativeCharacters() - before;
            assertThat(handed).as("characters handed to the native tokenizer for a %d-char line", line.length())
                    .isLessThan(20L * MAX_POSITIONS);
            assertThat(e.tokens().lengths()).containsExactly(switch (shape) {
                case "huge word" -> 3;      // [CLS] [UNK] [SEP]
                case "whitespace" -> 4;     // [CLS] start end [SEP]: the gap is read, but as one space
                default -> MAX_POSITIONS;
            });
            long wordsBefore = tokenizer.nativeCharacters();
            tokenizer.encodeWords(List.of(List.of(line.split(" +"))), arena);
            assertThat(tokenizer.nativeCharacters() - wordsBefore).as("pre-split words").isLessThan(20L * MAX_POSITIONS);
        }
    }

    @Test
    void withoutTruncationAFiveMegabyteLineIsRejectedAfterAPrefix() {
        try (BertTokenizer t = BertTokenizer.fromJson("minilm", ModelResources.bytes(MINILM_TOKENIZER),
                TokenizerSettings.forModel(VOCAB_SIZE, MAX_POSITIONS).withTruncation(false));
             TensorArena arena = TensorArena.root("no-truncation")) {
            String line = repeat(i -> "lorem ipsum dolor sit amet ", (5 << 20) / 27);
            assertThatThrownBy(() -> t.encode(List.of("fine", line), arena))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("input 1 has more than 512 tokens")
                    .hasMessageContaining("shorten it or switch truncation on");
            assertThat(t.nativeCharacters()).isLessThan(20L * MAX_POSITIONS);
        }
    }

    private static String repeat(java.util.function.IntFunction<String> piece, int times) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < times; i++) {
            sb.append(piece.apply(i));
        }
        return sb.toString();
    }
}
