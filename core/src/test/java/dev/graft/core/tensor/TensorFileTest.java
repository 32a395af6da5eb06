package dev.graft.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TensorFileTest {
    private final RootAllocator root = new RootAllocator();

    @TempDir
    Path dir;

    @AfterEach
    void everyByteReturned() throws IOException {
        assertThat(root.getAllocatedMemory()).isZero();
        root.close();
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    static Stream<Arguments> dtypesAndRanks() {
        return Stream.of(DType.values()).flatMap(d -> Stream.of(Fill.shapesOfRank1To4()).map(s -> Arguments.of(d, s)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dtypesAndRanks")
    void roundTripThroughAFileKeepsValuesAndShape(DType dtype, long[] shape) throws IOException {
        Path file = dir.resolve("features.arrow");
        try (TensorArena arena = TensorArena.over(root, "t")) {
            Tensor t = Fill.pattern(arena, dtype, 3, shape);
            TensorFiles.write(file, Map.of("x", t));
            Map<String, Tensor> back = TensorFiles.read(file, arena);
            assertThat(back).containsOnlyKeys("x");
            Fill.assertSameValues(back.get("x"), t);
            assertThat(back.get("x").isReadOnly()).isTrue();
        }
    }

    @Test
    void readTensorsAreViewsOfTheMappedFileNotCopies() throws IOException {
        Path file = dir.resolve("mapped.arrow");
        try (TensorArena arena = TensorArena.over(root, "t")) {
            Tensor t = Fill.pattern(arena, DType.F32, 1, 64, 32);
            TensorFiles.write(file, Map.of("emb", t));
            try (TensorFileReader reader = TensorFileReader.open(file, root)) {
                reader.loadBatch(0);
                MemorySegment mapped = reader.mappedBytes();
                long fileSize = Files.size(file);
                assertThat(mapped.byteSize()).isEqualTo(fileSize);
                // The reader's memory is the mapping plus small validity bitmaps: no body was copied.
                long bitmaps = root.getAllocatedMemory() - arena.allocatedBytes() - fileSize;
                assertThat(bitmaps).isBetween(0L, 1024L);

                Tensor view = reader.tensor("emb", arena, DType.F32, 32);
                long offset = view.segment().address() - mapped.address();
                assertThat(offset).isBetween(0L, fileSize - view.byteSize());
                assertThat(view.segment().address()).isEqualTo(
                        ((FixedShapeTensorVector) reader.root().getVector("emb")).values().getDataBuffer().memoryAddress());
                Fill.assertSameValues(view, t);
                // And the bytes in the file at that offset are the tensor's.
                assertThat(mapped.asSlice(offset, view.byteSize()).mismatch(t.segment())).isEqualTo(-1);
                assertThatThrownBy(() -> view.setFloat(0, 1f)).isInstanceOf(UnsupportedOperationException.class);
            }
        }
    }

    @Test
    void arrowJavasOwnReaderSeesTheExtensionType() throws IOException {
        Path file = dir.resolve("interop.arrow");
        try (TensorArena arena = TensorArena.over(root, "t")) {
            Tensor t = Fill.pattern(arena, DType.I8, 2, 3, 2, 2);
            TensorFiles.write(file, Map.of("pixels", t));
            try (FileChannel ch = FileChannel.open(file);
                 ArrowFileReader reader = new ArrowFileReader(ch, root)) {
                assertThat(reader.loadNextBatch()).isTrue();
                Field field = reader.getVectorSchemaRoot().getSchema().findField("pixels");
                assertThat(field.getMetadata())
                        .containsEntry("ARROW:extension:name", "arrow.fixed_shape_tensor")
                        .containsEntry("ARROW:extension:metadata", "{\"shape\":[2,2]}");
                assertThat(field.getChildren()).singleElement().satisfies(c -> {
                    assertThat(c.getName()).isEqualTo("item");
                    assertThat(c.getType()).isEqualTo(new ArrowType.Int(8, true));
                });
                FieldVector v = reader.getVectorSchemaRoot().getVector("pixels");
                assertThat(v).isInstanceOf(FixedShapeTensorVector.class);
                Fill.assertSameValues(TensorColumns.toTensor(v, arena), t);
            }
        }
    }

    @Test
    void batchesAreWrittenAndReadOneByOne() throws IOException {
        Path file = dir.resolve("batches.arrow");
        List<float[]> written = new ArrayList<>();
        try (TensorArena arena = TensorArena.over(root, "t")) {
            Schema schema = TensorColumns.schema(Map.of("emb", arena.allocate(DType.F32, 1, 4)));
            try (TensorFileWriter w = TensorFileWriter.create(file, schema, root)) {
                for (int b = 0; b < 3; b++) {
                    try (TensorArena batch = arena.child("batch" + b)) {
                        Tensor t = Fill.pattern(batch, DType.F32, b, 2 + b, 4);
                        written.add(t.toFloatArray());
                        w.write(Map.of("emb", t));
                    }
                }
                assertThat(w.batchCount()).isEqualTo(3);
                assertThat(Files.exists(file)).isFalse(); // nothing at the target before the commit
                w.commit();
            }
            try (TensorFileReader reader = TensorFileReader.open(file, root)) {
                assertThat(reader.batchCount()).isEqualTo(3);
                int b = 0;
                for (Iterator<VectorSchemaRoot> it = reader.batches(); it.hasNext(); b++) {
                    VectorSchemaRoot batch = it.next();
                    assertThat(batch.getRowCount()).isEqualTo(2 + b);
                    assertThat(reader.tensor("emb", arena).toFloatArray()).containsExactly(written.get(b));
                }
                assertThat(b).isEqualTo(3);
                reader.loadBatch(1);
                assertThat(reader.loadNextBatch()).isTrue();
                assertThat(reader.currentBatch()).isEqualTo(2);
                assertThat(reader.loadNextBatch()).isFalse();
                assertThatThrownBy(() -> TensorFiles.read(file, arena))
                        .isInstanceOf(TensorFileException.class).hasMessageContaining("3 record batches");
            }
        }
    }

    @Test
    void tensorsOutliveTheReaderUntilTheirArenaCloses() throws IOException {
        Path file = dir.resolve("outlive.arrow");
        Tensor view;
        float[] expected;
        try (TensorArena arena = TensorArena.over(root, "t")) {
            try (TensorArena source = TensorArena.over(root, "source")) {
                Tensor t = Fill.pattern(source, DType.F32, 9, 5, 3);
                expected = t.toFloatArray();
                TensorFiles.write(file, Map.of("x", t));
            }
            try (TensorFileReader reader = TensorFileReader.open(file, root)) {
                reader.loadBatch(0);
                view = reader.tensor("x", arena);
            }
            assertThat(view.toFloatArray()).containsExactly(expected);
            assertThat(arena.allocatedBytes()).isGreaterThanOrEqualTo(Files.size(file)); // the mapping, accounted here now
        }
        assertThatThrownBy(view::toFloatArray).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void aFileWithOtherColumnsNamesTheColumnThatIsNotATensor() throws IOException {
        Path file = dir.resolve("mixed.arrow");
        try (TensorArena arena = TensorArena.over(root, "t")) {
            Tensor emb = Fill.pattern(arena, DType.F32, 1, 3, 2);
            try (VectorSchemaRoot batch = TensorColumns.exportBatch(Map.of("emb", emb), root);
                 IntVector ids = new IntVector("ids", root)) {
                ids.allocateNew(3);
                for (int i = 0; i < 3; i++) {
                    ids.set(i, 100 + i);
                }
                ids.setValueCount(3);
                List<FieldVector> vectors = List.of(ids, batch.getVector("emb"));
                VectorSchemaRoot mixed = new VectorSchemaRoot(vectors.stream().map(FieldVector::getField).toList(), vectors, 3);
                TensorFiles.write(file, mixed);
            }
            try (TensorFileReader reader = TensorFileReader.open(file, root)) {
                reader.loadBatch(0);
                assertThat(((IntVector) reader.root().getVector("ids")).get(2)).isEqualTo(102);
                assertThat(reader.tensors(arena)).containsOnlyKeys("emb");
                assertThatThrownBy(() -> reader.tensor("ids", arena))
                        .isInstanceOf(TensorFileException.class)
                        .hasMessageContaining(file.toString()).hasMessageContaining("column 'ids'")
                        .hasMessageContaining("arrow.fixed_shape_tensor")
                        .satisfies(e -> assertThat(((TensorFileException) e).column()).contains("ids"));
                assertThatThrownBy(() -> reader.tensor("nope", arena))
                        .isInstanceOf(TensorFileException.class).hasMessageContaining("'nope'").hasMessageContaining("[ids, emb]");
                assertThatThrownBy(() -> reader.tensor("emb", arena, DType.F32, 3))
                        .isInstanceOf(TensorFileException.class).hasMessageContaining("column 'emb'")
                        .hasMessageContaining("f32[2]").hasMessageContaining("expected f32[3]");
                assertThatThrownBy(() -> reader.tensor("emb", arena, DType.I32, 2))
                        .isInstanceOf(TensorFileException.class).hasMessageContaining("expected i32[2]");
            }
        }
    }

    @Test
    void shapeMetadataThatDisagreesWithTheStorageIsRejectedAtOpenNamingTheColumn() throws IOException {
        Path file = dir.resolve("mismatch.arrow");
        Map<String, String> metadata = Map.of(
                ArrowType.ExtensionType.EXTENSION_METADATA_KEY_NAME, FixedShapeTensorType.EXTENSION_NAME,
                ArrowType.ExtensionType.EXTENSION_METADATA_KEY_METADATA, "{\"shape\":[2,3]}");
        Field field = new Field("bad", new FieldType(false, new ArrowType.FixedSizeList(4), null, metadata),
                List.of(new Field("item", FieldType.notNullable(DType.F32.arrowType()), null)));
        writeWithArrow(file, field, 2);
        assertThatThrownBy(() -> TensorFileReader.open(file, root))
                .isInstanceOf(TensorFileException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("column 'bad'")
                .hasMessageContaining("[2, 3]").hasMessageContaining("6 elements").hasMessageContaining("4 per row");
    }

    @Test
    void nullTensorsInAFileAreRejectedNamingFileAndColumn() throws IOException {
        Path file = dir.resolve("nulls.arrow");
        Field field = new Field("n", FieldType.nullable(FixedShapeTensorType.of(2)),
                List.of(new Field("item", FieldType.nullable(DType.F32.arrowType()), null)));
        try (VectorSchemaRoot batch = VectorSchemaRoot.create(new Schema(List.of(field)), root)) {
            FixedSizeListVector list = ((FixedShapeTensorVector) batch.getVector("n")).getUnderlyingVector();
            list.allocateNew();
            list.setNotNull(0);
            list.setNull(1);
            batch.setRowCount(2);
            TensorFiles.write(file, batch);
        }
        try (TensorArena arena = TensorArena.over(root, "t");
             TensorFileReader reader = TensorFileReader.open(file, root)) {
            reader.loadBatch(0);
            assertThatThrownBy(() -> reader.tensor("n", arena))
                    .isInstanceOf(TensorFileException.class)
                    .hasMessageContaining(file.toString()).hasMessageContaining("column 'n'").hasMessageContaining("null");
        }
    }

    @Test
    void aFailedWriteLeavesTheTargetAsItWas() throws IOException {
        Path file = dir.resolve("atomic.arrow");
        Files.writeString(file, "previous version");
        try (TensorArena arena = TensorArena.over(root, "t")) {
            Schema schema = TensorColumns.schema(Map.of("x", arena.allocate(DType.F32, 1, 2)));
            try (TensorFileWriter w = TensorFileWriter.create(file, schema, root)) {
                w.write(Map.of("x", Fill.pattern(arena, DType.F32, 1, 3, 2)));
                try (Stream<Path> files = Files.list(dir)) {
                    assertThat(files).anyMatch(p -> p.getFileName().toString().endsWith(".tmp"));
                }
                assertThatThrownBy(() -> w.write(Map.of("x", arena.allocate(DType.F32, 3, 5))))
                        .isInstanceOf(TensorFileException.class)
                        .hasMessageContaining("column 'x'").hasMessageContaining("shape=[5]").hasMessageContaining("shape=[2]");
                assertThatThrownBy(() -> w.write(Map.of("y", arena.allocate(DType.F32, 3, 2))))
                        .isInstanceOf(TensorFileException.class).hasMessageContaining("column 'y'");
                // no commit: the writer is closed after a failure
            }
            assertThat(Files.readString(file)).isEqualTo("previous version");

            try (TensorFileWriter w = TensorFileWriter.create(file, schema, root)) {
                w.write(Map.of("x", Fill.pattern(arena, DType.F32, 2, 3, 2)));
                w.commit();
                assertThatThrownBy(() -> w.write(Map.of("x", arena.allocate(DType.F32, 1, 2))))
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("committed");
            }
            Fill.assertSameValues(TensorFiles.read(file, arena).get("x"), Fill.pattern(arena, DType.F32, 2, 3, 2));
        }
    }

    @Test
    void writingIntoAMissingDirectoryFailsWithoutLeavingAnything() {
        try (TensorArena arena = TensorArena.over(root, "t")) {
            Tensor t = arena.allocate(DType.F32, 1, 2);
            assertThatThrownBy(() -> TensorFiles.write(dir.resolve("missing/features.arrow"), Map.of("x", t)))
                    .isInstanceOf(IOException.class);
        }
    }

    @Test
    void aFileLargerThanTheAllocatorsLimitIsRejectedClearly() throws IOException {
        Path file = dir.resolve("big.arrow");
        goodFile(file);
        try (org.apache.arrow.memory.BufferAllocator small = root.newChildAllocator("small", 0, 100)) {
            assertThatThrownBy(() -> TensorFileReader.open(file, small))
                    .isInstanceOf(TensorFileException.class).hasMessageContaining("big.arrow")
                    .hasMessageContaining("'small'").hasMessageContaining("100 bytes");
        }
    }

    @Test
    void useAfterCloseThrows() throws IOException {
        Path file = dir.resolve("closed.arrow");
        try (TensorArena arena = TensorArena.over(root, "t")) {
            TensorFiles.write(file, Map.of("x", arena.allocate(DType.F32, 2, 2)));
            TensorFileReader reader = TensorFileReader.open(file, root);
            assertThatThrownBy(() -> reader.tensor("x", arena))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("no batch");
            reader.close();
            reader.close(); // idempotent
            assertThatThrownBy(() -> reader.loadBatch(0))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
            assertThatThrownBy(reader::root).isInstanceOf(IllegalStateException.class);
        }
    }

    // ---- corrupt, short and non-Arrow files ----------------------------------------------------------

    @Test
    void missingFileIsNoSuchFile() {
        assertThatThrownBy(() -> TensorFileReader.open(dir.resolve("absent.arrow"), root))
                .isInstanceOf(java.nio.file.NoSuchFileException.class).hasMessageContaining("absent.arrow");
    }

    @Test
    void emptyShortAndNonArrowFilesAreRejectedNamingTheFile() throws IOException {
        Path empty = Files.write(dir.resolve("empty.arrow"), new byte[0]);
        Path tiny = Files.write(dir.resolve("tiny.arrow"), "ARROW1".getBytes(StandardCharsets.US_ASCII));
        Path text = Files.writeString(dir.resolve("text.arrow"), "this is not an arrow file, just some text\n".repeat(20));
        for (Path p : List.of(empty, tiny, text)) {
            assertThatThrownBy(() -> TensorFileReader.open(p, root))
                    .isInstanceOf(TensorFileException.class)
                    .hasMessageContaining(p.toString()).hasMessageContaining("not an Arrow IPC file");
        }
    }

    @Test
    void anArrowStreamIsNotAnArrowFile() throws IOException {
        Path stream = dir.resolve("stream.arrows");
        try (TensorArena arena = TensorArena.over(root, "t");
             VectorSchemaRoot batch = TensorColumns.exportBatch(Map.of("x", arena.allocate(DType.F32, 2, 2)), root);
             FileChannel ch = FileChannel.open(stream, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             ArrowStreamWriter w = new ArrowStreamWriter(batch, null, ch)) {
            w.start();
            w.writeBatch();
            w.end();
        }
        assertThatThrownBy(() -> TensorFileReader.open(stream, root))
                .isInstanceOf(TensorFileException.class).hasMessageContaining("stream.arrows")
                .hasMessageContaining("ARROW1");
    }

    @Test
    void everyTruncationOfAGoodFileIsRejectedCleanly() throws IOException {
        byte[] good = goodFile(dir.resolve("good.arrow"));
        Path cut = dir.resolve("cut.arrow");
        for (int length = 0; length < good.length; length++) {
            Files.write(cut, java.util.Arrays.copyOf(good, length));
            assertThatThrownBy(() -> readEverything(cut))
                    .as("file cut to %d of %d bytes", length, good.length)
                    .isInstanceOf(TensorFileException.class).hasMessageContaining("cut.arrow");
        }
    }

    @Test
    void aHugeFieldNodeLengthIsRejectedBeforeAnythingIsAllocated() throws IOException {
        Path file = dir.resolve("huge.arrow");
        byte[] bytes = goodFile(file);
        // The record batch has 3 rows of [2] tensors: its field nodes are (3, 0) and (6, 0) as int64 pairs.
        int at = indexOf(bytes, longPair(3, 0));
        assertThat(at).isPositive();
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(at, Integer.MAX_VALUE);
        Files.write(file, bytes);
        try (TensorFileReader reader = TensorFileReader.open(file, root)) {
            long before = root.getAllocatedMemory();
            assertThatThrownBy(() -> reader.loadBatch(0))
                    .isInstanceOf(TensorFileException.class)
                    .hasMessageContaining("huge.arrow").hasMessageContaining("column 'x'")
                    .hasMessageContaining(String.valueOf(Integer.MAX_VALUE));
            assertThat(root.getAllocatedMemory()).isEqualTo(before);
        }
    }

    @Test
    void aHugeFooterLengthIsRejected() throws IOException {
        Path file = dir.resolve("footer.arrow");
        byte[] bytes = goodFile(file);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(bytes.length - 10, Integer.MAX_VALUE);
        Files.write(file, bytes);
        assertThatThrownBy(() -> TensorFileReader.open(file, root))
                .isInstanceOf(TensorFileException.class).hasMessageContaining("footer.arrow").hasMessageContaining("footer");
    }

    @Test
    void randomCorruptionNeverEscapesAsAnythingButATensorFileException() throws IOException {
        byte[] good = goodFile(dir.resolve("good.arrow"));
        Path bad = dir.resolve("fuzzed.arrow");
        Random random = new Random(20261122);
        int rejected = 0;
        for (int trial = 0; trial < 400; trial++) {
            byte[] bytes = good.clone();
            ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            for (int k = 0, n = 1 + random.nextInt(3); k < n; k++) {
                int at = random.nextInt(bytes.length - 4);
                switch (random.nextInt(3)) {
                    case 0 -> bytes[at] ^= (byte) (1 << random.nextInt(8));
                    case 1 -> buf.putInt(at, random.nextBoolean() ? Integer.MAX_VALUE : -1 - random.nextInt(1000));
                    default -> buf.putInt(at, random.nextInt(1 << 20));
                }
            }
            Files.write(bad, bytes);
            try {
                readEverything(bad);
            } catch (TensorFileException e) {
                assertThat(e).hasMessageContaining("fuzzed.arrow");
                rejected++;
            }
            assertThat(root.getAllocatedMemory()).as("trial %d", trial).isZero();
        }
        assertThat(rejected).isPositive();
    }

    /** Opens, loads every batch and views every tensor column; closes everything. */
    private void readEverything(Path file) throws IOException {
        try (TensorArena arena = TensorArena.over(root, "read");
             TensorFileReader reader = TensorFileReader.open(file, root)) {
            for (int b = 0; b < reader.batchCount(); b++) {
                reader.loadBatch(b);
                for (Tensor t : reader.tensors(arena).values()) {
                    if (t.dtype() == DType.F32) {
                        t.toFloatArray();
                    }
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** A small valid feature file: one batch, "x" = f32[3, 2] and "ids" = i32[3]. */
    private byte[] goodFile(Path file) throws IOException {
        try (TensorArena arena = TensorArena.over(root, "good")) {
            Map<String, Tensor> columns = new LinkedHashMap<>();
            columns.put("x", Fill.pattern(arena, DType.F32, 1, 3, 2));
            columns.put("ids", Fill.pattern(arena, DType.I32, 2, 3));
            TensorFiles.write(file, columns);
        }
        return Files.readAllBytes(file);
    }

    private void writeWithArrow(Path file, Field field, int rows) throws IOException {
        try (VectorSchemaRoot batch = VectorSchemaRoot.create(new Schema(List.of(field)), root)) {
            FixedSizeListVector list = (FixedSizeListVector) batch.getVector(field.getName());
            list.allocateNew();
            for (int i = 0; i < rows; i++) {
                list.setNotNull(i);
            }
            batch.setRowCount(rows);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 ArrowFileWriter w = new ArrowFileWriter(batch, null, ch)) {
                w.start();
                w.writeBatch();
                w.end();
            }
        }
    }

    private static byte[] longPair(long a, long b) {
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(a).putLong(b).array();
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
