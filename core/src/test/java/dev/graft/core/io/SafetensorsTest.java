package dev.graft.core.io;

import static dev.graft.core.io.SafetensorsBytes.concat;
import static dev.graft.core.io.SafetensorsBytes.f32;
import static dev.graft.core.io.SafetensorsBytes.i32;
import static dev.graft.core.io.SafetensorsBytes.i64;
import static dev.graft.core.io.SafetensorsBytes.u16;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.core.io.Safetensors.TensorSource;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @TempDir
    Path dir;

    private TensorArena arena;

    @BeforeEach
    void open() {
        arena = TensorArena.root("safetensors-test");
    }

    @AfterEach
    void close() {
        arena.close();
        assertThat(arena.allocatedBytes()).isZero();
    }

    private Tensor random(TensorArena a, long... shape) {
        Random r = new Random(shape.length * 31L + Tensor.elementCount(shape));
        Tensor t = a.allocate(DType.F32, shape);
        for (long i = 0; i < t.elementCount(); i++) {
            t.setFloat(i, (float) r.nextGaussian());
        }
        return t;
    }

    @Test
    void roundTripsSeveralDtypesAndRanks() throws IOException {
        Path file = dir.resolve("t.safetensors");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("note", "ünïcödé ✓");
        try (TensorArena src = TensorArena.root("src")) {
            Tensor scalar = src.allocate(DType.F32);
            scalar.setFloat(0, 42.5f);
            tensors.put("scalar", scalar);
            tensors.put("vector", random(src, 5));
            tensors.put("matrix", random(src, 3, 4));
            tensors.put("cube", random(src, 2, 3, 4));
            tensors.put("ids", src.copyOf(new int[] {7, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 0}, 5));
            Tensor bytes = src.allocate(DType.I8, 3, 5);
            for (int i = 0; i < 15; i++) {
                bytes.setByte(i, (byte) (i * 17 - 128));
            }
            tensors.put("bytes", bytes);
            tensors.put("empty", src.allocate(DType.F32, 0, 4));
            Safetensors.write(file, tensors, metadata);

            SafetensorsFile f = Safetensors.open(file, arena);
            assertThat(f.names()).containsExactlyElementsOf(tensors.keySet());
            assertThat(f.metadata()).containsExactlyEntriesOf(metadata);
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                Tensor expected = e.getValue();
                Tensor actual = f.tensor(e.getKey());
                assertThat(actual.dtype()).as(e.getKey()).isEqualTo(expected.dtype());
                assertThat(actual.shape()).as(e.getKey()).isEqualTo(expected.shape());
                assertThat(actual.segment().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).as(e.getKey())
                        .isEqualTo(expected.segment().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            }
            assertThat(f.tensor("matrix").toFloatArray()).containsExactly(tensors.get("matrix").toFloatArray());
            assertThat(f.tensor("ids").toIntArray()).containsExactly(7, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 0);
            assertThat(f.tensor("scalar").rank()).isZero();
            assertThat(f.tensor("scalar").getFloat(0)).isEqualTo(42.5f);
            assertThat(f.info("cube").dtype()).isEqualTo("F32");
            assertThat(f.info("bytes").shape()).containsExactly(3, 5);
        }
    }

    @Test
    void dataStartsEightByteAlignedAndHeaderIsSpacePadded() throws IOException {
        Path file = dir.resolve("aligned.safetensors");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        // names of different lengths, so the unpadded header length varies
        for (String name : List.of("a", "bb", "ccc")) {
            tensors.put(name, arena.copyOf(new float[] {1, 2, 3}, 3));
            Safetensors.write(file, tensors, Map.of());
            byte[] raw = Files.readAllBytes(file);
            long n = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            assertThat((8 + n) % 8).as("data start after %s", name).isZero();
            String header = new String(raw, 8, (int) n, StandardCharsets.UTF_8);
            assertThat(header).startsWith("{").doesNotContain("__metadata__");
            assertThat(header.stripTrailing()).endsWith("}");
            assertThat(raw.length).isEqualTo(8 + n + 12L * tensors.size());
        }
    }

    @Test
    void viewsAreReadOnlyAndShareTheMapping() throws IOException {
        Path file = dir.resolve("v.safetensors");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("a", arena.copyOf(new float[] {1, 2, 3, 4}, 2, 2));
        tensors.put("b", arena.copyOf(new int[] {5, 6}, 2));
        Safetensors.write(file, tensors, Map.of());

        try (TensorArena read = TensorArena.root("read")) {
            SafetensorsFile f = Safetensors.open(file, read);
            // the only memory the arena holds is the mapping of the whole file: no copies
            assertThat(read.allocatedBytes()).isEqualTo(Files.size(file));
            Tensor a = f.tensor("a");
            Tensor b = f.tensor("b");
            assertThat(a.isReadOnly()).isTrue();
            assertThat(b.isReadOnly()).isTrue();
            assertThatThrownBy(() -> a.setFloat(0, 9f)).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> b.setInt(0, 9)).isInstanceOf(UnsupportedOperationException.class);
            assertThat(a.arrowBuffer()).isSameAs(b.arrowBuffer());
            assertThat(a.bufferOffset()).isEqualTo(f.dataStart() + f.info("a").begin());
            assertThat(b.bufferOffset()).isEqualTo(f.dataStart() + f.info("b").begin());
            assertThat(b.segment().address() - a.segment().address()).isEqualTo(f.info("b").begin());
            assertThat(f.tensor("a").segment().address()).isEqualTo(a.segment().address());
            assertThat(read.allocatedBytes()).isEqualTo(Files.size(file));
            read.close();
            assertThat(read.allocatedBytes()).isZero();
            assertThatThrownBy(() -> a.getFloat(0)).isInstanceOf(IllegalStateException.class);
        }
    }

    /**
     * A file laid out by hand from the format description: header entries listed in another order than their
     * data, metadata in the middle, header padded with spaces, data not 8-byte aligned.
     */
    @Test
    void readsAHandBuiltFile() throws IOException {
        byte[] w = f32(1.5f, -2f, 3.25f, 0f, 1e-7f, -1e30f); // [2, 3] at [16, 40)
        byte[] ids = i32(3, 1, 4, 1); // [4] at [0, 16)
        byte[] flags = {1, -1, 127}; // i8 [3] at [40, 43)
        String header = "{\"weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[16,40]},"
                + "\"__metadata__\":{\"format\":\"pt\",\"by\":\"hand\"},"
                + " \"ids\" : {\"shape\":[4],\"dtype\":\"I32\",\"data_offsets\":[0,16]},"
                + "\"flags\":{\"dtype\":\"I8\",\"shape\":[3],\"data_offsets\":[40,43]}}   ";
        Path file = SafetensorsBytes.write(dir, "hand.safetensors", SafetensorsBytes.file(header, concat(ids, w, flags)));

        SafetensorsFile f = Safetensors.open(file, arena);
        assertThat(f.names()).containsExactly("weight", "ids", "flags");
        assertThat(f.metadata()).containsExactly(Map.entry("format", "pt"), Map.entry("by", "hand"));
        Tensor weight = f.tensor("weight");
        assertThat(weight.dtype()).isEqualTo(DType.F32);
        assertThat(weight.shape()).containsExactly(2, 3);
        assertThat(weight.toFloatArray()).containsExactly(1.5f, -2f, 3.25f, 0f, 1e-7f, -1e30f);
        assertThat(weight.getFloat(weight.index(1, 2))).isEqualTo(-1e30f);
        assertThat(f.tensor("ids").toIntArray()).containsExactly(3, 1, 4, 1);
        assertThat(f.tensor("flags").toByteArray()).containsExactly(1, -1, 127);
        assertThat(f.info("flags")).isEqualTo(new SafetensorsFile.TensorInfo("flags", "I8", new long[] {3}, 40, 43));
    }

    @Test
    void convertsHalfPrecisionToF32Once() throws IOException {
        byte[] half = u16(0x3C00, 0xC000, 0x3800, 0x7C00); // 1, -2, 0.5, +inf
        byte[] bf = u16(0x3F80, 0xC040); // 1, -3
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[8,12]}}";
        Path file = SafetensorsBytes.write(dir, "half.safetensors", SafetensorsBytes.file(header, concat(half, bf)));

        SafetensorsFile f = Safetensors.open(file, arena);
        long mapped = arena.allocatedBytes();
        Tensor h = f.tensor("h");
        assertThat(h.dtype()).isEqualTo(DType.F32);
        assertThat(h.shape()).containsExactly(2, 2);
        assertThat(h.toFloatArray()).containsExactly(1f, -2f, 0.5f, Float.POSITIVE_INFINITY);
        assertThat(h.isReadOnly()).isTrue();
        assertThat(f.tensor("b").toFloatArray()).containsExactly(1f, -3f);
        assertThat(f.tensor("h")).isSameAs(h);
        assertThat(arena.allocatedBytes()).isGreaterThan(mapped);
    }

    @Test
    void unsupportedDtypeIsNamedOnAccessOnly() throws IOException {
        String header = "{\"position_ids\":{\"dtype\":\"I64\",\"shape\":[1,3],\"data_offsets\":[0,24]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[24,28]}}";
        Path file = SafetensorsBytes.write(dir, "mixed.safetensors", SafetensorsBytes.file(header, concat(i64(0, 1, 2), f32(7f))));

        SafetensorsFile f = Safetensors.open(file, arena);
        assertThat(f.tensor("w").toFloatArray()).containsExactly(7f);
        assertThat(f.info("position_ids").dtype()).isEqualTo("I64");
        assertThatThrownBy(() -> f.tensor("position_ids"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unsupported dtype I64 for tensor 'position_ids'")
                .hasMessageContaining(file.toString());
        assertThatThrownBy(() -> f.tensor("nope"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no tensor named 'nope'")
                .hasMessageContaining(file.toString());
    }

    @Test
    void writeLazilyProducesOneTensorAtATime() throws IOException {
        Path file = dir.resolve("lazy.safetensors");
        Tensor source = arena.copyOf(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Map<String, TensorSource> sources = new LinkedHashMap<>();
        sources.put("transposed", new TensorSource(DType.F32, new long[] {3, 2}, scratch -> {
            Tensor t = scratch.allocate(DType.F32, 3, 2);
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 3; j++) {
                    t.setFloat(j * 2 + i, source.getFloat(i * 3 + j));
                }
            }
            return t;
        }));
        sources.put("same", TensorSource.of(source));
        Safetensors.writeLazily(file, sources, Map.of("k", "v"));

        SafetensorsFile f = Safetensors.open(file, arena);
        assertThat(f.tensor("transposed").toFloatArray()).containsExactly(1, 4, 2, 5, 3, 6);
        assertThat(f.tensor("same").toFloatArray()).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(f.metadata()).containsExactly(Map.entry("k", "v"));
    }

    @Test
    void aFailedWriteLeavesTheTargetUntouchedAndNoTemporaryFile() throws IOException {
        Path file = dir.resolve("model.safetensors");
        Files.writeString(file, "the old contents");
        Map<String, TensorSource> sources = new LinkedHashMap<>();
        sources.put("ok", TensorSource.of(arena.copyOf(new float[] {1, 2}, 2)));
        sources.put("boom", new TensorSource(DType.F32, new long[] {2}, scratch -> {
            scratch.allocate(DType.F32, 1000); // released even though the producer fails
            throw new IllegalStateException("producer failed");
        }));
        assertThatThrownBy(() -> Safetensors.writeLazily(file, sources, Map.of()))
                .isInstanceOf(IllegalStateException.class).hasMessage("producer failed");
        assertThat(Files.readString(file)).isEqualTo("the old contents");
        assertThat(listing()).containsExactly("model.safetensors");

        sources.put("boom", new TensorSource(DType.F32, new long[] {2}, scratch -> scratch.allocate(DType.F32, 3)));
        assertThatThrownBy(() -> Safetensors.writeLazily(file, sources, Map.of()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("tensor 'boom'").hasMessageContaining("f32[3]");
        assertThat(Files.readString(file)).isEqualTo("the old contents");
        assertThat(listing()).containsExactly("model.safetensors");
    }

    @Test
    void writingATensorOfAClosedArenaFailsCleanly() throws IOException {
        Path file = dir.resolve("closed.safetensors");
        TensorArena gone = TensorArena.root("gone");
        Tensor t = gone.copyOf(new float[] {1, 2, 3}, 3);
        gone.close();
        assertThatThrownBy(() -> Safetensors.write(file, Map.of("t", t), Map.of()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("tensor 't'").hasMessageContaining("'gone' is closed");
        assertThat(listing()).isEmpty();
    }

    @Test
    void writerRejectsBadArguments() throws IOException {
        Tensor t = arena.copyOf(new float[] {1}, 1);
        assertThatThrownBy(() -> Safetensors.write(dir.resolve("x"), Map.of("__metadata__", t), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("__metadata__");
        assertThatThrownBy(() -> Safetensors.write(dir.resolve("no/such/dir/x.safetensors"), Map.of("t", t), Map.of()))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("does not exist");
        assertThat(listing()).isEmpty();
    }

    @Test
    void overwritingKeepsOpenMappingsOfTheOldFileValid() throws IOException {
        Path file = dir.resolve("w.safetensors");
        Safetensors.write(file, Map.of("t", arena.copyOf(new float[] {1, 2}, 2)), Map.of());
        Tensor old = Safetensors.open(file, arena).tensor("t");
        Safetensors.write(file, Map.of("t", arena.copyOf(new float[] {3, 4}, 2)), Map.of());
        assertThat(old.toFloatArray()).containsExactly(1, 2);
        assertThat(Safetensors.open(file, arena).tensor("t").toFloatArray()).containsExactly(3, 4);
    }

    private List<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void finiteTensorNamesTheFileTensorAndFirstBadElement() throws IOException {
        Path file = dir.resolve("w.safetensors");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("ok", random(arena, 2, 3));
        tensors.put("ids", arena.copyOf(new int[] {1, 2, 3}, new long[] {3}));
        Tensor bad = random(arena, 4, 5);
        bad.setFloat(13, Float.POSITIVE_INFINITY);
        bad.setFloat(17, Float.NaN);
        tensors.put("layer.norm.weight", bad);
        Safetensors.write(file, tensors, Map.of());

        SafetensorsFile st = Safetensors.open(file, arena);
        assertThat(st.finiteTensor("ok").toFloatArray()).isEqualTo(tensors.get("ok").toFloatArray());
        assertThat(st.finiteTensor("ids").toIntArray()).containsExactly(1, 2, 3);
        assertThat(st.tensor("layer.norm.weight").getFloat(13)).as("tensor() still reads what is there").isInfinite();
        assertThatThrownBy(() -> st.finiteTensor("layer.norm.weight"))
                .isInstanceOfSatisfying(NonFiniteWeightException.class, e -> {
                    assertThat(e.file()).isEqualTo(file);
                    assertThat(e.tensor()).isEqualTo("layer.norm.weight");
                    assertThat(e.index()).isEqualTo(13);
                    assertThat(e.value()).isEqualTo(Float.POSITIVE_INFINITY);
                })
                .hasMessageStartingWith(file + ": tensor 'layer.norm.weight' [4, 5] holds Infinity at index 13 (element [2, 3])");
    }

    @Test
    void finiteTensorChecksHalfPrecisionAfterConversion() throws IOException {
        // F16 0x7c00 is +Inf, 0x3c00 is 1.0
        byte[] data = u16(0x3c00, 0x7c00);
        Path file = dir.resolve("half.safetensors");
        Files.write(file, SafetensorsBytes.file("{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", data));
        SafetensorsFile st = Safetensors.open(file, arena);
        assertThatThrownBy(() -> st.finiteTensor("h")).isInstanceOf(NonFiniteWeightException.class)
                .hasMessageContaining("tensor 'h' [2] holds Infinity at index 1");
    }
}
