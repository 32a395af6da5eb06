package dev.graft.jmh;

import dev.graft.adapters.data.CsvDataset;
import dev.graft.adapters.data.LabeledText;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.eval.StsBenchmark;
import dev.graft.backbones.eval.StsPair;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The real texts the backbone benchmark encodes, built deterministically from the STS Benchmark test split
 * ({@code <shared>/datasets/stsbenchmark/sts-test.csv}, both sentences of each row, in file order).
 *
 * <p>Where the data is: the system property {@code graft.shared.dir} (as in the tests), else {@code ../shared}
 * relative to the working directory (the layout when the benchmark runs from the project root, where the shared
 * directory is the project's sibling). A missing file is an error naming both.
 */
final class BackboneWorkload {
    /** A batch shape: sequences × tokens per sequence ([CLS] and [SEP] included). */
    enum Shape {
        B32_T128(32, 128), B1_T16(1, 16);

        final int batch;
        final int tokens;

        Shape(int batch, int tokens) {
            this.batch = batch;
            this.tokens = tokens;
        }

        /** As written in JMH parameters and tables: {@code 32x128}. */
        String label() {
            return batch + "x" + tokens;
        }

        /** Parses a JMH parameter value such as {@code 32x128}. */
        static Shape of(String value) {
            for (Shape s : values()) {
                if (value.equals(s.label())) {
                    return s;
                }
            }
            throw new IllegalArgumentException("unknown shape " + value + " (expected 32x128 or 1x16)");
        }
    }

    private BackboneWorkload() {
    }

    /** The shared data directory (see the class comment). */
    static Path sharedDir() {
        String prop = System.getProperty("graft.shared.dir");
        return Path.of(prop != null ? prop : "../shared").toAbsolutePath().normalize();
    }

    /** The banking77 test split: its questions as {@link #banking77Batch} samples them, and its sorted labels. */
    record Banking77(List<String> batch, List<String> labels) {
    }

    /**
     * {@code size} banking77 test questions spread over the file ({@code test[i·97 mod n]}: many intents, real
     * lengths) and the split's 77 labels, sorted.
     */
    static Banking77 banking77Batch(int size) throws IOException {
        List<LabeledText> test = CsvDataset.read(sharedDir().resolve("datasets/banking77/test.csv"), "text", "category");
        List<String> batch = IntStream.range(0, size).mapToObj(i -> test.get(i * 97 % test.size()).text()).toList();
        return new Banking77(batch, test.stream().map(LabeledText::label).distinct().sorted().toList());
    }

    /** Every sentence of the STS-B test split, sentence1 then sentence2 of each row, in file order. */
    static List<String> sentences() throws IOException {
        Path file = StsBenchmark.file(sharedDir(), StsBenchmark.Split.TEST);
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException(file + " not found: set -Dgraft.shared.dir=<dir holding datasets/"
                    + "stsbenchmark> or run from the project root with the shared directory beside it");
        }
        List<String> out = new ArrayList<>();
        for (StsPair p : StsBenchmark.read(file)) {
            out.add(p.sentence1());
            out.add(p.sentence2());
        }
        return out;
    }

    /**
     * Texts that tokenise to exactly {@code shape.tokens} tokens each with {@code backbone}'s tokenizer.
     * For 128: consecutive sentences joined by spaces until the text reaches 128 tokens (the tokenizer
     * truncates the rest). For shorter shapes: the first sentences that are exactly that long on their own.
     */
    static List<String> texts(BertBackbone backbone, Shape shape) throws IOException {
        if (backbone.maxLength() < shape.tokens) {
            throw new IllegalArgumentException("backbone truncates at " + backbone.maxLength() + " < " + shape.tokens);
        }
        List<String> sentences = sentences();
        List<String> texts = new ArrayList<>();
        int next = 0;
        try (TensorArena arena = TensorArena.root("workload")) {
            while (texts.size() < shape.batch) {
                if (next >= sentences.size()) {
                    throw new IllegalStateException("STS-B test has too few sentences for " + shape);
                }
                if (shape.tokens == backbone.maxLength()) {
                    StringBuilder text = new StringBuilder(sentences.get(next++));
                    while (tokens(backbone, text.toString(), arena) < shape.tokens) {
                        text.append(' ').append(sentences.get(next++));
                    }
                    texts.add(text.toString());
                } else {
                    String s = sentences.get(next++);
                    if (tokens(backbone, s, arena) == shape.tokens) {
                        texts.add(s);
                    }
                }
            }
        }
        return texts;
    }

    /** Tokens of one text (after truncation), special tokens included. */
    private static int tokens(BertBackbone backbone, String text, TensorArena arena) {
        try (TensorArena scratch = arena.child("count")) {
            return backbone.tokenize(List.of(text), scratch).tokens();
        }
    }

    /** Tokenises {@code texts} into {@code arena} and checks the batch has exactly the shape asked for. */
    static TokenBatch tokenize(BertBackbone backbone, List<String> texts, Shape shape, TensorArena arena) {
        TokenBatch batch = backbone.tokenize(texts, arena);
        if (batch.batchSize() != shape.batch || batch.tokens() != shape.tokens) {
            throw new IllegalStateException("tokenised batch is " + batch.batchSize() + "x" + batch.tokens()
                    + ", expected " + shape);
        }
        for (int len : batch.lengths()) {
            if (len != shape.tokens) {
                throw new IllegalStateException("a sequence has " + len + " real tokens, expected " + shape.tokens);
            }
        }
        return batch;
    }
}
