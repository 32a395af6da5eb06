package dev.graft.adapters.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.graft.adapters.compose.BackbonePass;
import dev.graft.adapters.compose.Inputs;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.FeatureKind;
import dev.graft.adapters.head.FeatureRows;
import dev.graft.adapters.head.LayerSelection;
import dev.graft.adapters.testing.CountingKernels;
import dev.graft.adapters.testing.MiniLm;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.core.backbone.Pooling;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.tensor.TensorArena;
import dev.graft.core.tensor.TensorFileReader;
import dev.graft.core.tensor.TensorFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
}
