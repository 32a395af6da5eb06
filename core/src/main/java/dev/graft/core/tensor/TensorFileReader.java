package dev.graft.core.tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.arrow.flatbuf.Endianness;
import org.apache.arrow.flatbuf.Footer;
import org.apache.arrow.flatbuf.KeyValue;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.MetadataVersion;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.flatbuf.Type;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.BufferLayout;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TypeLayout;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.extension.InvalidExtensionMetadataException;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowFooter;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Reads an Arrow IPC file memory-mapped: record batches are loaded into a {@link VectorSchemaRoot} whose
 * buffers are slices of the mapping, and {@link #tensor} views a tensor column as a read-only
 * {@link Tensor} over the same bytes. Nothing of the file's data is copied.
 *
 * <h2>How far Arrow Java goes without copying</h2>
 * The footer and each batch's metadata are flatbuffers, parsed by Arrow's generated classes
 * ({@link Footer}, {@link Message}, {@link RecordBatch}) straight from the mapping and turned into
 * {@link ArrowFooter} / {@link ArrowRecordBatch} by Arrow's own {@link MessageSerializer}; the body of a
 * batch is a slice of the mapped {@link ArrowBuf} and {@link VectorLoader} hands each vector a retained
 * slice of it. Arrow's {@code ArrowFileReader} instead reads every body into a freshly allocated buffer.
 * One thing is still allocated: when a field has no nulls (or only nulls) the writer may omit its
 * validity bitmap, and Arrow Java then materializes one ({@code ceil(rows / 8)} bytes per vector — never
 * the data). Compressed batches would need decoding into new memory and are rejected, as are dictionaries
 * and view types.
 *
 * <h2>Validation</h2>
 * Everything the file declares is checked against the file before it is used: magic bytes, footer and
 * message bounds, metadata version, endianness, every field node and buffer against the batch body, and
 * every length against the file size (so a corrupt length can never make Arrow allocate gigabytes).
 * Failures are {@link TensorFileException}s naming the file and, where one is at fault, the column.
 *
 * <h2>Lifetime and memory</h2>
 * The mapping is accounted in a child of the allocator given to {@link #open}, and stays mapped while
 * any Arrow reference to it exists: tensors made by {@link #tensor} hold their own, so they remain valid
 * after this reader closes, until their arena closes (the mapping's accounting then moves to that arena's
 * allocator). The root's vectors are valid until the next batch is loaded or the reader closes. The mapping
 * is private (copy-on-write) when the file may be opened for writing, so writes through Arrow vectors never
 * reach the file; otherwise it is read-only and the vectors must not be written. Do not truncate a file
 * while it is mapped ({@link TensorFileWriter} replaces files by renaming, which is safe).
 *
 * <p>A reader is not thread-safe: load batches from one thread (tensors it made may be read from any).
 */
public final class TensorFileReader implements AutoCloseable {
    private static final byte[] MAGIC = "ARROW1".getBytes(StandardCharsets.US_ASCII);
    /** Magic + padding, footer length, magic: the smallest possible Arrow file is longer than this. */
    private static final int MIN_SIZE = 8 + 4 + MAGIC.length;
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final BufferAllocator allocator;
    private final ArrowBuf mapping;
    private final Arena scope;
    private final MemorySegment file;
    private final Schema schema;
    private final List<ArrowBlock> blocks;
    private final Map<String, String> metadata;
    private final VectorSchemaRoot root;
    private int current = -1;
    private volatile boolean closed;

    private TensorFileReader(Path path, BufferAllocator allocator, ArrowBuf mapping, Arena scope, MemorySegment file,
                             ArrowFooter footer, VectorSchemaRoot root) {
        this.path = path;
        this.allocator = allocator;
        this.mapping = mapping;
        this.scope = scope;
        this.file = file;
        this.schema = footer.getSchema();
        this.blocks = List.copyOf(footer.getRecordBatches());
        this.metadata = footer.getMetaData() == null ? Map.of() : Map.copyOf(footer.getMetaData());
        this.root = root;
    }

    /**
     * Maps {@code file} and reads its footer. No batch is loaded yet.
     *
     * @param allocator the parent of the reader's allocator; tensors made from this reader must live in
     *                  arenas of the same root allocator
     * @throws NoSuchFileException if there is no such regular file
     * @throws TensorFileException if it is not a readable Arrow IPC file
     */
    public static TensorFileReader open(Path file, BufferAllocator allocator) throws IOException {
        FixedShapeTensorType.ensureRegistered();
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "not a regular file");
        }
        long size = Files.size(file);
        if (size < MIN_SIZE) {
            throw new TensorFileException(file, "not an Arrow IPC file: " + size + " bytes, fewer than the "
                    + MIN_SIZE + " of magic numbers and footer length alone");
        }
        BufferAllocator child = allocator.newChildAllocator("graft-ipc-reader " + file.getFileName(), 0, Long.MAX_VALUE);
        ArrowBuf mapping = null;
        Arena scope = Arena.ofShared();
        VectorSchemaRoot root = null;
        try {
            FileMapping.Mapping m;
            try {
                m = FileMapping.map(file, child);
            } catch (OutOfMemoryException e) {
                throw new TensorFileException(file, null, "mapping its " + size + " bytes exceeds the limit of allocator '"
                        + allocator.getName() + "' (" + allocator.getLimit() + " bytes)", e);
            }
            mapping = m.buffer();
            MemorySegment bytes = MemorySegment.ofAddress(m.address()).reinterpret(m.size(), scope, null).asReadOnly();
            ArrowFooter footer = readFooter(file, bytes);
            root = createRoot(file, footer.getSchema(), child);
            return new TensorFileReader(file, child, mapping, scope, bytes, footer, root);
        } catch (IOException | RuntimeException e) {
            if (root != null) {
                root.close();
            }
            scope.close();
            if (mapping != null) {
                mapping.getReferenceManager().release();
            }
            child.close();
            throw e;
        }
    }

    // ---- footer ---------------------------------------------------------------------------------------

    private static ArrowFooter readFooter(Path path, MemorySegment file) throws TensorFileException {
        long size = file.byteSize();
        if (!hasMagic(file, 0) || !hasMagic(file, size - MAGIC.length)) {
            throw new TensorFileException(path, "not an Arrow IPC file (no ARROW1 magic number at both ends; "
                    + "an Arrow IPC stream or a truncated file?)");
        }
        int footerLength = file.get(INT_LE, size - MAGIC.length - 4);
        long footerStart = size - MAGIC.length - 4 - footerLength;
        if (footerLength <= 0 || footerStart < 8) {
            throw new TensorFileException(path, "corrupt footer: length " + footerLength + " does not fit in a file of "
                    + size + " bytes");
        }
        Footer footer;
        try {
            footer = Footer.getRootAsFooter(byteBuffer(file, footerStart, footerLength));
            if (footer.schema() == null) {
                throw new TensorFileException(path, "corrupt footer: it has no schema");
            }
            if (footer.schema().endianness() != Endianness.Little) {
                throw new TensorFileException(path, "the file is big-endian; Graft reads little-endian Arrow files only");
            }
            if (footer.dictionariesLength() != 0) {
                throw new TensorFileException(path, "the file has " + footer.dictionariesLength()
                        + " dictionary batches; dictionary-encoded columns are not supported");
            }
            for (int i = 0; i < footer.schema().fieldsLength(); i++) {
                checkTensorMetadata(path, footer.schema().fields(i));
            }
        } catch (TensorFileException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new TensorFileException(path, null, "corrupt footer (" + e + ")", e);
        }
        ArrowFooter parsed;
        try {
            parsed = new ArrowFooter(footer);
        } catch (RuntimeException e) {
            throw new TensorFileException(path, null, "corrupt footer (" + e + ")", e);
        }
        for (int i = 0; i < parsed.getRecordBatches().size(); i++) {
            ArrowBlock b = parsed.getRecordBatches().get(i);
            if (b.getOffset() < 8 || b.getMetadataLength() < 8 || b.getBodyLength() < 0
                    || b.getOffset() > footerStart - b.getMetadataLength()
                    || b.getBodyLength() > footerStart - b.getOffset() - b.getMetadataLength()) {
                throw new TensorFileException(path, "corrupt footer: record batch " + i + " (offset " + b.getOffset()
                        + ", metadata " + b.getMetadataLength() + " bytes, body " + b.getBodyLength()
                        + " bytes) lies outside the " + footerStart + " bytes before the footer");
            }
        }
        for (Field f : parsed.getSchema().getFields()) {
            rejectDictionaries(path, f, f.getName());
        }
        return parsed;
    }

    /** Validates fixed_shape_tensor metadata before Arrow parses it, so the error can name the column. */
    private static void checkTensorMetadata(Path path, org.apache.arrow.flatbuf.Field field) throws TensorFileException {
        String extension = null;
        String extensionMetadata = null;
        for (int i = 0; i < field.customMetadataLength(); i++) {
            KeyValue kv = field.customMetadata(i);
            if (ArrowType.ExtensionType.EXTENSION_METADATA_KEY_NAME.equals(kv.key())) {
                extension = kv.value();
            } else if (ArrowType.ExtensionType.EXTENSION_METADATA_KEY_METADATA.equals(kv.key())) {
                extensionMetadata = kv.value();
            }
        }
        if (FixedShapeTensorType.EXTENSION_NAME.equals(extension)) {
            ArrowType storage;
            if (field.typeType() == Type.FixedSizeList) {
                org.apache.arrow.flatbuf.FixedSizeList list =
                        (org.apache.arrow.flatbuf.FixedSizeList) field.type(new org.apache.arrow.flatbuf.FixedSizeList());
                storage = new ArrowType.FixedSizeList(list.listSize());
            } else {
                throw new TensorFileException(path, field.name(), FixedShapeTensorType.EXTENSION_NAME
                        + " needs FixedSizeList storage, not " + typeName(field.typeType()), null);
            }
            try {
                FixedShapeTensorType.parse(storage, extensionMetadata);
            } catch (InvalidExtensionMetadataException e) {
                throw new TensorFileException(path, field.name(), e.getMessage(), e);
            }
        }
        for (int i = 0; i < field.childrenLength(); i++) {
            checkTensorMetadata(path, field.children(i));
        }
    }

    private static String typeName(byte type) {
        return type >= 0 && type < Type.names.length ? Type.name(type) : "type #" + type;
    }

    private static void rejectDictionaries(Path path, Field field, String column) throws TensorFileException {
        if (field.getDictionary() != null) {
            throw new TensorFileException(path, column, "is dictionary-encoded; dictionaries are not supported", null);
        }
        for (Field c : field.getChildren()) {
            rejectDictionaries(path, c, column);
        }
    }

    private static VectorSchemaRoot createRoot(Path path, Schema schema, BufferAllocator allocator) throws TensorFileException {
        for (Field f : schema.getFields()) {
            try {
                f.createVector(allocator).close();
            } catch (RuntimeException e) {
                throw new TensorFileException(path, f.getName(), "has a type Arrow Java cannot load: " + f + " (" + e + ")", e);
            }
        }
        return VectorSchemaRoot.create(schema, allocator);
    }

    private static boolean hasMagic(MemorySegment file, long offset) {
        for (int i = 0; i < MAGIC.length; i++) {
            if (file.get(ValueLayout.JAVA_BYTE, offset + i) != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    private static ByteBuffer byteBuffer(MemorySegment file, long offset, long length) {
        return file.asSlice(offset, length).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    // ---- accessors ------------------------------------------------------------------------------------

    public Path path() {
        return path;
    }

    /** The file's schema (from its footer). */
    public Schema schema() {
        return schema;
    }

    /** The custom metadata of the file's footer. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Number of record batches in the file. */
    public int batchCount() {
        return blocks.size();
    }

    /** Index of the loaded batch, or -1 before the first load. */
    public int currentBatch() {
        return current;
    }

    /** The root the batches are loaded into; its vectors change with every load. */
    public VectorSchemaRoot root() {
        requireOpen();
        return root;
    }

    /** The mapped file bytes (read-only; invalid after close). For tests that check nothing was copied. */
    MemorySegment mappedBytes() {
        requireOpen();
        return file;
    }

    // ---- batches --------------------------------------------------------------------------------------

    /**
     * Loads record batch {@code index} into {@link #root()}, replacing the previous one, and returns the root.
     * The vectors' buffers are slices of the mapped file.
     *
     * @throws TensorFileException if the batch's metadata is corrupt or does not match the schema
     */
    public VectorSchemaRoot loadBatch(int index) throws IOException {
        requireOpen();
        if (index < 0 || index >= blocks.size()) {
            throw new IndexOutOfBoundsException("batch " + index + " of " + path + ", which has " + blocks.size());
        }
        ArrowBlock block = blocks.get(index);
        RecordBatch batch = readBatchHeader(index, block);
        long bodyStart = block.getOffset() + block.getMetadataLength();
        ArrowBuf body = mapping.slice(bodyStart, block.getBodyLength());
        body.getReferenceManager().retain(); // MessageSerializer releases the body it is given
        ArrowRecordBatch records;
        try {
            records = MessageSerializer.deserializeRecordBatch(batch, body);
        } catch (IOException | RuntimeException e) {
            body.getReferenceManager().release();
            throw new TensorFileException(path, null, "corrupt record batch " + index + " (" + e + ")", e);
        }
        try (records) {
            new VectorLoader(root).load(records);
        } catch (RuntimeException e) {
            current = -1;
            throw new TensorFileException(path, null, "cannot load record batch " + index + " (" + e + ")", e);
        }
        current = index;
        return root;
    }

    /** Loads the batch after the current one; false (and nothing loaded) after the last. */
    public boolean loadNextBatch() throws IOException {
        requireOpen();
        if (current + 1 >= blocks.size()) {
            return false;
        }
        loadBatch(current + 1);
        return true;
    }

    /**
     * Iterates over the record batches from the first, loading each into {@link #root()} (which every
     * {@code next()} returns; its previous contents are released). Load failures surface as
     * {@link UncheckedIOException}s wrapping the {@link TensorFileException}.
     */
    public Iterator<VectorSchemaRoot> batches() {
        return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < blocks.size();
            }

            @Override
            public VectorSchemaRoot next() {
                if (!hasNext()) {
                    throw new NoSuchElementException("no batch " + next + " in " + path);
                }
                try {
                    return loadBatch(next++);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    private RecordBatch readBatchHeader(int index, ArrowBlock block) throws TensorFileException {
        long offset = block.getOffset();
        int metadataLength = block.getMetadataLength();
        int first = file.get(INT_LE, offset);
        int prefix = first == MessageSerializer.IPC_CONTINUATION_TOKEN ? 8 : 4;
        int messageLength = prefix == 8 ? file.get(INT_LE, offset + 4) : first;
        if (messageLength <= 0 || messageLength > metadataLength - prefix) {
            throw new TensorFileException(path, "corrupt record batch " + index + ": message length " + messageLength
                    + " does not fit its " + metadataLength + " bytes of metadata");
        }
        try {
            Message message = Message.getRootAsMessage(byteBuffer(file, offset + prefix, messageLength));
            if (message.version() != MetadataVersion.V4 && message.version() != MetadataVersion.V5) {
                throw new TensorFileException(path, "record batch " + index + " has metadata version "
                        + message.version() + "; Arrow Java reads V4 and V5");
            }
            if (message.headerType() != MessageHeader.RecordBatch) {
                throw new TensorFileException(path, "block " + index + " is a "
                        + MessageHeader.name(message.headerType()) + " message, not a record batch");
            }
            RecordBatch batch = (RecordBatch) message.header(new RecordBatch());
            if (batch == null) {
                throw new TensorFileException(path, "corrupt record batch " + index + ": no header");
            }
            if (batch.compression() != null) {
                throw new TensorFileException(path, "record batch " + index + " is compressed; compressed bodies "
                        + "must be decoded into new memory, which this zero-copy reader does not do (write the "
                        + "file uncompressed, e.g. pyarrow's compression=None)");
            }
            if (batch.variadicBufferCountsLength() != 0) {
                throw new TensorFileException(path, "record batch " + index + " has view-type columns, which are "
                        + "not supported");
            }
            new BatchCheck(index, batch, block.getBodyLength()).run();
            return batch;
        } catch (TensorFileException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new TensorFileException(path, null, "corrupt record batch " + index + " metadata (" + e + ")", e);
        }
    }

    /** Walks the schema in the order of the batch's field nodes and buffers, checking each against the body. */
    private final class BatchCheck {
        private final int index;
        private final RecordBatch batch;
        private final long bodyLength;
        private int node;
        private int buffer;

        BatchCheck(int index, RecordBatch batch, long bodyLength) {
            this.index = index;
            this.batch = batch;
            this.bodyLength = bodyLength;
        }

        void run() throws TensorFileException {
            long rows = batch.length();
            if (rows < 0 || rows > Integer.MAX_VALUE) {
                throw fail(null, "declares " + rows + " rows (at most " + Integer.MAX_VALUE + ")");
            }
            for (Field f : schema.getFields()) {
                field(f, f.getName(), rows);
            }
            if (node != batch.nodesLength() || buffer != batch.buffersLength()) {
                throw fail(null, "has " + batch.nodesLength() + " field nodes and " + batch.buffersLength()
                        + " buffers; the schema needs " + node + " and " + buffer);
            }
        }

        private void field(Field field, String column, long expectedLength) throws TensorFileException {
            if (node >= batch.nodesLength()) {
                throw fail(column, "has fewer field nodes than the schema needs");
            }
            org.apache.arrow.flatbuf.FieldNode n = batch.nodes(node++);
            long length = n.length();
            long nulls = n.nullCount();
            if (length < 0 || length > Integer.MAX_VALUE || nulls < 0 || nulls > length) {
                throw fail(column, "declares length " + length + " with " + nulls + " nulls");
            }
            if (expectedLength >= 0 && length != expectedLength) {
                throw fail(column, "has " + length + " values where " + expectedLength + " are needed");
            }
            ArrowType type = field.getType() instanceof ArrowType.ExtensionType ext ? ext.storageType() : field.getType();
            if (!(type instanceof ArrowType.Null) && (length + 7) / 8 > file.byteSize()) {
                throw fail(column, "declares length " + length + ", impossible in a file of " + file.byteSize() + " bytes");
            }
            TypeLayout layout = TypeLayout.getTypeLayout(type);
            boolean fixedWidth = layout.getBufferTypes().stream().noneMatch(t -> t == BufferLayout.BufferType.OFFSET
                    || t == BufferLayout.BufferType.VIEWS || t == BufferLayout.BufferType.SIZE);
            for (BufferLayout b : layout.getBufferLayouts()) {
                if (buffer >= batch.buffersLength()) {
                    throw fail(column, "has fewer buffers than the schema needs");
                }
                org.apache.arrow.flatbuf.Buffer buf = batch.buffers(buffer++);
                long offset = buf.offset();
                long size = buf.length();
                if (offset < 0 || size < 0 || offset > bodyLength || size > bodyLength - offset) {
                    throw fail(column, "has a buffer [" + offset + ", +" + size + ") outside the " + bodyLength
                            + "-byte batch body");
                }
                long needed = switch (b.getType()) {
                    case VALIDITY -> nulls > 0 && nulls < length ? (length + 7) / 8 : 0;
                    case DATA -> fixedWidth ? (length * b.getTypeBitWidth() + 7) / 8 : 0;
                    case OFFSET -> length == 0 ? 0 : (type instanceof ArrowType.Union ? length : length + 1) * b.getTypeBitWidth() / 8;
                    case TYPE -> length;
                    default -> 0;
                };
                if (size < needed) {
                    throw fail(column, "has a " + b.getType().name().toLowerCase(java.util.Locale.ROOT) + " buffer of "
                            + size + " bytes; " + length + " values need " + needed);
                }
            }
            long childLength = -1;
            if (type instanceof ArrowType.FixedSizeList list) {
                childLength = length * list.getListSize();
                if (childLength > Integer.MAX_VALUE) {
                    throw fail(column, "has " + length + " lists of " + list.getListSize() + " = " + childLength
                            + " values (at most " + Integer.MAX_VALUE + ")");
                }
            }
            for (Field child : field.getChildren()) {
                field(child, column, childLength);
            }
        }

        private TensorFileException fail(String column, String message) {
            return new TensorFileException(path, column, "record batch " + index + " " + message, null);
        }
    }

    // ---- tensors --------------------------------------------------------------------------------------

    /**
     * The named fixed_shape_tensor column of the loaded batch as a read-only tensor of shape
     * {@code [rows, shape…]} over the mapped file, owned by {@code arena} (valid until the arena closes, even
     * after this reader closes).
     *
     * @throws TensorFileException naming the file and column if there is no such column or it is not a
     *                             fixed_shape_tensor column Graft can view (see {@link TensorColumns#toTensor})
     * @throws IllegalStateException if no batch is loaded, or the reader or arena is closed
     */
    public Tensor tensor(String column, TensorArena arena) throws TensorFileException {
        FieldVector vector = column(column);
        try {
            return TensorColumns.toTensor(vector, arena).asReadOnly();
        } catch (IllegalArgumentException e) {
            throw new TensorFileException(path, column, stripColumn(e.getMessage(), column), e);
        }
    }

    /**
     * {@link #tensor(String, TensorArena)}, checking the dtype and the shape of one row's tensor.
     *
     * @throws TensorFileException naming the file and column if they differ
     */
    public Tensor tensor(String column, TensorArena arena, DType dtype, long... elementShape) throws TensorFileException {
        Tensor t = tensor(column, arena);
        long[] rowShape = Arrays.copyOfRange(t.shape(), 1, t.rank());
        if (t.dtype() != dtype || !Arrays.equals(rowShape, elementShape)) {
            throw new TensorFileException(path, column, "holds " + t.dtype().name().toLowerCase(java.util.Locale.ROOT)
                    + Arrays.toString(rowShape) + " tensors per row, expected "
                    + dtype.name().toLowerCase(java.util.Locale.ROOT) + Arrays.toString(elementShape), null);
        }
        return t;
    }

    /** Every fixed_shape_tensor column of the loaded batch, by name in schema order ({@link #tensor}). */
    public Map<String, Tensor> tensors(TensorArena arena) throws TensorFileException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Field f : schema.getFields()) {
            if (TensorColumns.isTensorColumn(f)) {
                out.put(f.getName(), tensor(f.getName(), arena));
            }
        }
        return out;
    }

    private FieldVector column(String name) throws TensorFileException {
        requireOpen();
        if (current < 0) {
            throw new IllegalStateException("no batch of " + path + " is loaded; call loadBatch or loadNextBatch first");
        }
        FieldVector v = root.getVector(name);
        if (v == null) {
            throw new TensorFileException(path, name, "no such column (the columns are "
                    + schema.getFields().stream().map(Field::getName).toList() + ")", null);
        }
        return v;
    }

    private static String stripColumn(String message, String column) {
        String prefix = "column '" + column + "'";
        if (message.startsWith(prefix + ": ")) {
            return message.substring(prefix.length() + 2);
        }
        return message.startsWith(prefix + " ") ? message.substring(prefix.length() + 1) : message;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("reader of " + path + " is closed");
        }
    }

    /**
     * Releases the root's vectors and this reader's reference to the mapping, and closes its allocator.
     * Tensors made by {@link #tensor} stay valid (their arenas hold the mapping). Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        root.close();
        scope.close();
        mapping.getReferenceManager().release();
        allocator.close();
    }

    @Override
    public String toString() {
        return "TensorFileReader(" + path + ", " + blocks.size() + " batches" + (closed ? ", closed" : "") + ")";
    }
}
