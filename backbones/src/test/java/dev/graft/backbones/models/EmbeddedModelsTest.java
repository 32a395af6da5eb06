package dev.graft.backbones.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.backbones.bert.BertCheckpoint;
import dev.graft.backbones.bert.BertConfig;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The registry of models embedded in Maven jars, extraction into the cache, and opening. */
class EmbeddedModelsTest {
    @TempDir
    Path cacheDir;

    @Test
    void listsTheThreeModelsDefaultFirst() {
        assertThat(EmbeddedModels.names()).containsExactly("all-minilm-l6-v2", "bge-small-en-v15", "e5-small-v2");
        assertThat(EmbeddedModels.defaultName()).isEqualTo("all-minilm-l6-v2");
        assertThat(EmbeddedModels.all()).extracting(EmbeddedModel::name).containsExactlyElementsOf(EmbeddedModels.names());
    }

    @Test
    void carriesEachModelCardsConventions() {
        EmbeddedModel minilm = EmbeddedModels.get("all-minilm-l6-v2");
        EmbeddedModel bge = EmbeddedModels.get("bge-small-en-v15");
        EmbeddedModel e5 = EmbeddedModels.get("e5-small-v2");
        assertThat(minilm.pooling()).isEqualTo(dev.graft.core.backbone.Pooling.MEAN);
        assertThat(bge.pooling()).isEqualTo(dev.graft.core.backbone.Pooling.CLS);
        assertThat(e5.pooling()).isEqualTo(dev.graft.core.backbone.Pooling.MEAN);
        assertThat(e5.queryPrefix()).isEqualTo("query: ");
        assertThat(e5.passagePrefix()).isEqualTo("passage: ");
        assertThat(minilm.queryPrefix()).isEmpty();
        assertThat(minilm.passagePrefix()).isEmpty();
        assertThat(bge.passagePrefix()).isEmpty();
        assertThat(EmbeddedModels.all()).allMatch(EmbeddedModel::normalize);
        assertThat(bge.onnxResource()).isEqualTo("bge-small-en-v1.5.onnx");
        assertThat(bge.tokenizerResource()).isEqualTo("bge-small-en-v1.5-tokenizer.json");
    }

