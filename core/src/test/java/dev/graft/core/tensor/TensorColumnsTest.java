package dev.graft.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.util.TransferPair;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TensorColumnsTest {
    private final RootAllocator root = new RootAllocator();

    @AfterEach
    void everyByteReturned() {
        assertThat(root.getAllocatedMemory()).isZero();
        root.close(); // throws if a child allocator or buffer leaked
    }

    static Stream<Arguments> dtypesAndRanks() {
        return Stream.of(DType.values()).flatMap(d -> Stream.of(Fill.shapesOfRank1To4()).map(s -> Arguments.of(d, s)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dtypesAndRanks")
    void exportAndViewRoundTripWithoutCopying(DType dtype, long[] shape) {
        try (TensorArena arena = TensorArena.over(root, "t");
             BufferAllocator columns = root.newChildAllocator("columns", 0, Long.MAX_VALUE)) {
            Tensor t = Fill.pattern(arena, dtype, 1, shape);
            try (FixedShapeTensorVector column = TensorColumns.export("x", t, columns)) {
                assertThat(column.getValueCount()).isEqualTo((int) shape[0]);
                assertThat(column.tensorType().shape()).containsExactly(java.util.Arrays.copyOfRange(shape, 1, shape.length));
                assertThat(column.dtype()).isEqualTo(dtype);
                assertThat(column.values().getField().getType()).isEqualTo(dtype.arrowType());
                assertThat(column.values().getDataBuffer().memoryAddress()).isEqualTo(t.segment().address());

                Tensor back = TensorColumns.toTensor(column, arena);
                Fill.assertSameValues(back, t);
                assertThat(back.segment().address()).isEqualTo(t.segment().address());
                assertThat(back.isReadOnly()).isFalse();
            }
        }
    }

    @Test
    void exportOfASliceStartsAtTheSliceNotTheBuffer() {
        try (TensorArena arena = TensorArena.over(root, "t")) {
            Tensor whole = Fill.pattern(arena, DType.F32, 2, 6, 4);
            Tensor rows = whole.slice(2, 5);
            assertThat(rows.bufferOffset()).isEqualTo(2 * 4 * 4);
            try (FixedShapeTensorVector column = TensorColumns.export("rows", rows, arena.allocator())) {
                assertThat(column.values().getDataBuffer().memoryAddress()).isEqualTo(rows.segment().address());
                assertThat(column.values().getDataBuffer().capacity()).isEqualTo(rows.byteSize());
                assertThat(column.getObject(0)).isEqualTo(List.of(
                        whole.getFloat(8), whole.getFloat(9), whole.getFloat(10), whole.getFloat(11)));
            }
        }
    }

    @Test
    void writesThroughTheTensorAreSeenByTheColumn() {
        try (TensorArena arena = TensorArena.over(root, "t")) {
            Tensor t = arena.allocate(DType.F32, 2, 2);
            try (FixedShapeTensorVector column = TensorColumns.export("x", t, arena.allocator())) {
                t.setFloat(3, 42f);
                assertThat(((Float4Vector) column.values()).get(3)).isEqualTo(42f);
            }
        }
    }

    @Test
    void batchOfNamedColumnsSharesTheRowAxis() {
        try (TensorArena arena = TensorArena.over(root, "t")) {
            Map<String, Tensor> columns = new LinkedHashMap<>();
            columns.put("embedding", Fill.pattern(arena, DType.F32, 1, 3, 8));
            columns.put("tokens", Fill.pattern(arena, DType.I32, 2, 3, 4));
            columns.put("mask", Fill.pattern(arena, DType.I8, 3, 3, 4));
            try (VectorSchemaRoot batch = TensorColumns.exportBatch(columns, arena.allocator())) {
                assertThat(batch.getRowCount()).isEqualTo(3);
                assertThat(batch.getSchema().getFields()).extracting(Field::getName)
                        .containsExactly("embedding", "tokens", "mask");
                assertThat(batch.getSchema().getFields()).allSatisfy(f -> assertThat(f.getType())
                        .isInstanceOf(FixedShapeTensorType.class));
                Map<String, Tensor> back = TensorColumns.toTensors(batch, arena);
                for (String name : columns.keySet()) {
                    Fill.assertSameValues(back.get(name), columns.get(name));
                    assertThat(back.get(name).segment().address()).isEqualTo(columns.get(name).segment().address());
                }
            }
        }
    }

    @Test
    void batchRejectsDifferentRowCountsNamingBothColumns() {
        try (TensorArena arena = TensorArena.over(root, "t")) {
            Map<String, Tensor> columns = new LinkedHashMap<>();
            columns.put("a", arena.allocate(DType.F32, 3, 2));
            columns.put("b", arena.allocate(DType.F32, 4, 2));
            assertThatThrownBy(() -> TensorColumns.exportBatch(columns, arena.allocator()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'b'").hasMessageContaining("'a'").hasMessageContaining("4 rows");
        }
    }

    @Test
    void scalarTensorsHaveNoRowAxis() {
        try (TensorArena arena = TensorArena.over(root, "t")) {
            Tensor scalar = arena.allocate(DType.F32);
            assertThatThrownBy(() -> TensorColumns.export("s", scalar, arena.allocator()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'s'").hasMessageContaining("scalar");
        }
    }

    @Test
    void exportAfterTheArenaClosedThrows() {
        TensorArena arena = TensorArena.over(root, "gone");
        Tensor t = arena.allocate(DType.F32, 2, 2);
        arena.close();
        assertThatThrownBy(() -> TensorColumns.export("x", t, root))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("gone").hasMessageContaining("closed");
    }

    @Test
    void columnOutlivesTheTensorsArena() {
        try (BufferAllocator columns = root.newChildAllocator("columns", 0, Long.MAX_VALUE)) {
            FixedShapeTensorVector column;
            int[] expected;
            try (TensorArena arena = TensorArena.over(root, "short-lived")) {
                Tensor t = Fill.pattern(arena, DType.I32, 5, 2, 3);
                expected = t.toIntArray();
                column = TensorColumns.export("x", t, columns);
            }
            try (column) {
                assertThat(column.getObject(1)).isEqualTo(List.of(expected[3], expected[4], expected[5]));
            }
        }
    }

    @Test
    void viewOutlivesTheColumn() {
        try (TensorArena arena = TensorArena.over(root, "t");
             BufferAllocator columns = root.newChildAllocator("columns", 0, Long.MAX_VALUE)) {
            Tensor original = Fill.pattern(arena.child("source"), DType.F32, 4, 3, 2);
            float[] expected = original.toFloatArray();
            Tensor view;
            try (FixedShapeTensorVector column = TensorColumns.export("x", original, columns)) {
                view = TensorColumns.toTensor(column, arena);
            }
            original.arena().close();
            assertThat(view.toFloatArray()).containsExactly(expected);
        }
    }

    @Test
    void viewAfterItsArenaClosedThrows() {
        Tensor view;
        try (TensorArena arena = TensorArena.over(root, "views");
             FixedShapeTensorVector column = TensorColumns.export("x", Fill.pattern(arena, DType.F32, 1, 2, 2), arena.allocator())) {
            view = TensorColumns.toTensor(column, arena);
            assertThat(view.getFloat(0)).isEqualTo(((Float4Vector) column.values()).get(0));
            column.close();
        }
        assertThatThrownBy(() -> view.getFloat(0)).isInstanceOf(IllegalStateException.class).hasMessageContaining("views");
    }

    @Test
    void viewIntoAClosedArenaThrows() {
        try (TensorArena source = TensorArena.over(root, "source");
             FixedShapeTensorVector column = TensorColumns.export("x", source.allocate(DType.F32, 2, 2), source.allocator())) {
            TensorArena closed = TensorArena.over(root, "closed");
            closed.close();
            assertThatThrownBy(() -> TensorColumns.toTensor(column, closed))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        }
    }

    @Test
    void columnsOfAnotherRootAllocatorAreRejectedClearly() {
        try (RootAllocator other = new RootAllocator();
             TensorArena arena = TensorArena.over(root, "t")) {
            Tensor t = arena.allocate(DType.F32, 2, 2);
            assertThatThrownBy(() -> TensorColumns.export("x", t, other))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("root");
            try (TensorArena foreign = TensorArena.over(other, "foreign");
                 FixedShapeTensorVector column = TensorColumns.export("x", t, arena.allocator())) {
                assertThatThrownBy(() -> TensorColumns.toTensor(column, foreign))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'x'").hasMessageContaining("root");
            }
        }
    }

    @Test
    void aColumnThatIsNotATensorColumnIsRejectedByName() {
        try (TensorArena arena = TensorArena.over(root, "t");
             IntVector ids = new IntVector("ids", arena.allocator())) {
            ids.allocateNew(2);
            ids.setValueCount(2);
            assertThatThrownBy(() -> TensorColumns.toTensor(ids, arena))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'ids'").hasMessageContaining("arrow.fixed_shape_tensor");
        }
    }

    @Test
    void nullTensorsAreRejected() {
        try (TensorArena arena = TensorArena.over(root, "t");
             FixedShapeTensorVector column = (FixedShapeTensorVector) nullableField("n", 2).createVector(arena.allocator())) {
            FixedSizeListVector list = column.getUnderlyingVector();
            Float4Vector values = (Float4Vector) list.getDataVector();
            list.allocateNew();
            values.allocateNew(6);
            for (int i = 0; i < 6; i++) {
                values.set(i, i);
            }
            values.setValueCount(6);
            list.setNotNull(0);
            list.setNull(1);
            list.setNotNull(2);
            list.setValueCount(3);
            assertThatThrownBy(() -> TensorColumns.toTensor(column, arena))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'n'").hasMessageContaining("1 null").hasMessageContaining("row 1");
        }
    }

    @Test
    void nullElementsAreRejected() {
        try (TensorArena arena = TensorArena.over(root, "t");
             FixedShapeTensorVector column = (FixedShapeTensorVector) nullableField("n", 2).createVector(arena.allocator())) {
            FixedSizeListVector list = column.getUnderlyingVector();
            Float4Vector values = (Float4Vector) list.getDataVector();
            list.allocateNew();
            values.allocateNew(2);
            values.set(0, 1f);
            values.setNull(1);
            values.setValueCount(2);
            list.setNotNull(0);
            list.setValueCount(1);
            assertThatThrownBy(() -> TensorColumns.toTensor(column, arena))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("null elements");
        }
    }

    @Test
    void elementTypesWithoutAGraftDtypeAreRejected() {
        Field values = new Field("item", FieldType.notNullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null);
        Field field = new Field("d", FieldType.notNullable(FixedShapeTensorType.of(2)), List.of(values));
        try (TensorArena arena = TensorArena.over(root, "t");
             FixedShapeTensorVector column = (FixedShapeTensorVector) field.createVector(arena.allocator())) {
            Float8Vector doubles = (Float8Vector) column.values();
            doubles.allocateNew(2);
            doubles.setValueCount(2);
            column.getUnderlyingVector().setValueCount(1);
            assertThatThrownBy(() -> TensorColumns.toTensor(column, arena))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'d'").hasMessageContaining("dtype");
        }
    }

    @Test
    void permutedColumnsAreRejectedByToTensorAndReturnedPhysicallyByToPhysicalTensor() {
        FixedShapeTensorType permuted = new FixedShapeTensorType(new long[] {2, 3}, List.of("h", "w"), new int[] {1, 0});
        Field field = new Field("p", FieldType.notNullable(permuted),
                List.of(new Field("item", FieldType.notNullable(DType.F32.arrowType()), null)));
        try (TensorArena arena = TensorArena.over(root, "t");
             FixedShapeTensorVector column = (FixedShapeTensorVector) field.createVector(arena.allocator())) {
            column.getUnderlyingVector().allocateNew();
            Float4Vector values = (Float4Vector) column.values();
            values.allocateNew(12);
            for (int i = 0; i < 12; i++) {
                values.set(i, i);
            }
            values.setValueCount(12);
            column.getUnderlyingVector().setNotNull(0);
            column.getUnderlyingVector().setNotNull(1);
            column.getUnderlyingVector().setValueCount(2);
            assertThatThrownBy(() -> TensorColumns.toTensor(column, arena))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'p'").hasMessageContaining("permutation [1, 0]")
                    .hasMessageContaining("[3, 2]").hasMessageContaining("toPhysicalTensor");
            Tensor physical = TensorColumns.toPhysicalTensor(column, arena);
            assertThat(physical.shape()).containsExactly(2, 2, 3);
            assertThat(physical.getFloat(physical.index(1, 0, 2))).isEqualTo(8f);
        }
    }

    @Test
    void storageColumnsWithTheExtensionMetadataAreViewedToo() {
        // What a reader that did not know the extension type produces: the storage vector with the metadata.
        Map<String, String> metadata = Map.of(
                ArrowType.ExtensionType.EXTENSION_METADATA_KEY_NAME, FixedShapeTensorType.EXTENSION_NAME,
                ArrowType.ExtensionType.EXTENSION_METADATA_KEY_METADATA, "{\"shape\":[2,2]}");
        Field field = new Field("raw", new FieldType(false, new ArrowType.FixedSizeList(4), null, metadata),
                List.of(new Field("item", FieldType.notNullable(DType.I32.arrowType()), null)));
        try (TensorArena arena = TensorArena.over(root, "t");
             FieldVector vector = field.createVector(arena.allocator())) {
            assertThat(vector).isInstanceOf(FixedSizeListVector.class);
            FixedSizeListVector list = (FixedSizeListVector) vector;
            list.allocateNew();
            IntVector values = (IntVector) list.getDataVector();
            values.allocateNew(8);
            for (int i = 0; i < 8; i++) {
                values.set(i, 10 * i);
            }
            values.setValueCount(8);
            list.setNotNull(0);
            list.setNotNull(1);
            list.setValueCount(2);
            Tensor t = TensorColumns.toTensor(vector, arena);
            assertThat(t.shape()).containsExactly(2, 2, 2);
            assertThat(t.toIntArray()).containsExactly(0, 10, 20, 30, 40, 50, 60, 70);
            assertThat(t.segment().address()).isEqualTo(values.getDataBuffer().memoryAddress());
        }
    }

    @Test
    void metadataShapeThatDisagreesWithTheStorageIsRejected() {
        Map<String, String> metadata = Map.of(
                ArrowType.ExtensionType.EXTENSION_METADATA_KEY_NAME, FixedShapeTensorType.EXTENSION_NAME,
                ArrowType.ExtensionType.EXTENSION_METADATA_KEY_METADATA, "{\"shape\":[5]}");
        Field field = new Field("bad", new FieldType(false, new ArrowType.FixedSizeList(4), null, metadata),
                List.of(new Field("item", FieldType.notNullable(DType.F32.arrowType()), null)));
        try (TensorArena arena = TensorArena.over(root, "t");
             FieldVector vector = field.createVector(arena.allocator())) {
            assertThatThrownBy(() -> TensorColumns.toTensor(vector, arena))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'bad'").hasMessageContaining("[5]").hasMessageContaining("4");
        }
    }

    @Test
    void emptyColumnsBecomeEmptyTensors() {
        try (TensorArena arena = TensorArena.over(root, "t")) {
            Tensor empty = arena.allocate(DType.F32, 0, 3);
            try (FixedShapeTensorVector column = TensorColumns.export("e", empty, arena.allocator())) {
                assertThat(column.getValueCount()).isZero();
                assertThat(TensorColumns.toTensor(column, arena).shape()).containsExactly(0, 3);
            }
        }
    }

    @Test
    void createdFromTheFieldAndTransferredKeepsTheExtensionType() {
        Field field = TensorColumns.field("x", DType.F32, 2);
        try (TensorArena arena = TensorArena.over(root, "t");
             FieldVector created = field.createVector(arena.allocator());
             FixedShapeTensorVector exported = TensorColumns.export("x", Fill.pattern(arena, DType.F32, 3, 4, 2), arena.allocator())) {
            assertThat(created).isInstanceOf(FixedShapeTensorVector.class);
            assertThat(created.getField()).isEqualTo(exported.getField());
            TransferPair pair = exported.getTransferPair(arena.allocator());
            pair.splitAndTransfer(1, 2);
            try (FixedShapeTensorVector part = (FixedShapeTensorVector) pair.getTo()) {
                assertThat(part.getValueCount()).isEqualTo(2);
                assertThat(part.tensorType()).isEqualTo(exported.tensorType());
                assertThat(part.getObject(0)).isEqualTo(exported.getObject(1));
            }
        }
    }

    private static Field nullableField(String name, long... shape) {
        return new Field(name, FieldType.nullable(FixedShapeTensorType.of(shape)),
                List.of(new Field("item", FieldType.nullable(DType.F32.arrowType()), null)));
    }
}
