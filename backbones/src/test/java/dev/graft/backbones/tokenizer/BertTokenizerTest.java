package dev.graft.backbones.tokenizer;

import static dev.graft.backbones.testing.ModelResources.BGE_TOKENIZER;
import static dev.graft.backbones.testing.ModelResources.E5_TOKENIZER;
import static dev.graft.backbones.testing.ModelResources.MAX_POSITIONS;
import static dev.graft.backbones.testing.ModelResources.MINILM_TOKENIZER;
import static dev.graft.backbones.testing.ModelResources.VOCAB_SIZE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.backbones.testing.ModelResources;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BertTokenizerTest {

    @TempDir
    static Path dir;

    static Path minilm;
    static BertTokenizer tokenizer;
    TensorArena arena;

    @BeforeAll
    static void openTokenizer() throws IOException {
        minilm = ModelResources.extract(MINILM_TOKENIZER, dir);
        tokenizer = BertTokenizer.open(minilm, VOCAB_SIZE, MAX_POSITIONS);
    }

    @AfterAll
    static void closeTokenizer() {
        tokenizer.close();
    }

    @BeforeEach
    void openArena() {
        arena = TensorArena.root("tokenizer-test");
    }

    @AfterEach
    void closeArena() {
        arena.close();
        assertThat(arena.allocatedBytes()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {MINILM_TOKENIZER, BGE_TOKENIZER, E5_TOKENIZER})
    void helloWorldHasTheKnownIdsInEveryEmbeddedTokenizer(String resource) throws IOException {
        try (BertTokenizer t = BertTokenizer.open(ModelResources.extract(resource, dir), VOCAB_SIZE, MAX_POSITIONS)) {
            TokenBatch b = t.encode(List.of("Hello world"), arena);
            assertThat(b.inputIds().shape()).containsExactly(1, 4);
            assertThat(b.inputIds().toIntArray()).containsExactly(101, 7592, 2088, 102);
            assertThat(b.attentionMask().toIntArray()).containsExactly(1, 1, 1, 1);
            assertThat(b.tokenTypeIds().toIntArray()).containsExactly(0, 0, 0, 0);
            assertThat(b.lengths()).containsExactly(4);
        }
    }

    @Test
    void fromJsonReadsResourceBytesLikeAFile() {
        try (BertTokenizer t = BertTokenizer.fromJson(MINILM_TOKENIZER, ModelResources.bytes(MINILM_TOKENIZER),
                TokenizerSettings.forModel(VOCAB_SIZE, MAX_POSITIONS))) {
            assertThat(t.encode(List.of("hello world"), arena).inputIds().toIntArray()).containsExactly(101, 7592, 2088, 102);
            assertThat(t.source()).isEqualTo(MINILM_TOKENIZER);
        }
    }

    @Test
    void mixedLengthBatchIsPaddedToItsLongestWithMaskZero() {
        List<String> texts = List.of("hello world", "A man is playing a large flute in the park.", "", "good morning");
        TokenBatch b = tokenizer.encode(texts, arena);
        int[] lengths = new int[texts.size()];
        for (int i = 0; i < texts.size(); i++) {
            lengths[i] = tokenizer.encode(List.of(texts.get(i)), arena).tokens();
        }
        int width = Arrays.stream(lengths).max().orElseThrow();
        assertThat(width).isLessThan(128); // the file's own "pad to 128" is overridden
        assertThat(b.tokens()).isEqualTo(width);
        assertThat(b.batchSize()).isEqualTo(4);
        assertThat(b.lengths()).containsExactly(lengths);
        assertThat(lengths[2]).as("empty string -> [CLS] [SEP]").isEqualTo(2);

        int[] ids = b.inputIds().toIntArray();
        int[] mask = b.attentionMask().toIntArray();
        for (int i = 0; i < texts.size(); i++) {
            int[] alone = tokenizer.encode(List.of(texts.get(i)), arena).inputIds().toIntArray();
            for (int t = 0; t < width; t++) {
                boolean real = t < lengths[i];
                assertThat(mask[i * width + t]).isEqualTo(real ? 1 : 0);
                assertThat(ids[i * width + t]).isEqualTo(real ? alone[t] : tokenizer.padId());
            }
            assertThat(ids[i * width]).isEqualTo(101);
            assertThat(ids[i * width + lengths[i] - 1]).isEqualTo(102);
        }
        assertThat(tokenizer.padId()).isZero();
        assertThat(Arrays.copyOfRange(ids, 2 * width, 2 * width + 2)).containsExactly(101, 102);
        assertThat(b.tokenTypeIds().toIntArray()).containsOnly(0);
    }

    @Test
    void truncatesToAConfiguredMaxLengthKeepingSep() {
        try (BertTokenizer t = BertTokenizer.fromJson("minilm", ModelResources.bytes(MINILM_TOKENIZER),
                TokenizerSettings.forModel(VOCAB_SIZE, MAX_POSITIONS).withMaxLength(8))) {
            TokenBatch b = t.encode(List.of("one two three four five six seven eight nine ten", "short"), arena);
            assertThat(b.tokens()).isEqualTo(8);
            assertThat(b.lengths()).containsExactly(8, 3);
            int[] ids = b.inputIds().toIntArray();
            int[] full = tokenizer.encode(List.of("one two three four five six seven eight nine ten"), arena).inputIds().toIntArray();
            assertThat(Arrays.copyOf(ids, 7)).containsExactly(Arrays.copyOf(full, 7));
            assertThat(ids[7]).isEqualTo(102);
        }
    }

    @Test
    void truncatesAtThePositionTableByDefault() {
        TokenBatch b = tokenizer.encode(List.of(words(600)), arena);
        assertThat(b.lengths()).containsExactly(MAX_POSITIONS);
        assertThat(b.inputIds().getInt(MAX_POSITIONS - 1)).isEqualTo(102);
    }

    @Test
    void withoutTruncationATooLongInputNamesTheLimitAndTheIndex() {
        try (BertTokenizer t = BertTokenizer.fromJson("minilm", ModelResources.bytes(MINILM_TOKENIZER),
                TokenizerSettings.forModel(VOCAB_SIZE, MAX_POSITIONS).withTruncation(false))) {
            // 300 tokens: longer than the file's own truncation (128), shorter than the position table: kept whole
            assertThat(t.encode(List.of(words(298)), arena).lengths()).containsExactly(300);
            assertThatThrownBy(() -> t.encode(List.of("fine", words(600)), arena))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("input 1")
                    .hasMessageContaining("602 tokens")
                    .hasMessageContaining("512")
                    .hasMessageContaining("position table");
        }
    }

    @Test
    void sentencePairsGetTokenTypeOneForTheSecond() {
        TokenBatch b = tokenizer.encodePairs(List.of("hello world", "good"), List.of("good morning", "hello world"), arena);
        assertThat(b.tokens()).isEqualTo(7);
        assertThat(b.lengths()).containsExactly(7, 6);
        assertThat(b.inputIds().toIntArray()).containsExactly(
                101, 7592, 2088, 102, 2204, 2851, 102,
                101, 2204, 102, 7592, 2088, 102, 0);
        assertThat(b.tokenTypeIds().toIntArray()).containsExactly(
                0, 0, 0, 0, 1, 1, 1,
                0, 0, 0, 1, 1, 1, 0);
        assertThat(b.attentionMask().toIntArray()).containsExactly(
                1, 1, 1, 1, 1, 1, 1,
                1, 1, 1, 1, 1, 1, 0);
        assertThatThrownBy(() -> tokenizer.encodePairs(List.of("a", "b"), List.of("c"), arena))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 first").hasMessageContaining("1 second");
    }

    @Test
    void truncatedPairsKeepBothSentencesAndBothSeparators() {
        try (BertTokenizer t = BertTokenizer.fromJson("minilm", ModelResources.bytes(MINILM_TOKENIZER),
                TokenizerSettings.forModel(VOCAB_SIZE, MAX_POSITIONS).withMaxLength(9))) {
            TokenBatch b = t.encodePairs(List.of(words(10)), List.of(words(3)), arena);
            assertThat(b.lengths()).containsExactly(9);
            int[] ids = b.inputIds().toIntArray();
            int[] types = b.tokenTypeIds().toIntArray();
            // the longer first sentence is cut first: [CLS] 3 words [SEP] 3 words [SEP]
            assertThat(ids[0]).isEqualTo(101);
            assertThat(ids[4]).isEqualTo(102);
            assertThat(ids[8]).isEqualTo(102);
            assertThat(types).containsExactly(0, 0, 0, 0, 0, 1, 1, 1, 1);
        }
    }

    @Test
    void preSplitWordsKeepTheirOwnWordIdsEvenWhenTheTokenizerSplitsThemFurther() {
        EncodedBatch e = tokenizer.encodeWords(List.of(List.of("I", "do", "n't", "know"), List.of("Hello", ".")), arena);
        int[] ids = e.wordIds(0);
        // "n't" becomes three word pieces (n ' t); all of them belong to word 2 of the given four.
        assertThat(Arrays.stream(ids).filter(w -> w == 2).count()).isEqualTo(3);
        assertThat(Arrays.stream(ids).filter(w -> w >= 0).max().getAsInt()).isEqualTo(3);
        assertThat(ids[0]).isEqualTo(-1);
        assertThat(e.wordIds(1)).startsWith(-1, 0, 1, -1);
        assertThat(e.tokens().lengths()).containsExactly(8, 4);
    }

    @Test
    void preSplitWordsRejectEmptyInputNamingTheSentenceAndWord() {
        assertThatThrownBy(() -> tokenizer.encodeWords(List.of(), arena)).hasMessageContaining("empty batch");
        assertThatThrownBy(() -> tokenizer.encodeWords(List.of(List.of("a"), List.of()), arena))
                .hasMessageContaining("sentence 1 has no words");
        assertThatThrownBy(() -> tokenizer.encodeWords(List.of(List.of("a", " ")), arena))
                .hasMessageContaining("sentence 0, word 1 is blank");
    }

    @Test
    void wordIdsMapSubTokensToTheirWordAndSpecialTokensToMinusOne() {
        EncodedBatch e = tokenizer.encodeWithWordIds(List.of("tokenization works", "hello"), arena);
        assertThat(e.tokens().inputIds().toIntArray()).containsExactly(
                101, 19204, 3989, 2573, 102,
                101, 7592, 102, 0, 0);
        assertThat(e.wordIds(0)).containsExactly(-1, 0, 0, 1, -1);
        assertThat(e.wordIds(1)).containsExactly(-1, 0, -1, -1, -1);
        assertThat(e.wordId(0, 2)).isZero();
    }

    @Test
    void emptyBatchAndNullTextAreRejected() {
        assertThatThrownBy(() -> tokenizer.encode(List.of(), arena))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty batch");
        assertThatThrownBy(() -> tokenizer.encode(Arrays.asList("a", null), arena))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("texts[1] is null");
    }

    @Test
    void vocabularyThatDoesNotMatchTheEmbeddingTableIsRejected() {
        assertThatThrownBy(() -> BertTokenizer.open(minilm, 30_000, MAX_POSITIONS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(minilm.toString())
                .hasMessageContaining("30522")
                .hasMessageContaining("30000");
        assertThatThrownBy(() -> BertTokenizer.open(minilm, 40_000, MAX_POSITIONS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("30522").hasMessageContaining("40000");
    }

    @Test
    void missingFileIsNamed() {
        Path missing = dir.resolve("no-such-tokenizer.json");
        assertThatThrownBy(() -> BertTokenizer.open(missing, VOCAB_SIZE, MAX_POSITIONS))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(missing.toString());
    }

    @Test
    void truncatedJsonIsRejectedWithTheFileName() throws IOException {
        byte[] all = Files.readAllBytes(minilm);
        Path broken = Files.write(dir.resolve("truncated-tokenizer.json"), Arrays.copyOf(all, all.length / 2));
        assertThatThrownBy(() -> BertTokenizer.open(broken, VOCAB_SIZE, MAX_POSITIONS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(broken.toString())
                .hasMessageContaining("not a valid tokenizer.json");
    }

    @Test
    void jsonThatIsNotATokenizerIsRejectedWithTheFileName() throws IOException {
        Path notTokenizer = Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 384}");
        assertThatThrownBy(() -> BertTokenizer.open(notTokenizer, VOCAB_SIZE, MAX_POSITIONS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(notTokenizer.toString())
                .hasMessageContaining("no model.vocab");
    }

    @Test
    void aTokenizerTheNativeParserRejectsFailsCleanly() {
        // A vocabulary the Java check accepts but an unknown model type the Rust parser refuses: no JVM crash.
        StringBuilder json = new StringBuilder("{\"version\":\"1.0\",\"model\":{\"type\":\"NoSuchModel\",\"vocab\":{");
        for (int i = 0; i < 5; i++) {
            json.append(i == 0 ? "" : ",").append("\"t").append(i).append("\":").append(i);
        }
        json.append("}}}");
        assertThatThrownBy(() -> BertTokenizer.fromJson("weird-tokenizer.json", json.toString().getBytes(StandardCharsets.UTF_8),
                TokenizerSettings.forModel(5, MAX_POSITIONS)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("weird-tokenizer.json");
    }

    @Test
    void settingsAreValidated() {
        assertThatThrownBy(() -> TokenizerSettings.forModel(VOCAB_SIZE, 512).withMaxLength(513))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxLength").hasMessageContaining("512");
        assertThatThrownBy(() -> TokenizerSettings.forModel(0, 512))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vocabSize");
    }

    @Test
    void closedTokenizerThrowsInsteadOfTouchingFreedMemory() {
        BertTokenizer t = BertTokenizer.fromJson("minilm", ModelResources.bytes(MINILM_TOKENIZER),
                TokenizerSettings.forModel(VOCAB_SIZE, MAX_POSITIONS));
        t.close();
        t.close(); // idempotent
        assertThatThrownBy(() -> t.encode(List.of("hello"), arena))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void oneInstanceIsSharedByThreads() throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            texts.add(words(i * 7 + 1));
        }
        int[] expected = tokenizer.encode(texts, arena).inputIds().toIntArray();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<int[]>> results = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                results.add(pool.submit(() -> tokenizer.encode(texts, arena).inputIds().toIntArray()));
            }
            for (Future<int[]> f : results) {
                assertThat(f.get()).containsExactly(expected);
            }
        } finally {
            pool.shutdown();
        }
    }

    /** {@code n} distinct common words, one token each. */
    private static String words(int n) {
        String[] vocab = {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "far"};
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : " ").append(vocab[i % vocab.length]);
        }
        return sb.toString();
    }
}
