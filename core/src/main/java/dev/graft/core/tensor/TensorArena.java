package dev.graft.core.tensor;

import dev.graft.core.JvmFlags;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OwnershipTransferResult;
import org.apache.arrow.memory.RootAllocator;

/**
 * Owns the Arrow memory of one unit of work — a model's weights, a forward pass, a batch of features —
 * and hands it out as {@link Tensor} views.
 *
 * <h2>Lifecycle</h2>
 * <ol>
 *   <li>Open: {@link #root(String)} (owns its own {@link RootAllocator}), {@link #over(BufferAllocator, String)}
 *       (a child of an allocator you already have, so Graft memory shows up in your accounting), or
 *       {@link #child(String)} of another arena.</li>
 *   <li>Use: {@link #allocate}, {@link #copyOf}, {@link #wrap} (a view over an Arrow buffer someone else
 *       filled), {@link #mapReadOnly} (a file mapped into memory, read-only).</li>
 *   <li>Keep a result: {@link #transfer(Tensor)} moves a tensor's buffer into this arena, so it outlives the
 *       arena it was made in.</li>
 *   <li>{@link #close()}: closes child arenas, invalidates every view (later access throws
 *       {@link IllegalStateException}), releases every buffer and closes the allocator — which fails loudly
 *       if anything leaked.</li>
 * </ol>
 *
 * <p>Allocation and close are thread-safe; tensors may be read and written from any thread while the
 * arena is open.
 */
public final class TensorArena implements AutoCloseable {
    private final String name;
    private final BufferAllocator allocator;
    private final boolean ownsRootAllocator;
    private final Arena scope = Arena.ofShared();
    private final TensorArena parent;
    private final Map<ArrowBuf, Boolean> buffers = new IdentityHashMap<>();
    private final List<TensorArena> children = new ArrayList<>();
    private volatile boolean closed;

    private TensorArena(String name, BufferAllocator allocator, boolean ownsRootAllocator, TensorArena parent) {
        this.name = Objects.requireNonNull(name, "name");
        this.allocator = allocator;
        this.ownsRootAllocator = ownsRootAllocator;
        this.parent = parent;
    }

    /**
     * A top-level arena with its own root allocator (no limit).
     *
     * @throws IllegalStateException when the JVM lacks a flag Arrow needs (the message lists them; {@link JvmFlags})
     */
    public static TensorArena root(String name) {
        JvmFlags.requireArrowFlags();
        return new TensorArena(name, new RootAllocator(), true, null);
    }

    /**
     * A top-level arena whose memory is accounted in a child of {@code parent}.
     *
     * @throws IllegalStateException when the JVM lacks a flag Arrow needs (the message lists them; {@link JvmFlags})
     */
    public static TensorArena over(BufferAllocator parent, String name) {
        JvmFlags.requireArrowFlags();
        return new TensorArena(name, parent.newChildAllocator(name, 0, Long.MAX_VALUE), false, null);
    }

    /** A nested arena, closed at the latest when this one closes. */
    public TensorArena child(String childName) {
        synchronized (this) {
            requireOpen();
            TensorArena c = new TensorArena(childName,
                    allocator.newChildAllocator(childName, 0, Long.MAX_VALUE), false, this);
            children.add(c);
            return c;
        }
    }

    public String name() {
        return name;
    }

    /** The Arrow allocator this arena's memory is accounted in. */
    public BufferAllocator allocator() {
        return allocator;
    }

    /** Bytes currently held by this arena and its children. */
    public long allocatedBytes() {
        return allocator.getAllocatedMemory();
    }

    public boolean isClosed() {
        return closed;
    }

    /** A zero-filled tensor. */
    public Tensor allocate(DType dtype, long... shape) {
        Tensor t = allocateUninitialized(dtype, shape);
        t.segment().fill((byte) 0);
        return t;
    }

    /** A tensor whose contents are whatever the allocator returned; for outputs a kernel overwrites. */
    public Tensor allocateUninitialized(DType dtype, long... shape) {
        long bytes = Math.multiplyExact(Tensor.elementCount(shape), dtype.byteSize());
        ArrowBuf buf;
        synchronized (this) {
            requireOpen();
            buf = allocator.buffer(Math.max(bytes, 1));
            buffers.put(buf, Boolean.TRUE);
        }
        return view(buf, 0, bytes, dtype, shape, false);
    }

    /** A new f32 tensor holding a copy of {@code values}. */
    public Tensor copyOf(float[] values, long... shape) {
        return allocateUninitialized(DType.F32, shape).copyFrom(values);
    }

    /** A new i32 tensor holding a copy of {@code values}. */
    public Tensor copyOf(int[] values, long... shape) {
        return allocateUninitialized(DType.I32, shape).copyFrom(values);
    }

    /** A new tensor holding a copy of {@code source}, owned by this arena. */
    public Tensor copyOf(Tensor source) {
        return allocateUninitialized(source.dtype(), source.shape()).copyFrom(source);
    }

