package dev.graft.backbones.huggingface;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.backbones.bert.BertCheckpoint;
import dev.graft.backbones.bert.BertConfig;
import dev.graft.backbones.bert.BertLayerWeights;
import dev.graft.backbones.bert.BertWeights;
import dev.graft.backbones.bert.LayerNormWeights;
import dev.graft.backbones.bert.Linear;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Small random BERT checkpoints built in memory, and comparisons of weights by their logical matrices. */
public final class HfTestModels {
    /** vocab 50, hidden 16, 2 layers, 4 heads, intermediate 32, 20 positions, 2 token types. */
    public static final BertConfig TINY = new BertConfig(50, 16, 2, 4, 32, 20, 2, 1e-12f);

    static final String TOKENIZER_JSON = "{\"version\":\"1.0\",\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"[PAD]\":0,\"[UNK]\":1}}}";

    private HfTestModels() {
    }

    /** Random weights; Linear weights {@code [out, in]} when {@code outIn}, else {@code [in, out]} as ONNX stores them. */
    public static BertWeights randomWeights(TensorArena arena, BertConfig c, boolean outIn, long seed) {
        Random r = new Random(seed);
        int h = c.hiddenSize();
        int i = c.intermediateSize();
        List<BertLayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "encoder.layer." + l + ".";
            layers.add(new BertLayerWeights(
                    linear(arena, r, p + "attention.self.query", h, h, outIn),
                    linear(arena, r, p + "attention.self.key", h, h, outIn),
                    linear(arena, r, p + "attention.self.value", h, h, outIn),
                    linear(arena, r, p + "attention.output.dense", h, h, outIn),
                    norm(arena, r, p + "attention.output.LayerNorm", h),
                    linear(arena, r, p + "intermediate.dense", h, i, outIn),
                    linear(arena, r, p + "output.dense", i, h, outIn),
                    norm(arena, r, p + "output.LayerNorm", h)));
        }
        return new BertWeights(c, random(arena, r, c.vocabSize(), h), random(arena, r, c.maxPositions(), h),
                random(arena, r, c.typeVocabSize(), h), norm(arena, r, "embeddings.LayerNorm", h), layers);
    }

    /** A checkpoint over {@code weights} whose tokenizer file is a tiny fixture written into {@code dir}. */
    public static BertCheckpoint checkpoint(Path dir, BertWeights weights, TensorArena arena) throws IOException {
        Path tokenizer = Files.writeString(dir.resolve("source-tokenizer.json"), TOKENIZER_JSON);
        return new BertCheckpoint("random-test-model", dir.resolve("source.onnx"), tokenizer, weights, arena);
    }

    private static Tensor random(TensorArena a, Random r, long... shape) {
        Tensor t = a.allocate(DType.F32, shape);
        for (long k = 0; k < t.elementCount(); k++) {
            t.setFloat(k, (float) r.nextGaussian());
        }
        return t.asReadOnly();
    }

    private static Linear linear(TensorArena a, Random r, String name, int in, int out, boolean outIn) {
        Tensor w = outIn ? random(a, r, out, in) : random(a, r, in, out);
        return new Linear(name, w, outIn, random(a, r, out));
    }

    private static LayerNormWeights norm(TensorArena a, Random r, String name, int width) {
        return new LayerNormWeights(name, random(a, r, width), random(a, r, width));
    }

    /** The weight as an {@code [out, in]} row-major array, whatever layout it is stored in. */
    static float[] outInMatrix(Linear l) {
        float[] stored = l.weight().toFloatArray();
        if (l.outIn()) {
            return stored;
        }
        int in = l.in();
        int out = l.out();
        float[] m = new float[stored.length];
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) {
                m[o * in + i] = stored[i * out + o];
            }
        }
        return m;
    }

    /** Every tensor of {@code actual} equals {@code expected}'s, Linear weights compared as logical matrices. */
    static void assertSameWeights(BertWeights expected, BertWeights actual) {
        assertThat(actual.config()).isEqualTo(expected.config());
        assertThat(actual.wordEmbeddings().toFloatArray()).containsExactly(expected.wordEmbeddings().toFloatArray());
        assertThat(actual.positionEmbeddings().toFloatArray()).containsExactly(expected.positionEmbeddings().toFloatArray());
        assertThat(actual.tokenTypeEmbeddings().toFloatArray()).containsExactly(expected.tokenTypeEmbeddings().toFloatArray());
        assertSameNorm(expected.embeddingNorm(), actual.embeddingNorm());
        assertThat(actual.layers()).hasSameSizeAs(expected.layers());
        for (int l = 0; l < expected.layers().size(); l++) {
            BertLayerWeights e = expected.layers().get(l);
            BertLayerWeights a = actual.layers().get(l);
            assertSameLinear(e.query(), a.query());
            assertSameLinear(e.key(), a.key());
            assertSameLinear(e.value(), a.value());
            assertSameLinear(e.attentionOutput(), a.attentionOutput());
            assertSameNorm(e.attentionNorm(), a.attentionNorm());
            assertSameLinear(e.intermediate(), a.intermediate());
            assertSameLinear(e.output(), a.output());
            assertSameNorm(e.outputNorm(), a.outputNorm());
        }
        assertThat(actual.parameterCount()).isEqualTo(expected.parameterCount());
    }

    private static void assertSameLinear(Linear e, Linear a) {
        assertThat(a.name()).isEqualTo(e.name());
        assertThat(a.in()).as(a.name()).isEqualTo(e.in());
        assertThat(a.out()).as(a.name()).isEqualTo(e.out());
        assertThat(outInMatrix(a)).as(a.name() + ".weight").containsExactly(outInMatrix(e));
        assertThat(a.bias().toFloatArray()).as(a.name() + ".bias").containsExactly(e.bias().toFloatArray());
    }

    private static void assertSameNorm(LayerNormWeights e, LayerNormWeights a) {
        assertThat(a.gamma().toFloatArray()).as(a.name() + ".weight").containsExactly(e.gamma().toFloatArray());
        assertThat(a.beta().toFloatArray()).as(a.name() + ".bias").containsExactly(e.beta().toFloatArray());
    }
}
