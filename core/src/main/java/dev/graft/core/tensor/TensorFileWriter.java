package dev.graft.core.tensor;

import dev.graft.core.fs.TempFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Writes an Arrow IPC <em>file</em> batch by batch, atomically: everything goes to a temporary file in the
 * target's directory ({@link TempFiles}: deleted if the JVM ends before the commit), and only {@link #commit()}
 * moves it onto the target (an atomic rename where the file
 * system has one). Until then the target is untouched; {@link #close()} without a commit — after a failure,
 * say — deletes the temporary file, so a reader never sees a half-written file and a mapped reader of the
 * previous version keeps its (unlinked) file intact.
 *
 * <pre>{@code
 * try (TensorFileWriter w = TensorFileWriter.create(path, TensorColumns.schema(first), allocator)) {
 *     w.write(first);               // Map<String, Tensor>: one record batch
 *     w.write(second);
 *     w.commit();
 * }
 * }</pre>
 *
 * <p>Batches are written without compression (readers can then map the file instead of decoding it) and
 * without dictionaries. Writing a batch exports its tensors without copying them; the only copy is the
 * write to the file itself.
 */
public final class TensorFileWriter implements AutoCloseable {
    private final Path target;
    private final Path temp;
    private final Schema schema;
    private final BufferAllocator allocator;
    private final FileChannel channel;
    private final VectorSchemaRoot root;
    private final ArrowFileWriter writer;
    private int batches;
    private boolean failed;
    private boolean committed;
    private boolean closed;

    private TensorFileWriter(Path target, Path temp, Schema schema, BufferAllocator allocator, FileChannel channel,
                             VectorSchemaRoot root, ArrowFileWriter writer) {
        this.target = target;
        this.temp = temp;
        this.schema = schema;
        this.allocator = allocator;
        this.channel = channel;
        this.root = root;
        this.writer = writer;
    }

    /**
     * Starts a file of {@code schema} at {@code target} (created or replaced on {@link #commit()}).
     *
     * @param allocator accounts the writer's vectors; must share a root allocator with the batches' memory
     * @throws IOException if the temporary file cannot be created (for instance the directory is missing)
     */
    public static TensorFileWriter create(Path target, Schema schema, BufferAllocator allocator) throws IOException {
        FixedShapeTensorType.ensureRegistered();
        Objects.requireNonNull(schema, "schema");
        Path absolute = target.toAbsolutePath();
        Path temp = TempFiles.createFile(absolute);
        BufferAllocator child = null;
        FileChannel channel = null;
        VectorSchemaRoot root = null;
        try {
            child = allocator.newChildAllocator("graft-ipc-writer " + absolute.getFileName(), 0, Long.MAX_VALUE);
            channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            root = VectorSchemaRoot.create(schema, child);
            ArrowFileWriter writer = new ArrowFileWriter(root, null, channel);
            writer.start();
            return new TensorFileWriter(absolute, temp, schema, child, channel, root, writer);
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            if (root != null) {
                root.close();
            }
            if (child != null) {
                child.close();
            }
            TempFiles.delete(temp);
            throw e;
        }
    }

    /** The schema every batch must have. */
    public Schema schema() {
        return schema;
    }

    /** The file this writer creates or replaces on {@link #commit()}. */
    public Path target() {
        return target;
    }

    /** Batches written so far. */
    public int batchCount() {
        return batches;
    }

    /**
     * Writes one batch of tensor columns, exported without copying ({@link TensorColumns#exportBatch}).
     *
     * @throws TensorFileException naming the column if the batch does not match the schema
     */
    public void write(Map<String, Tensor> columns) throws IOException {
        requireWritable();
        Schema expected;
        try {
            expected = TensorColumns.schema(columns);
        } catch (IllegalArgumentException e) {
            throw new TensorFileException(target, null, e.getMessage(), e);
        }
        requireSchema(expected);
        try (BufferAllocator exports = allocator.newChildAllocator("export", 0, Long.MAX_VALUE);
             VectorSchemaRoot batch = exportBatch(columns, exports)) {
            writeLoaded(batch);
        }
    }

    /**
     * Writes one batch. The batch's buffers are read, not retained: the caller keeps ownership of it.
     *
     * @throws TensorFileException naming the column if the batch's schema differs from the file's
     */
    public void write(VectorSchemaRoot batch) throws IOException {
        requireWritable();
        requireSchema(batch.getSchema());
        writeLoaded(batch);
    }

    private VectorSchemaRoot exportBatch(Map<String, Tensor> columns, BufferAllocator exports) throws TensorFileException {
        try {
            return TensorColumns.exportBatch(columns, exports);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new TensorFileException(target, null, e.getMessage(), e);
        }
    }

    private void writeLoaded(VectorSchemaRoot batch) throws IOException {
        try {
            try (ArrowRecordBatch records = new VectorUnloader(batch).getRecordBatch()) {
                new VectorLoader(root).load(records); // shares the batch's buffers
            }
            writer.writeBatch();
            batches++;
        } catch (IOException | RuntimeException e) {
            failed = true; // the temporary file may hold part of a batch: it can only be discarded
            throw e;
        } finally {
            root.clear(); // drop the references to the batch's memory
        }
    }

    private void requireSchema(Schema actual) throws TensorFileException {
        List<Field> want = schema.getFields();
        List<Field> got = actual.getFields();
        for (int i = 0; i < Math.max(want.size(), got.size()); i++) {
            if (i >= got.size()) {
                throw new TensorFileException(target, want.get(i).getName(), "missing from the batch (the file's columns are "
                        + names(want) + ")", null);
            }
            if (i >= want.size()) {
                throw new TensorFileException(target, got.get(i).getName(), "is not in the file's schema (its columns are "
                        + names(want) + ")", null);
            }
            if (!want.get(i).equals(got.get(i))) {
                throw new TensorFileException(target, got.get(i).getName(), "the batch has " + got.get(i)
                        + " where the file's schema has " + want.get(i), null);
            }
        }
    }

    private static List<String> names(List<Field> fields) {
        return fields.stream().map(Field::getName).toList();
    }

    /**
     * Finishes the file (footer, flush to disk) and moves it onto the target atomically. After a failed
     * write the file is incomplete: commit refuses, and {@link #close()} discards it.
     */
    public void commit() throws IOException {
        requireWritable();
        if (failed) {
            throw new TensorFileException(target, "an earlier write failed; the file was not committed");
        }
        try {
            writer.end();
            channel.force(true);
            channel.close();
            TempFiles.moveIntoPlace(temp, target, true);
            committed = true;
        } catch (IOException | RuntimeException e) {
            failed = true;
            throw e;
        }
        syncDirectory(target.getParent());
    }

    /** Releases the writer's memory; deletes the temporary file unless {@link #commit()} succeeded. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            closeQuietly(channel);
            if (!committed) {
                TempFiles.delete(temp);
            }
        } finally {
            root.close();
            allocator.close();
        }
    }

    private void requireWritable() {
        if (closed) {
            throw new IllegalStateException("writer for " + target + " is closed");
        }
        if (committed) {
            throw new IllegalStateException("writer for " + target + " has already committed");
        }
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true); // make the rename durable; not every platform can open a directory, hence best effort
        } catch (IOException | RuntimeException ignored) {
            // the file itself was forced before the move
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing after a failure; the file is discarded
            }
        }
    }
}
