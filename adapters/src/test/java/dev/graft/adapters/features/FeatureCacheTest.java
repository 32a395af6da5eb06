package dev.graft.adapters.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.graft.adapters.compose.BackbonePass;
import dev.graft.adapters.compose.Inputs;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.FeatureKind;
import dev.graft.adapters.head.FeatureRows;
import dev.graft.adapters.head.LayerSelection;
import dev.graft.adapters.testing.CountingKernels;
import dev.graft.adapters.testing.MiniLm;
import dev.graft.adapters.testing.TinyBackbone;
import dev.graft.backbones.huggingface.HfBertDirectory;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.core.backbone.Pooling;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.io.Safetensors;
import dev.graft.core.io.SafetensorsFile;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import dev.graft.core.tensor.TensorFileReader;
import dev.graft.core.tensor.TensorFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeatureCacheTest {
    static final List<String> TEXTS = List.of("How do I locate my card?", "Why was I charged twice for one coffee?",
            "Transfer", "Can I get a refund for a purchase I did not make, even though it was two weeks ago?",
            "My card is stuck in the ATM.");
    static final List<List<String>> SENTENCES = List.of(List.of("I", "do", "n't", "know", "."),
            List.of("Chennai", "is", "hot"), List.of("Yes"));

    static Kernels real;
    static CountingKernels counting;
    static BertBackbone backbone;
    static BackboneInfo info;

    @TempDir
    Path dir;

    @BeforeAll
    static void open() throws Exception {
        real = Kernels.create(2);
        counting = new CountingKernels(real);
        backbone = MiniLm.open(counting.kernels());
        info = BackboneInfo.of(backbone);
    }

    @AfterAll
    static void close() {
        backbone.close();
        real.close();
    }

    @Test
    void pooledFeaturesAreWhatInferenceComputesAndASecondRunSkipsTheBackbone() throws Exception {
        FeatureCache cache = new FeatureCache(dir);
        FeatureKind kind = new FeatureKind.Pooled(Pooling.MEAN, LayerSelection.MIX);
        FeatureRows expected;
        try (TensorArena arena = TensorArena.root("direct");
             BackbonePass pass = BackbonePass.run(backbone, info, new Inputs.Texts(TEXTS), false, true, arena)) {
            expected = pass.rows(kind);
        }
        counting.reset();
        try (FeatureFile f = cache.features(backbone, new Inputs.Texts(TEXTS), kind, 2, FeatureCache.Progress.NONE)) {
            assertThat(f.fromCache()).isFalse();
            assertThat(counting.calls("layerNorm")).isEqualTo(3 * (1 + 2L * info.numLayers())); // 5 texts in batches of 2
            assertThat(f.rows()).isEqualTo(TEXTS.size());
            assertThat(f.stages()).isEqualTo(info.numLayers() + 1);
            float[] row = new float[f.rowSize()];
            for (int r = 0; r < f.rows(); r++) {
                f.features(r, row, 0);
                int input = f.input(r);
                for (int j = 0; j < row.length; j += 97) {
                    // batches here pad differently from the direct pass: the same up to float rounding
                    assertThat(row[j]).isCloseTo(expected.data()[input * f.rowSize() + j], within(2e-5f));
                }
            }
        }
        counting.reset();
        try (FeatureFile again = cache.features(backbone, new Inputs.Texts(TEXTS), kind, 2, FeatureCache.Progress.NONE)) {
            assertThat(again.fromCache()).isTrue();
            assertThat(counting.calls("layerNorm")).isZero();
        }
        try (FeatureFile other = cache.features(backbone, new Inputs.Texts(TEXTS.subList(0, 4)), kind, 2, FeatureCache.Progress.NONE)) {
            assertThat(other.fromCache()).as("other data, other file").isFalse();
        }
    }

    @Test
    void wordFeaturesHaveOneRowPerWordAndAreAPlainArrowFile() throws Exception {
        FeatureCache cache = new FeatureCache(dir);
        FeatureKind kind = new FeatureKind.WordTokens(LayerSelection.LAST);
        Path file;
        try (FeatureFile f = cache.features(backbone, new Inputs.Words(SENTENCES), kind, 8, FeatureCache.Progress.NONE)) {
            assertThat(f.rows()).isEqualTo(9);
            assertThat(f.stages()).isEqualTo(1);
            boolean[] onlyFirst = {true, false, false};
            assertThat(f.trainingSet(onlyFirst, (s, w) -> w).size()).isEqualTo(5);
            assertThat(f.trainingSet(null, (s, w) -> s == 1 ? -1 : 0).size()).as("negative labels are left out").isEqualTo(6);
            file = f.path();
        }
        try (TensorArena arena = TensorArena.root("reader");
             TensorFileReader reader = TensorFiles.open(file, arena.allocator())) {
            assertThat(reader.schema().getFields()).extracting(fld -> fld.getName()).containsExactly("features", "position");
            reader.loadBatch(0);
            assertThat(reader.tensor("features", arena).shape()).containsExactly(9, 1, 384);
        }
        Files.delete(dir.resolve(file.getFileName().toString().replace(".arrow", ".json")));
        try (FeatureFile f = cache.features(backbone, new Inputs.Words(SENTENCES), kind, 8, FeatureCache.Progress.NONE)) {
            assertThat(f.fromCache()).as("a file without its sidecar is not trusted").isFalse();
        }
    }

    /**
     * The tiny random model with finite weights that overflow for one token: two dimensions of the word embedding of
     * "lost" are 3e38, so the embedding LayerNorm's sums exceed the float range for it; every text with "lost" gets
     * NaN hidden states while the other texts stay finite.
     */
    static Path overflowingModel(Path dir) throws Exception {
        Path model = TinyBackbone.write(dir.resolve("tiny-overflow"), 11);
        Path weights = model.resolve(HfBertDirectory.WEIGHTS_FILE);
        Map<String, Tensor> patched = new LinkedHashMap<>();
        try (TensorArena arena = TensorArena.root("patch")) {
            Map<String, String> metadata;
            try (TensorArena read = arena.child("read")) {
                SafetensorsFile file = Safetensors.open(weights, read);
                metadata = file.metadata();
                for (String name : file.names()) {
                    Tensor t = file.tensor(name);
                    float[] v = t.toFloatArray();
                    if (name.equals("embeddings.word_embeddings.weight")) {
                        v[LOST_TOKEN * t.dim(1)] = 3.0e38f; // finite, but the embedding LayerNorm's float sums overflow
                        v[LOST_TOKEN * t.dim(1) + 1] = 3.0e38f;
                    }
                    patched.put(name, arena.copyOf(v, t.shape()));
                }
            }
            Safetensors.write(weights, patched, metadata);
        }
        return model;
    }

    /** The id of "lost" in TinyBackbone's vocabulary: 5 special tokens, 26 letters, then the, my, card, is, where, lost. */
    static final int LOST_TOKEN = 5 + 26 + 5;

    @Test
    void nonFiniteFeaturesAreNeverCachedAndTheInputIsNamed() throws Exception {
        Path cacheDir = dir.resolve("cache");
        FeatureCache cache = new FeatureCache(cacheDir);
        FeatureKind kind = new FeatureKind.Pooled(Pooling.MEAN, LayerSelection.LAST);
        List<String> texts = List.of("where is my card?", "the bank is closed", "my card is lost.", "a new card, please!");
        try (BertBackbone broken = TinyBackbone.open(overflowingModel(dir))) {
            try (FeatureFile fine = cache.features(broken, new Inputs.Texts(List.of(texts.get(0), texts.get(1))), kind, 2,
                    FeatureCache.Progress.NONE)) {
                assertThat(fine.firstNonFiniteRow()).as("only texts with the overflowing token are affected").isEqualTo(-1);
            }
            List<String> cachedBefore = list(cacheDir);
            assertThatThrownBy(() -> cache.features(broken, new Inputs.Texts(texts), kind, 2, FeatureCache.Progress.NONE,
                    i -> "train.csv:" + (i + 2)))
                    .isInstanceOf(NonFiniteFeaturesException.class)
                    .hasMessageContaining("train.csv:4").hasMessageContaining("input 3")
                    .hasMessageContaining("my card is lost.").hasMessageContaining("Nothing was cached")
                    .satisfies(e -> assertThat(((NonFiniteFeaturesException) e).input()).isEqualTo(2));
            assertThat(list(cacheDir)).as("no entry, no temporary file").isEqualTo(cachedBefore);
            assertThatThrownBy(() -> cache.features(broken, new Inputs.Words(List.of(List.of("lost"))),
                    new FeatureKind.WordTokens(LayerSelection.LAST), 2, FeatureCache.Progress.NONE))
                    .isInstanceOf(NonFiniteFeaturesException.class).hasMessageContaining("input 1 (\"lost\")");
            assertThat(list(cacheDir)).isEqualTo(cachedBefore);
        }
    }

    @Test
    void cacheFilesGetTheUmaskModeAndInterruptedWritesLeaveNothing() throws Exception {
        FeatureCache cache = new FeatureCache(dir.resolve("cache"));
        FeatureKind kind = new FeatureKind.Pooled(Pooling.MEAN, LayerSelection.LAST);
        try (FeatureFile f = cache.features(backbone, new Inputs.Texts(TEXTS), kind, 2, FeatureCache.Progress.NONE)) {
            String umaskMode = PosixFilePermissions.toString(Files.getPosixFilePermissions(Files.writeString(dir.resolve("ref"), "")));
            assumeTrue(umaskMode.startsWith("rw-r"), "needs a umask that lets the group read (0022), to tell it from 0600");
            assertThat(list(cache.dir())).hasSize(2).allSatisfy(name -> assertThat(PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(cache.dir().resolve(name)))).as(name).isEqualTo(umaskMode));
        }
        // a run that fails half-way (here: on the 2nd batch) leaves no temporary file in the cache
        assertThatThrownBy(() -> cache.features(backbone, new Inputs.Texts(TEXTS.subList(0, 4)), kind, 2,
                (done, total) -> {
                    if (done == 2) {
                        throw new IllegalStateException("interrupted (simulated)");
                    }
                })).hasMessageContaining("interrupted");
        assertThat(list(cache.dir())).hasSize(2);
    }

    static List<String> list(Path d) throws Exception {
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