    /**
     * A view over an Arrow buffer filled elsewhere (an Arrow vector's data buffer, say), without copying.
     * The arena takes a reference on the buffer and gives it back on close.
     */
    public Tensor wrap(ArrowBuf buffer, long byteOffset, DType dtype, long... shape) {
        long bytes = Math.multiplyExact(Tensor.elementCount(shape), dtype.byteSize());
        if (byteOffset < 0 || byteOffset + bytes > buffer.capacity()) {
            throw new IndexOutOfBoundsException("a " + dtype + " tensor of " + bytes + " bytes at offset " + byteOffset
                    + " does not fit in an Arrow buffer of " + buffer.capacity() + " bytes");
        }
        synchronized (this) {
            requireOpen();
            buffer.getReferenceManager().retain();
            if (buffers.putIfAbsent(buffer, Boolean.TRUE) != null) {
                buffer.getReferenceManager().release(); // already holding one reference for this buffer
            }
        }
        return view(buffer, byteOffset, bytes, dtype, shape, false);
    }

    /**
     * Maps a whole file into memory, read-only, for as long as this arena is open. Nothing can write
     * through the returned segment or through tensors made from it with {@link #view(MappedFile, long, DType, long...)}.
     *
     * <p>The segment and the views are invalidated when this arena closes. The mapping itself lives as long
     * as any Arrow reference to {@link MappedFile#buffer()} (this arena's, or that of an Arrow vector
     * exported from a view), so Arrow code holding the buffer never reads an unmapped page.
     */
    public MappedFile mapReadOnly(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "not a regular file");
        }
        synchronized (this) {
            requireOpen();
            if (Files.size(file) == 0) {
                return new MappedFile(file, MemorySegment.NULL.reinterpret(0).asReadOnly(), null);
            }
            FileMapping.Mapping m = FileMapping.map(file, allocator);
            buffers.put(m.buffer(), Boolean.TRUE);
            MemorySegment seg = MemorySegment.ofAddress(m.address()).reinterpret(m.size(), scope, null).asReadOnly();
            return new MappedFile(file, seg, m.buffer());
        }
    }

    /** A file mapped by {@link #mapReadOnly}: its read-only bytes and the Arrow buffer that accounts for them. */
    public record MappedFile(Path path, MemorySegment segment, ArrowBuf buffer) {
        public long size() {
            return segment.byteSize();
        }
    }

    /** A read-only tensor over {@code shape} elements of a mapped file starting at {@code byteOffset}. */
    public Tensor view(MappedFile file, long byteOffset, DType dtype, long... shape) {
        long bytes = Math.multiplyExact(Tensor.elementCount(shape), dtype.byteSize());
        if (byteOffset < 0 || byteOffset + bytes > file.size()) {
            throw new IllegalArgumentException(file.path() + ": a " + dtype + " tensor of " + bytes + " bytes at offset "
                    + byteOffset + " runs past the end of the file (" + file.size() + " bytes)");
        }
        requireOpen();
        MemorySegment seg = file.segment().asSlice(byteOffset, bytes);
        return new Tensor(dtype, shape, seg, file.buffer(), byteOffset, this);
    }

    /**
     * Moves the buffer under {@code tensor} into this arena (Arrow ownership transfer, no copy) and returns a
     * view of it owned here: the memory is accounted here and lives until this arena closes. Views made from the
     * old arena keep working until that arena closes, then throw.
     */
    public Tensor transfer(Tensor tensor) {
        TensorArena from = tensor.arena();
        if (from == this) {
            return tensor;
        }
        if (from == null || from.isClosed()) {
            throw new IllegalStateException("cannot transfer " + tensor.describe() + ": its arena is closed");
        }
        ArrowBuf old = tensor.arrowBuffer();
        ArrowBuf moved;
        synchronized (from) {
            if (!from.buffers.containsKey(old)) {
                throw new IllegalStateException("cannot transfer " + tensor.describe() + ": arena '" + from.name
                        + "' does not own its buffer (is it a view of a mapped file?)");
            }
            // Accounting moves to this arena. The source keeps its own reference until it closes, so views made
            // there (slices, reshapes) stay valid for as long as their arena is open, whichever arena closes first.
            OwnershipTransferResult r = old.getReferenceManager().transferOwnership(old, allocator);
            moved = r.getTransferredBuffer();
        }
        synchronized (this) {
            requireOpen();
            buffers.put(moved, Boolean.TRUE);
        }
        return view(moved, tensor.bufferOffset(), tensor.byteSize(), tensor.dtype(), tensor.shape(), tensor.isReadOnly());
    }

    private Tensor view(ArrowBuf buf, long byteOffset, long bytes, DType dtype, long[] shape, boolean readOnly) {
        MemorySegment seg = MemorySegment.ofAddress(buf.memoryAddress() + byteOffset).reinterpret(bytes, scope, null);
        return new Tensor(dtype, shape, readOnly ? seg.asReadOnly() : seg, buf, byteOffset, this);
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("arena '" + name + "' is closed");
        }
    }

    /** Closes children, invalidates all views, releases all buffers and closes the allocator. Idempotent. */
    @Override
    public void close() {
        List<TensorArena> kids;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            kids = new ArrayList<>(children);
            children.clear();
        }
        RuntimeException failure = null;
        for (TensorArena c : kids) {
            try {
                c.close();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        scope.close(); // every segment view becomes inaccessible before the memory goes back
        synchronized (this) {
            for (ArrowBuf b : buffers.keySet()) {
                b.getReferenceManager().release();
            }
            buffers.clear();
        }
        if (parent != null) {
            synchronized (parent) {
                parent.children.remove(this);
            }
        }
        try {
            allocator.close();
        } catch (RuntimeException e) {
            failure = e;
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "TensorArena('" + name + "', " + allocatedBytes() + " bytes" + (closed ? ", closed" : "") + ")";
    }
}