    @Test
    void anUnknownNameListsTheKnownOnes() {
        assertThatThrownBy(() -> EmbeddedModels.get("bert-base-uncased"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("bert-base-uncased", "all-minilm-l6-v2", "bge-small-en-v15", "e5-small-v2");
        assertThatThrownBy(() -> EmbeddedModels.open("nope", new ModelCache(cacheDir)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("all-minilm-l6-v2");
    }

    @Test
    void extractsOnceIntoTheCacheAndReusesTheFiles() throws IOException {
        ModelCache cache = new ModelCache(cacheDir);
        Path onnx;
        Path tokenizer;
        FileTime onnxTime;
        FileTime tokenizerTime;
        try (BertCheckpoint cp = EmbeddedModels.open("all-minilm-l6-v2", cache)) {
            onnx = cp.weightsFile();
            tokenizer = cp.tokenizerFile();
            assertThat(onnx.getParent()).isEqualTo(cacheDir);
            // name carries the jar entry's size and CRC-32
            assertThat(onnx.getFileName()).hasToString("all-minilm-l6-v2-90387606-d89d07a7.onnx");
            assertThat(tokenizer.getFileName()).hasToString("all-minilm-l6-v2-tokenizer-711661-c3f77764.json");
            assertThat(Files.size(onnx)).isEqualTo(90387606L);
            Path plain = Files.createFile(cacheDir.resolve("plain"));
            assertThat(Files.getPosixFilePermissions(onnx)).as("the mode the umask gives, not owner-only")
                    .isEqualTo(Files.getPosixFilePermissions(plain));
            Files.delete(plain);
            assertThat(Files.readString(tokenizer)).contains("\"vocab\"");
            assertThat(cp.config()).isEqualTo(new BertConfig(30522, 384, 6, 12, 1536, 512, 2, 1e-12f));
            assertThat(cp.name()).isEqualTo("all-minilm-l6-v2");
            assertThat(cp.arena().allocatedBytes()).isEqualTo(90387606L);
            onnxTime = Files.getLastModifiedTime(onnx);
            tokenizerTime = Files.getLastModifiedTime(tokenizer);
            TensorArena arena = cp.arena();
            cp.close();
            assertThat(arena.isClosed()).isTrue();
            assertThat(arena.allocatedBytes()).isZero();
        }
        try (BertCheckpoint again = EmbeddedModels.open("all-minilm-l6-v2", cache)) {
            assertThat(again.weightsFile()).isEqualTo(onnx);
            assertThat(Files.getLastModifiedTime(onnx)).isEqualTo(onnxTime);
            assertThat(Files.getLastModifiedTime(tokenizer)).isEqualTo(tokenizerTime);
        }
        try (Stream<Path> files = Files.list(cacheDir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList())
                    .as("no temporary files left behind")
                    .containsExactlyInAnyOrder("all-minilm-l6-v2-90387606-d89d07a7.onnx", "all-minilm-l6-v2-tokenizer-711661-c3f77764.json");
        }
    }

    /**
     * A cached model file of the right size whose bytes were damaged (here: one float of a weight set to NaN in
     * place) is not reused: its CRC-32 does not match the one in its name, so it is extracted again over itself, with
     * a one-line warning.
     */
    @Test
    void aCorruptedCachedFileOfTheRightSizeIsExtractedAgain() throws IOException {
        ModelCache cache = new ModelCache(cacheDir);
        EmbeddedModel model = EmbeddedModels.get("all-minilm-l6-v2");
        Path onnx = EmbeddedModels.extract(model, cache).onnx();
        long size = Files.size(onnx);
        byte[] original = new byte[4096];
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(onnx, java.nio.file.StandardOpenOption.READ,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.read(java.nio.ByteBuffer.wrap(original), size / 2);
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {0, 0, (byte) 0xc0, 0x7f}), size / 2); // a NaN, mid-file
        }
        assertThat(Files.size(onnx)).isEqualTo(size);
        assertThat(ModelCache.crc32(onnx)).isNotEqualTo(0xd89d07a7L);

        java.util.logging.Logger log = java.util.logging.Logger.getLogger("dev.graft.models");
        List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                warnings.add(r.getLevel() + " " + r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(capture);
        try (BertCheckpoint cp = EmbeddedModels.open("all-minilm-l6-v2", cache)) {
            assertThat(cp.weightsFile()).isEqualTo(onnx);
            assertThat(ModelCache.crc32(onnx)).as("extracted again").isEqualTo(0xd89d07a7L);
        } finally {
            log.removeHandler(capture);
        }
        assertThat(warnings).singleElement().asString()
                .startsWith("WARNING model cache: " + onnx + " is corrupt (CRC-32 ")
                .contains("its name says d89d07a7").contains("extracting it again from ").doesNotContain("\n");
        byte[] now = new byte[4096];
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(onnx)) {
            ch.read(java.nio.ByteBuffer.wrap(now), size / 2);
        }
        assertThat(now).isEqualTo(original);
        try (Stream<Path> files = Files.list(cacheDir)) {
            assertThat(files.filter(p -> p.getFileName().toString().startsWith(".")).toList()).as("no temporary files").isEmpty();
        }
    }

    /**
     * A JVM killed mid-extraction leaves its temporary file; the next JVM that uses the cache (here the one named by
     * {@code graft.cache.dir}) deletes it, whether or not it needs to extract anything. A temporary file of a live
     * process and files of other names are left alone.
     */
    @Test
    void aStaleTemporaryFileOfADeadProcessIsSwept() throws Exception {
        Process done = new ProcessBuilder("true").start();
        done.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(done.isAlive()).isFalse();
        Path stale = Files.writeString(cacheDir.resolve(".all-minilm-l6-v2-90387606-d89d07a7.onnx.graft-" + done.pid() + "-0123abcd.tmp"),
                "half an extraction");
        Path mine = Files.writeString(cacheDir.resolve(".other.onnx.graft-" + ProcessHandle.current().pid() + "-0123abcd.tmp"),
                "being written");
        Path notes = Files.writeString(cacheDir.resolve("NOTES.md"), "mine");
        String before = System.getProperty(ModelCache.CACHE_DIR_PROPERTY);
        try {
            System.setProperty(ModelCache.CACHE_DIR_PROPERTY, cacheDir.toString());
            try (BertCheckpoint cp = EmbeddedModels.open("all-minilm-l6-v2", ModelCache.atDefaultLocation())) {
                assertThat(cp.weightsFile().getParent()).isEqualTo(cacheDir);
            }
        } finally {
            if (before == null) {
                System.clearProperty(ModelCache.CACHE_DIR_PROPERTY);
            } else {
                System.setProperty(ModelCache.CACHE_DIR_PROPERTY, before);
            }
        }
        assertThat(stale).doesNotExist();
        assertThat(mine).hasContent("being written");
        assertThat(notes).hasContent("mine");
        try (Stream<Path> files = Files.list(cacheDir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactlyInAnyOrder(
                    "all-minilm-l6-v2-90387606-d89d07a7.onnx", "all-minilm-l6-v2-tokenizer-711661-c3f77764.json",
                    mine.getFileName().toString(), "NOTES.md");
        }
    }

    /** A failed extraction (a cache file that cannot be replaced) leaves no temporary file behind. */
    @Test
    void aFailedExtractionLeavesNoTemporaryFile() throws IOException {
        Path blocker = Files.createDirectories(cacheDir.resolve("all-minilm-l6-v2-tokenizer-711661-c3f77764.json").resolve("x"));
        ModelCache cache = new ModelCache(cacheDir);
        assertThatThrownBy(() -> EmbeddedModels.extract(EmbeddedModels.get("all-minilm-l6-v2"), cache))
                .isInstanceOf(IOException.class).hasMessageContaining("all-minilm-l6-v2-tokenizer-711661-c3f77764.json");
        assertThat(blocker).isDirectory();
        try (Stream<Path> files = Files.list(cacheDir)) {
            assertThat(files.filter(p -> p.getFileName().toString().startsWith(".")).toList()).as("no temporary files").isEmpty();
        }
        assertThat(dev.graft.core.fs.TempFiles.inProgress()).noneMatch(p -> p.startsWith(cacheDir));
    }

    @Test
    void aCachedFileOfTheWrongSizeIsReplaced() throws IOException {
        ModelCache cache = new ModelCache(cacheDir);
        Path stale = cacheDir.resolve("all-minilm-l6-v2-tokenizer-711661-c3f77764.json");
        Files.writeString(stale, "{\"half\": ");
        Path onnx = cacheDir.resolve("all-minilm-l6-v2-90387606-d89d07a7.onnx");
        Files.write(onnx, new byte[1000]); // e.g. left by a crashed copy that did not write atomically
        EmbeddedModels.ModelFiles files = EmbeddedModels.extract(EmbeddedModels.get("all-minilm-l6-v2"), cache);
        assertThat(files.tokenizer()).isEqualTo(stale);
        assertThat(Files.size(stale)).isEqualTo(711661L);
        assertThat(Files.size(onnx)).isEqualTo(90387606L);
    }

    @Test
    void theCacheDirectoryComesFromThePropertyThenTheEnvironmentThenTheHomeDirectory() {
        String before = System.getProperty(ModelCache.CACHE_DIR_PROPERTY);
        try {
            System.setProperty(ModelCache.CACHE_DIR_PROPERTY, cacheDir.toString());
            assertThat(ModelCache.defaultDirectory()).isEqualTo(cacheDir);
            assertThat(ModelCache.atDefaultLocation().directory()).isEqualTo(cacheDir.toAbsolutePath());
            System.clearProperty(ModelCache.CACHE_DIR_PROPERTY);
            String env = System.getenv(ModelCache.CACHE_DIR_ENV);
            Path expected = env != null && !env.isBlank() ? Path.of(env)
                    : Path.of(System.getProperty("user.home"), ".cache", "graft", "models");
            assertThat(ModelCache.defaultDirectory()).isEqualTo(expected);
        } finally {
            if (before == null) {
                System.clearProperty(ModelCache.CACHE_DIR_PROPERTY);
            } else {
                System.setProperty(ModelCache.CACHE_DIR_PROPERTY, before);
            }
        }
    }

    @Test
    void aResourceThatIsNotOnTheClassPathIsNamed() {
        ModelCache cache = new ModelCache(cacheDir);
        assertThatThrownBy(() -> cache.extract("no-such-model.onnx", getClass().getClassLoader()))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("no-such-model.onnx");
    }

    @Test
    void aCacheDirectoryThatCannotBeCreatedIsNamed() throws IOException {
        Path file = Files.writeString(cacheDir.resolve("a-file"), "x");
        ModelCache cache = new ModelCache(file.resolve("models"));
        assertThatThrownBy(() -> EmbeddedModels.open("all-minilm-l6-v2", cache))
                .isInstanceOf(IOException.class).hasMessageContaining(file.resolve("models").toString());
    }

    /** Every embedded model opens with the default cache (shared with other tests, so extracted at most once). */
    @ParameterizedTest
    @CsvSource({"all-minilm-l6-v2, 6", "bge-small-en-v15, 12", "e5-small-v2, 12"})
    void everyModelOpens(String name, int layers) throws IOException {
        TensorArena arena;
        try (BertCheckpoint cp = EmbeddedModels.open(name)) {
            arena = cp.arena();
            assertThat(cp.config()).isEqualTo(new BertConfig(30522, 384, layers, 12, 1536, 512, 2, 1e-12f));
            assertThat(cp.weightsFile()).startsWith(ModelCache.defaultDirectory().toAbsolutePath());
            assertThat(cp.toString()).contains(name).contains(layers + " layers");
            assertThat(cp.weights().layers()).hasSize(layers);
            // the [CLS] row (id 101) of the word embeddings is a real, non-zero vector
            double norm = 0;
            for (int i = 0; i < 384; i++) {
                float x = cp.weights().wordEmbeddings().getFloat(101L * 384 + i);
                norm += x * x;
            }
            assertThat(norm).isGreaterThan(0.01).isFinite();
        }
        assertThat(arena.isClosed()).isTrue();
        assertThat(arena.allocatedBytes()).isZero();
    }
}
