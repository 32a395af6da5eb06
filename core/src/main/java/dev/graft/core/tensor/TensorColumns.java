package dev.graft.core.tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ExtensionTypeVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.extension.InvalidExtensionMetadataException;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Tensors to Arrow columns of {@link FixedShapeTensorType} and back, sharing memory in both directions.
 *
 * <p>A tensor of shape {@code [n, d1, d2, …]} is a column of {@code n} rows, each a {@code [d1, d2, …]}
 * tensor (the first axis is the row axis). The column's element vector's data buffer <em>is</em> the
 * tensor's memory: {@link #export} retains the tensor's {@link ArrowBuf} instead of copying it, and
 * {@link #toTensor} views a column's data buffer as a tensor. The only memory either direction allocates is
 * Arrow's validity bitmaps ({@code ceil(n / 8)} bytes per vector), which Arrow Java insists on
 * materializing even when nothing is null.
 *
 * <p>Sharing memory needs one Arrow root allocator: the column's allocator and the tensor's arena must
 * descend from the same {@code RootAllocator} (Arrow cannot hand a buffer across roots without a copy).
 * Either side may be closed first: each holds its own reference and the memory goes back when the last
 * one is released.
 */
public final class TensorColumns {
    /** Name of the element field inside the storage {@code FixedSizeList} (pyarrow's name). */
    public static final String VALUE_FIELD_NAME = "item";

    static {
        FixedShapeTensorType.ensureRegistered();
    }

    private TensorColumns() {
    }

    /**
     * The field of a non-nullable column holding one {@code dtype} tensor of {@code elementShape} per row.
     */
    public static Field field(String name, DType dtype, long... elementShape) {
        FixedShapeTensorType type = FixedShapeTensorType.of(elementShape);
        Field values = new Field(VALUE_FIELD_NAME, FieldType.notNullable(dtype.arrowType()), null);
        return new Field(name, FieldType.notNullable(type), List.of(values));
    }

    /** The schema of the batch {@link #exportBatch} makes from {@code columns}. */
    public static Schema schema(Map<String, Tensor> columns) {
        List<Field> fields = new ArrayList<>(columns.size());
        columns.forEach((name, t) -> {
            requireRows(name, t);
            fields.add(field(name, t.dtype(), elementShape(t)));
        });
        return new Schema(fields);
    }

    /**
     * A column over {@code tensor}'s memory, without copying: row {@code i} is {@code tensor.slice(i, i + 1)}.
     * The column holds a reference to the tensor's buffer, accounted in {@code allocator}; close the column
     * when done.
     *
     * <p>If the tensor views a memory-mapped file ({@link TensorArena#mapReadOnly}), the column's memory is
     * that mapping: do not write through the column.
     *
     * @param allocator where the column lives; must share a root allocator with the tensor's arena
     * @throws IllegalArgumentException for a scalar tensor, more rows or elements than an Arrow vector holds,
     *                                  or an allocator of another root
     * @throws IllegalStateException    if the tensor's arena is closed
     */
    public static FixedShapeTensorVector export(String name, Tensor tensor, BufferAllocator allocator) {
        requireUsable(tensor);
        int rows = requireRows(name, tensor);
        long[] elementShape = elementShape(tensor);
        long values = tensor.elementCount();
        if (values > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("column '" + name + "': " + tensor.describe() + " has " + values
                    + " elements; an Arrow vector holds at most " + Integer.MAX_VALUE);
        }
        requireSameRoot(name, tensor.arrowBuffer().getReferenceManager().getAllocator(), allocator, "the column's allocator");
        FixedShapeTensorVector column = (FixedShapeTensorVector) field(name, tensor.dtype(), elementShape).createVector(allocator);
        try {
            ArrowBuf data = tensor.arrowBuffer().slice(tensor.bufferOffset(), tensor.byteSize());
            ArrowBuf noValidity = allocator.getEmpty();
            column.getUnderlyingVector().loadFieldBuffers(new ArrowFieldNode(rows, 0), List.of(noValidity));
            // loadFieldBuffers retains `data` in `allocator`: same memory, one more reference.
            column.values().loadFieldBuffers(new ArrowFieldNode(values, 0), List.of(noValidity, data));
            return column;
        } catch (RuntimeException e) {
            column.close();
            throw e;
        }
    }

    /**
     * A batch of named tensor columns (in the map's iteration order) over the tensors' memory, without
     * copying. Every tensor's first axis is the row axis and all must have the same number of rows.
     *
     * @throws IllegalArgumentException if the row counts differ, or for any reason {@link #export} gives
     */
    public static VectorSchemaRoot exportBatch(Map<String, Tensor> columns, BufferAllocator allocator) {
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one tensor column");
        }
        long rows = -1;
        String first = null;
        for (Map.Entry<String, Tensor> e : columns.entrySet()) {
            requireRows(e.getKey(), e.getValue());
            long r = e.getValue().size(0);
            if (rows < 0) {
                rows = r;
                first = e.getKey();
            } else if (r != rows) {
                throw new IllegalArgumentException("column '" + e.getKey() + "' (" + e.getValue().describe() + ") has "
                        + r + " rows but column '" + first + "' has " + rows + "; a batch's columns share the row axis");
            }
        }
        List<FieldVector> vectors = new ArrayList<>(columns.size());
        try {
            for (Map.Entry<String, Tensor> e : columns.entrySet()) {
                vectors.add(export(e.getKey(), e.getValue(), allocator));
            }
        } catch (RuntimeException e) {
            vectors.forEach(FieldVector::close);
            throw e;
        }
        List<Field> fields = vectors.stream().map(FieldVector::getField).toList();
        return new VectorSchemaRoot(fields, vectors, (int) rows);
    }

    /** True when {@code field} is an {@code arrow.fixed_shape_tensor} column (registered or not). */
    public static boolean isTensorColumn(Field field) {
        return field.getType() instanceof FixedShapeTensorType
                || FixedShapeTensorType.EXTENSION_NAME.equals(
                        field.getMetadata().get(ArrowType.ExtensionType.EXTENSION_METADATA_KEY_NAME));
    }

    /**
     * The tensor type of a column's field: the field's type, or parsed from its extension metadata when the
     * column was read before the type was registered.
     *
     * @throws IllegalArgumentException naming the column if it is not a valid fixed_shape_tensor column
     */
    public static FixedShapeTensorType tensorType(Field field) {
        if (field.getType() instanceof FixedShapeTensorType t) {
            return t;
        }
        if (!isTensorColumn(field)) {
            throw new IllegalArgumentException("column '" + field.getName() + "' is not an "
                    + FixedShapeTensorType.EXTENSION_NAME + " column (its type is " + field.getType() + ")");
        }
        try {
            return FixedShapeTensorType.parse(field.getType(),
                    field.getMetadata().get(ArrowType.ExtensionType.EXTENSION_METADATA_KEY_METADATA));
        } catch (InvalidExtensionMetadataException e) {
            throw new IllegalArgumentException("column '" + field.getName() + "': " + e.getMessage(), e);
        }
    }

    /**
     * A view of a fixed_shape_tensor column as one tensor of shape {@code [rows, shape…]} over the column's
     * data buffer, without copying. The tensor belongs to {@code arena} (which takes its own reference on
     * the buffer, so the column may be closed first) and is writable when the column's memory is.
     *
     * @throws IllegalArgumentException naming the column if it is not a fixed_shape_tensor column, its
     *                                  metadata and storage disagree, it holds nulls, its element type has no
     *                                  Graft dtype, its buffers are too short, its permutation is not the
     *                                  identity (see {@link #toPhysicalTensor}), or the arena has another root
     *                                  allocator
     * @throws IllegalStateException    if the arena is closed
     */
    public static Tensor toTensor(FieldVector column, TensorArena arena) {
        FixedShapeTensorType type = tensorType(column.getField());
        if (!type.isIdentityPermutation()) {
            throw new IllegalArgumentException("column '" + column.getName() + "' has permutation "
                    + Arrays.toString(type.permutation().orElseThrow()) + ": its logical shape "
                    + Arrays.toString(type.logicalShape()) + " is not its row-major physical shape "
                    + Arrays.toString(type.shape()) + ", and Graft tensors have no strides. Use "
                    + "TensorColumns.toPhysicalTensor for the physical layout, or copy into the logical one.");
        }
        return view(column, type, arena);
    }

    /**
     * Like {@link #toTensor} but accepts any permutation and returns the tensors in their physical
     * (storage, row-major) layout, shape {@code [rows, type.shape()…]}; apply
     * {@link FixedShapeTensorType#permutation()} yourself to get the logical layout.
     */
    public static Tensor toPhysicalTensor(FieldVector column, TensorArena arena) {
        return view(column, tensorType(column.getField()), arena);
    }

    /** Every fixed_shape_tensor column of {@code root} viewed by {@link #toTensor}, by name, in schema order. */
    public static Map<String, Tensor> toTensors(VectorSchemaRoot root, TensorArena arena) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (FieldVector v : root.getFieldVectors()) {
            if (isTensorColumn(v.getField())) {
                out.put(v.getName(), toTensor(v, arena));
            }
        }
        return out;
    }

    private static Tensor view(FieldVector column, FixedShapeTensorType type, TensorArena arena) {
        String name = column.getName();
        FixedSizeListVector list = storage(column);
        if (list.getListSize() != type.listSize()) {
            throw new IllegalArgumentException("column '" + name + "': shape " + Arrays.toString(type.shape())
                    + " has " + type.listSize() + " elements but the storage FixedSizeList holds "
                    + list.getListSize() + " per row");
        }
        FieldVector values = list.getDataVector();
        DType dtype;
        try {
            dtype = DType.fromArrowType(values.getField().getType());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("column '" + name + "': " + e.getMessage(), e);
        }
        int rows = list.getValueCount();
        if (list.getNullCount() > 0) {
            throw new IllegalArgumentException("column '" + name + "' has " + list.getNullCount() + " null tensors in "
                    + rows + " rows (first at row " + firstNull(list) + "); Graft tensors have no nulls");
        }
        long count = (long) rows * type.listSize();
        if (values.getValueCount() < count) {
            throw new IllegalArgumentException("column '" + name + "' has " + rows + " rows of " + type.listSize()
                    + " elements but its element vector holds only " + values.getValueCount());
        }
        if (values.getNullCount() > 0) {
            throw new IllegalArgumentException("column '" + name + "' has " + values.getNullCount()
                    + " null elements; Graft tensors have no nulls");
        }
        long bytes = count * dtype.byteSize();
        ArrowBuf data = values.getDataBuffer();
        if (data.capacity() < bytes) {
            throw new IllegalArgumentException("column '" + name + "': " + rows + " rows of " + dtype + Arrays.toString(type.shape())
                    + " need " + bytes + " bytes but its data buffer holds " + data.capacity());
        }
        long[] shape = new long[type.rank() + 1];
        shape[0] = rows;
        System.arraycopy(type.shape(), 0, shape, 1, type.rank());
        if (arena.isClosed()) {
            throw new IllegalStateException("cannot view column '" + name + "' in arena '" + arena.name() + "': it is closed");
        }
        if (bytes == 0) {
            return arena.allocate(dtype, shape);
        }
        requireSameRoot(name, data.getReferenceManager().getAllocator(), arena.allocator(), "arena '" + arena.name() + "'");
        // A reference accounted in the arena's allocator, so the view outlives the column if need be.
        ArrowBuf own = data.getReferenceManager().retain(data, arena.allocator());
        try {
            return arena.wrap(own, 0, dtype, shape);
        } finally {
            own.getReferenceManager().release(); // wrap took its own reference
        }
    }

    private static FixedSizeListVector storage(FieldVector column) {
        if (column instanceof ExtensionTypeVector<?> ext && ext.getUnderlyingVector() instanceof FixedSizeListVector list) {
            return list;
        }
        if (column instanceof FixedSizeListVector list) {
            return list;
        }
        throw new IllegalArgumentException("column '" + column.getName() + "' is a " + column.getClass().getSimpleName()
                + ", not a FixedSizeList-backed fixed_shape_tensor column");
    }

    private static int firstNull(FixedSizeListVector list) {
        for (int i = 0; i < list.getValueCount(); i++) {
            if (list.isNull(i)) {
                return i;
            }
        }
        return -1;
    }

    private static long[] elementShape(Tensor t) {
        return Arrays.copyOfRange(t.shape(), 1, t.rank());
    }

    private static int requireRows(String name, Tensor t) {
        if (t.rank() == 0) {
            throw new IllegalArgumentException("column '" + name + "': a scalar tensor has no row axis; reshape it to [1]");
        }
        if (t.size(0) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("column '" + name + "': " + t.describe() + " has " + t.size(0)
                    + " rows; an Arrow batch holds at most " + Integer.MAX_VALUE);
        }
        return (int) t.size(0);
    }

    private static void requireUsable(Tensor t) {
        if (t.arena() == null || t.arena().isClosed()) {
            throw new IllegalStateException("tensor " + t.describe() + " was used after its arena"
                    + (t.arena() == null ? "" : " '" + t.arena().name() + "'") + " was closed");
        }
    }

    private static void requireSameRoot(String column, BufferAllocator from, BufferAllocator to, String what) {
        if (from != null && from.getRoot() != to.getRoot()) {
            throw new IllegalArgumentException("column '" + column + "': its memory belongs to Arrow root allocator '"
                    + from.getRoot().getName() + "' but " + what + " to root '" + to.getRoot().getName()
                    + "'; Arrow shares a buffer only between allocators of one root (open the arena with "
                    + "TensorArena.over(<allocator of that root>, name))");
        }
    }
}
