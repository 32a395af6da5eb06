package dev.graft.core.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;
import org.apache.arrow.memory.ArrowBuf;

/**
 * An immutable, dense, row-major view over Arrow memory: a {@link DType}, a shape, and a
 * {@link MemorySegment} of exactly {@code elementCount() * dtype().byteSize()} bytes inside an
 * {@link ArrowBuf}.
 *
 * <p>The view never changes (shape, dtype and memory are fixed); the memory's contents may be written
 * through {@link #setFloat} or a kernel unless the tensor {@link #isReadOnly() is read-only} — frozen
 * weights are. The memory belongs to the {@link TensorArena} that made the tensor: when that arena closes,
 * every view over it becomes unusable and any access throws {@link IllegalStateException}.
 *
 * <p>Element accessors take flat (row-major) indices; {@link #index(long...)} turns coordinates into one.
 */
public final class Tensor {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final DType dtype;
    private final long[] shape;
    private final long elementCount;
    private final MemorySegment segment;
    private final ArrowBuf buffer;
    private final long bufferOffset;
    private final TensorArena owner;

    Tensor(DType dtype, long[] shape, MemorySegment segment, ArrowBuf buffer, long bufferOffset, TensorArena owner) {
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.shape = shape.clone();
        this.elementCount = elementCount(this.shape);
        if (segment.byteSize() != elementCount * dtype.byteSize()) {
            throw new IllegalArgumentException("segment of " + segment.byteSize() + " bytes does not hold a "
                    + dtype + " tensor of shape " + Arrays.toString(shape));
        }
        this.segment = segment;
        this.buffer = buffer;
        this.bufferOffset = bufferOffset;
        this.owner = owner;
    }

    /** Number of elements of a shape; rejects negative dimensions and overflow. */
    public static long elementCount(long... shape) {
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new IllegalArgumentException("negative dimension " + shape[i] + " at axis " + i
                        + " of shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, shape[i]);
        }
        return n;
    }

    public DType dtype() {
        return dtype;
    }

    /** The shape (a copy). */
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Size of one axis; negative axes count from the end. */
    public long size(int axis) {
        return shape[axis < 0 ? shape.length + axis : axis];
    }

    /** Size of one axis as an int, for kernels; throws when it does not fit. */
    public int dim(int axis) {
        return Math.toIntExact(size(axis));
    }

    public long elementCount() {
        return elementCount;
    }

    public long byteSize() {
        return segment.byteSize();
    }

    /** The memory, exactly this tensor's bytes. Read-only when the tensor is. */
    public MemorySegment segment() {
        return segment;
    }

    /** The Arrow buffer the memory lives in; the tensor's bytes start at {@link #bufferOffset()}. */
    public ArrowBuf arrowBuffer() {
        return buffer;
    }

    /** Byte offset of this tensor's first element inside {@link #arrowBuffer()}. */
    public long bufferOffset() {
        return bufferOffset;
    }

    /** The arena that owns the memory. */
    public TensorArena arena() {
        return owner;
    }

    public boolean isReadOnly() {
        return segment.isReadOnly();
    }

    /** The same memory, read-only: any write through the returned view throws. */
    public Tensor asReadOnly() {
        return isReadOnly() ? this : new Tensor(dtype, shape, segment.asReadOnly(), buffer, bufferOffset, owner);
    }

