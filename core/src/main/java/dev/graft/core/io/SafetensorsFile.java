package dev.graft.core.io;

import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * An open safetensors file: its validated header and a read-only memory mapping owned by the
 * {@link TensorArena} it was opened in. Made by {@link Safetensors#open(Path, TensorArena)}.
 *
 * <p>{@link #tensor(String)} returns read-only views into the mapping for {@code F32}, {@code I32} and
 * {@code I8} tensors — no copy, the bytes stay in the page cache. {@code F16} and {@code BF16} tensors are
 * converted once into a read-only f32 copy allocated in the same arena (Graft computes in f32 only); every
 * other format dtype ({@code I64}, {@code F64}, …) is rejected with an exception naming the tensor and file,
 * but does not stop the rest of the file from being read. The file stays usable until its arena closes.
 * {@link #finiteTensor(String)} also checks that a float tensor holds no NaN or infinity.
 *
 * <p>Thread-safe.
 */
public final class SafetensorsFile {
    private static final ValueLayout.OfShort F16_BITS = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final SafetensorsHeader header;
    private final TensorArena arena;
    private final TensorArena.MappedFile mapped;
    private final Map<String, Tensor> converted = new HashMap<>();

    SafetensorsFile(Path path, SafetensorsHeader header, TensorArena arena, TensorArena.MappedFile mapped) {
        this.path = path;
        this.header = header;
        this.arena = arena;
        this.mapped = mapped;
    }

    /**
     * One header entry.
     *
     * @param name  the tensor's name
     * @param dtype the format's dtype name ({@code "F32"}, {@code "BF16"}, {@code "I64"}, …)
     * @param shape dimensions, outermost first (row-major)
     * @param begin first byte, relative to the start of the data region
     * @param end   one past the last byte
     */
    public record TensorInfo(String name, String dtype, long[] shape, long begin, long end) {
        public TensorInfo {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(dtype, "dtype");
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof TensorInfo t && name.equals(t.name) && dtype.equals(t.dtype)
                    && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
        }

        @Override
        public String toString() {
            return name + ": " + dtype + Arrays.toString(shape) + " @ [" + begin + ", " + end + ")";
        }
    }

    /** The file this was read from. */
    public Path path() {
        return path;
    }

    /** Tensor names in header order. */
    public Set<String> names() {
        return header.tensors().keySet();
    }

    public boolean contains(String name) {
        return header.tensors().containsKey(name);
    }

    /** The header entry of a tensor; throws naming the file when there is none. */
    public TensorInfo info(String name) {
        TensorInfo info = header.tensors().get(name);
        if (info == null) {
            throw new IllegalArgumentException(path + ": no tensor named '" + name + "' (the file has "
                    + header.tensors().size() + " tensors)");
        }
        return info;
    }

    /** The {@code __metadata__} strings, in file order (empty when the file has none). */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** Absolute file offset of the data region (8 + header length). */
    public long dataStart() {
        return header.dataStart();
    }

    /**
     * The tensor named {@code name}: a read-only view into the mapping for F32/I32/I8, a read-only f32 copy
     * (made once, owned by the arena) for F16/BF16.
     *
     * @throws IllegalArgumentException when there is no such tensor or its dtype cannot be represented
     */
    public Tensor tensor(String name) {
        TensorInfo info = info(name);
        SafetensorsDType dtype = SafetensorsDType.valueOf(info.dtype());
        long offset = header.dataStart() + info.begin();
        if (dtype.graft != null) {
            return arena.view(mapped, offset, dtype.graft, info.shape());
        }
        if (dtype == SafetensorsDType.F16 || dtype == SafetensorsDType.BF16) {
            synchronized (converted) {
                Tensor t = converted.get(name);
                if (t == null) {
                    t = toF32(dtype, offset, info.shape());
                    converted.put(name, t);
                }
                return t;
            }
        }
        throw new IllegalArgumentException(path + ": unsupported dtype " + dtype + " for tensor '" + name
                + "' (Graft reads F32, I32 and I8 as they are, and F16/BF16 converted to F32)");
    }

    /**
     * {@link #tensor(String)}, checked to hold no NaN or infinity when it is a float tensor (one pass over its
     * bytes; integer tensors are returned as they are). Loaders of weights call this rather than {@code tensor}.
     *
     * @throws NonFiniteWeightException naming the file, the tensor and the first bad element
     */
    public Tensor finiteTensor(String name) throws NonFiniteWeightException {
        Tensor t = tensor(name);
        return t.dtype() == DType.F32 ? NonFiniteWeightException.requireFinite(path, name, t) : t;
    }

    private Tensor toF32(SafetensorsDType dtype, long offset, long[] shape) {
        MemorySegment src = mapped.segment();
        Tensor out = arena.allocateUninitialized(DType.F32, shape);
        MemorySegment dst = out.segment();
        long n = out.elementCount();
        ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < n; i++) {
            short bits = src.get(F16_BITS, offset + 2 * i);
            float v = dtype == SafetensorsDType.F16
                    ? Float.float16ToFloat(bits)
                    : Float.intBitsToFloat((bits & 0xFFFF) << 16);
            dst.setAtIndex(f32, i, v);
        }
        return out.asReadOnly();
    }

    @Override
    public String toString() {
        return "SafetensorsFile(" + path + ", " + header.tensors().size() + " tensors)";
    }
}
