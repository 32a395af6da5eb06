package dev.graft.core.tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Graft feature files: Arrow IPC files whose tensor columns are {@code arrow.fixed_shape_tensor} columns
 * (layout and pyarrow recipes in {@code docs/ARROW-LAYOUT.md}). One-call helpers over
 * {@link TensorFileWriter} (atomic, batch by batch) and {@link TensorFileReader} (memory-mapped, zero copy).
 */
public final class TensorFiles {
    private TensorFiles() {
    }

    /**
     * Writes one batch of named tensors (each tensor's first axis is the row axis; all have the same number
     * of rows) to {@code target}, atomically.
     */
    public static void write(Path target, Map<String, Tensor> columns) throws IOException {
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("nothing to write to " + target + ": no columns");
        }
        Tensor first = columns.values().iterator().next();
        if (first.arena() == null || first.arena().isClosed()) {
            throw new IllegalStateException("cannot write " + target + ": tensor " + first.describe()
                    + " was used after its arena was closed");
        }
        BufferAllocator allocator = first.arena().allocator();
        try (TensorFileWriter w = TensorFileWriter.create(target, TensorColumns.schema(columns), allocator)) {
            w.write(columns);
            w.commit();
        }
    }

    /** Writes {@code batch} (any Arrow columns) to {@code target} as a one-batch file, atomically. */
    public static void write(Path target, VectorSchemaRoot batch) throws IOException {
        if (batch.getFieldVectors().isEmpty()) {
            throw new IllegalArgumentException("nothing to write to " + target + ": the batch has no columns");
        }
        BufferAllocator allocator = batch.getFieldVectors().getFirst().getAllocator();
        try (TensorFileWriter w = TensorFileWriter.create(target, batch.getSchema(), allocator)) {
            w.write(batch);
            w.commit();
        }
    }

    /** Opens {@code file} memory-mapped; see {@link TensorFileReader#open}. */
    public static TensorFileReader open(Path file, BufferAllocator allocator) throws IOException {
        return TensorFileReader.open(file, allocator);
    }

    /**
     * The tensor columns of a one-batch file as read-only tensors over the mapped file, owned by
     * {@code arena} (the file stays mapped until the arena closes).
     *
     * @throws TensorFileException if the file has more than one batch (iterate with {@link TensorFileReader}),
     *                             or for any reason {@link TensorFileReader} gives
     */
    public static Map<String, Tensor> read(Path file, TensorArena arena) throws IOException {
        try (TensorFileReader reader = TensorFileReader.open(file, arena.allocator())) {
            if (reader.batchCount() != 1) {
                throw new TensorFileException(file, "has " + reader.batchCount() + " record batches; read them one by "
                        + "one with TensorFileReader.loadBatch / batches()");
            }
            reader.loadBatch(0);
            return reader.tensors(arena);
        }
    }
}