    /**
     * The same memory with another shape of the same element count. One dimension may be {@code -1}
     * and is inferred.
     */
    public Tensor reshape(long... newShape) {
        long[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("reshape " + Arrays.toString(newShape) + ": only one dimension may be -1");
                }
                infer = i;
            } else {
                if (s[i] < 0) {
                    throw new IllegalArgumentException("reshape " + Arrays.toString(newShape) + ": negative dimension");
                }
                known = Math.multiplyExact(known, s[i]);
            }
        }
        if (infer >= 0) {
            if (known == 0 || elementCount % known != 0) {
                throw new IllegalArgumentException("cannot reshape " + describe() + " to " + Arrays.toString(newShape));
            }
            s[infer] = elementCount / known;
        }
        if (elementCount(s) != elementCount) {
            throw new IllegalArgumentException("cannot reshape " + describe() + " (" + elementCount + " elements) to "
                    + Arrays.toString(newShape) + " (" + elementCount(s) + " elements)");
        }
        return new Tensor(dtype, s, segment, buffer, bufferOffset, owner);
    }

    /** Rows {@code [from, to)} of axis 0, sharing memory. */
    public Tensor slice(long from, long to) {
        if (rank() == 0) {
            throw new IllegalArgumentException("cannot slice a scalar tensor");
        }
        if (from < 0 || to > shape[0] || from > to) {
            throw new IndexOutOfBoundsException("slice [" + from + ", " + to + ") of axis 0 of " + describe());
        }
        long rowBytes = (elementCount == 0 ? 0 : segment.byteSize() / shape[0]);
        long[] s = shape.clone();
        s[0] = to - from;
        MemorySegment part = segment.asSlice(from * rowBytes, (to - from) * rowBytes);
        return new Tensor(dtype, s, part, buffer, bufferOffset + from * rowBytes, owner);
    }

    /** Flat row-major index of the given coordinates, bounds-checked. */
    public long index(long... coords) {
        if (coords.length != shape.length) {
            throw new IllegalArgumentException(coords.length + " coordinates for a rank-" + shape.length + " tensor");
        }
        long idx = 0;
        for (int i = 0; i < coords.length; i++) {
            if (coords[i] < 0 || coords[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("coordinate " + coords[i] + " out of [0, " + shape[i]
                        + ") on axis " + i + " of " + describe());
            }
            idx = idx * shape[i] + coords[i];
        }
        return idx;
    }

    public float getFloat(long index) {
        requireType(DType.F32);
        return segment.getAtIndex(F32, checkIndex(index));
    }

    public void setFloat(long index, float value) {
        requireType(DType.F32);
        requireWritable();
        segment.setAtIndex(F32, checkIndex(index), value);
    }

    public int getInt(long index) {
        requireType(DType.I32);
        return segment.getAtIndex(I32, checkIndex(index));
    }

    public void setInt(long index, int value) {
        requireType(DType.I32);
        requireWritable();
        segment.setAtIndex(I32, checkIndex(index), value);
    }

    public byte getByte(long index) {
        requireType(DType.I8);
        return segment.get(ValueLayout.JAVA_BYTE, checkIndex(index));
    }

    public void setByte(long index, byte value) {
        requireType(DType.I8);
        requireWritable();
        segment.set(ValueLayout.JAVA_BYTE, checkIndex(index), value);
    }

    /** A heap copy of all elements (f32 tensors). */
    public float[] toFloatArray() {
        requireType(DType.F32);
        requireOpen();
        float[] out = new float[Math.toIntExact(elementCount)];
        MemorySegment.copy(segment, F32, 0, out, 0, out.length);
        return out;
    }

    /** A heap copy of all elements (i32 tensors). */
    public int[] toIntArray() {
        requireType(DType.I32);
        requireOpen();
        int[] out = new int[Math.toIntExact(elementCount)];
        MemorySegment.copy(segment, I32, 0, out, 0, out.length);
        return out;
    }

    /** A heap copy of all elements (i8 tensors). */
    public byte[] toByteArray() {
        requireType(DType.I8);
        requireOpen();
        return segment.toArray(ValueLayout.JAVA_BYTE);
    }

    /** Overwrites all elements from {@code src}, whose length must equal the element count. */
    public Tensor copyFrom(float[] src) {
        requireType(DType.F32);
        requireWritable();
        requireLength(src.length);
        MemorySegment.copy(src, 0, segment, F32, 0, src.length);
        return this;
    }

    /** Overwrites all elements from {@code src}, whose length must equal the element count. */
    public Tensor copyFrom(int[] src) {
        requireType(DType.I32);
        requireWritable();
        requireLength(src.length);
        MemorySegment.copy(src, 0, segment, I32, 0, src.length);
        return this;
    }

    /** Overwrites all elements from another tensor of the same dtype and element count. */
    public Tensor copyFrom(Tensor src) {
        if (src.dtype != dtype || src.elementCount != elementCount) {
            throw new IllegalArgumentException("cannot copy " + src.describe() + " into " + describe());
        }
        requireWritable();
        MemorySegment.copy(src.segment, 0, segment, 0, segment.byteSize());
        return this;
    }

    /** "f32[2, 3]" style description, used in error messages. */
    public String describe() {
        return dtype.name().toLowerCase(java.util.Locale.ROOT) + Arrays.toString(shape);
    }

    @Override
    public String toString() {
        return "Tensor(" + describe() + (isReadOnly() ? ", read-only" : "")
                + (owner != null ? ", arena '" + owner.name() + "'" : "") + ")";
    }

    private void requireType(DType expected) {
        if (dtype != expected) {
            throw new IllegalStateException("tensor is " + describe() + ", not " + expected);
        }
    }

    private void requireWritable() {
        requireOpen();
        if (segment.isReadOnly()) {
            throw new UnsupportedOperationException("tensor " + describe() + " is read-only (frozen weights cannot be written)");
        }
    }

    private void requireOpen() {
        if (owner != null && owner.isClosed()) {
            throw new IllegalStateException("tensor " + describe() + " was used after its arena '" + owner.name() + "' was closed");
        }
    }

    private long checkIndex(long index) {
        requireOpen();
        if (index < 0 || index >= elementCount) {
            throw new IndexOutOfBoundsException("index " + index + " out of [0, " + elementCount + ") in " + describe());
        }
        return index;
    }

    private void requireLength(int length) {
        if (length != elementCount) {
            throw new IllegalArgumentException(length + " values for " + describe() + " (" + elementCount + " elements)");
        }
    }
}
