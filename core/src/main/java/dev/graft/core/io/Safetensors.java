package dev.graft.core.io;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.core.fs.TempFiles;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * The Hugging Face <a href="https://github.com/huggingface/safetensors">safetensors</a> format: an 8-byte
 * little-endian header length N, N bytes of UTF-8 JSON ({@code {"name": {"dtype", "shape", "data_offsets"},
 * "__metadata__": {string: string}}}, offsets relative to the first byte after the header, possibly padded with
 * spaces), then the tensors' bytes, little-endian and row-major.
 *
 * <h2>Reading</h2>
 * {@link #open(Path, TensorArena)} reads and checks the whole header before it maps anything: the header length
 * against the file size and {@link #MAX_HEADER_BYTES}, UTF-8, JSON syntax (duplicate keys and trailing tokens
 * rejected), each entry's dtype, shape and offsets, each range's length against {@code prod(shape) × dtype size},
 * and that the ranges tile the data region with no overlap, gap or trailing bytes (the rule of the reference
 * implementation; the header may list entries in any order). Only then is the file mapped read-only into the
 * arena; tensors are views into that mapping. Errors are {@link SafetensorsFormatException}s naming the file
 * and the tensor or field.
 *
 * <h2>Writing</h2>
 * {@link #write(Path, Map, Map)} writes tensors in the map's order, the header padded with spaces so the data
 * starts on an 8-byte boundary. The file appears atomically: bytes go to a temporary file in the same directory
 * that is renamed over the target at the end; on any failure the target is untouched and the temporary file is
 * deleted. {@link #writeLazily} does the same for tensors produced one at a time (a transposed copy, say), so
 * a conversion never holds more than one extra tensor in memory.
 */
public final class Safetensors {
    /** The largest header accepted (100 MiB, as the reference implementation); real headers are a few MB at most. */
    public static final long MAX_HEADER_BYTES = 100L << 20;

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final long WRITE_CHUNK = 1L << 30;

    private Safetensors() {
    }

    /**
     * Validates {@code file}'s header and maps the file read-only into {@code arena}.
     *
     * @throws SafetensorsFormatException when the file breaks the format (nothing is mapped then)
     * @throws NoSuchFileException        when there is no regular file at {@code file}
     */
    public static SafetensorsFile open(Path file, TensorArena arena) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(arena, "arena");
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no safetensors file here");
        }
        SafetensorsHeader header = SafetensorsHeader.read(file);
        TensorArena.MappedFile mapped = arena.mapReadOnly(file);
        long expected = header.dataStart() + header.dataLength();
        if (mapped.size() != expected) {
            throw new SafetensorsFormatException(file, "file changed size while it was being opened (" + expected
                    + " bytes when its header was read, " + mapped.size() + " when mapped)");
        }
        return new SafetensorsFile(file, header, arena, mapped);
    }

    /**
     * A tensor to write whose bytes are produced only when the writer reaches it.
     *
     * @param dtype   the element type the header declares
     * @param shape   the shape the header declares
     * @param produce makes the tensor; it may allocate in the scratch arena it is given, which is closed as soon
     *                as the tensor's bytes are written. Must return a tensor of exactly {@code dtype} and {@code shape}.
     */
    public record TensorSource(DType dtype, long[] shape, Function<TensorArena, Tensor> produce) {
        public TensorSource {
            Objects.requireNonNull(dtype, "dtype");
            Objects.requireNonNull(produce, "produce");
            shape = shape.clone();
            Tensor.elementCount(shape); // rejects negative dimensions and overflow
        }

        /** A source for a tensor that already exists. */
        public static TensorSource of(Tensor tensor) {
            Objects.requireNonNull(tensor, "tensor");
            return new TensorSource(tensor.dtype(), tensor.shape(), scratch -> tensor);
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    /**
     * Writes {@code tensors} (in iteration order) and {@code metadata} to {@code file}, atomically.
     *
     * @param tensors  name → tensor, written in iteration order; use an ordered map for a reproducible file
     * @param metadata stored as {@code __metadata__} (omitted when empty)
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Objects.requireNonNull(tensors, "tensors");
        Map<String, TensorSource> sources = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getValue() == null) {
                throw new IllegalArgumentException("tensor '" + e.getKey() + "' is null");
            }
            sources.put(e.getKey(), TensorSource.of(e.getValue()));
        }
        writeLazily(file, sources, metadata);
    }

    /**
     * Like {@link #write(Path, Map, Map)}, but each tensor is produced by its {@link TensorSource} when its turn
     * comes, in a scratch arena closed right after its bytes are written.
     */
    public static void writeLazily(Path file, Map<String, TensorSource> tensors, Map<String, String> metadata)
            throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(tensors, "tensors");
        Objects.requireNonNull(metadata, "metadata");
        byte[] header = header(tensors, metadata);

        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new NoSuchFileException(String.valueOf(dir), null, "directory for " + file + " does not exist");
        }
        Path tmp = TempFiles.createFile(target);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 TensorArena scratch = TensorArena.root("safetensors-write " + file.getFileName())) {
                writeFully(ch, ByteBuffer.wrap(header));
                for (Map.Entry<String, TensorSource> e : tensors.entrySet()) {
                    try (TensorArena one = scratch.child(e.getKey())) {
                        writeTensor(ch, e.getKey(), e.getValue(), one);
                    }
                }
                ch.force(true);
            }
            TempFiles.moveIntoPlace(tmp, target, true);
        } finally {
            TempFiles.delete(tmp);
        }
    }

    /** The 8-byte length plus the JSON header, padded with spaces so the data starts 8-byte aligned. */
    private static byte[] header(Map<String, TensorSource> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(SafetensorsHeader.METADATA_KEY);
            metadata.forEach((k, v) -> meta.put(Objects.requireNonNull(k, "metadata key"),
                    Objects.requireNonNull(v, () -> "metadata value of '" + k + "'")));
        }
        long offset = 0;
        for (Map.Entry<String, TensorSource> e : tensors.entrySet()) {
            String name = Objects.requireNonNull(e.getKey(), "tensor name");
            TensorSource src = Objects.requireNonNull(e.getValue(), () -> "tensor '" + name + "'");
            if (name.equals(SafetensorsHeader.METADATA_KEY)) {
                throw new IllegalArgumentException("a tensor cannot be named " + SafetensorsHeader.METADATA_KEY);
            }
            long bytes = Math.multiplyExact(Tensor.elementCount(src.shape()), src.dtype().byteSize());
            ObjectNode entry = root.putObject(name);
            entry.put("dtype", SafetensorsDType.of(src.dtype()).name());
            ArrayNode shape = entry.putArray("shape");
            for (long d : src.shape()) {
                shape.add(d);
            }
            entry.putArray("data_offsets").add(offset).add(offset + bytes);
            offset = Math.addExact(offset, bytes);
        }
        byte[] json = JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // 8 + padded is then a multiple of 8
        if (padded > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("the header would be " + padded + " bytes, over the limit of "
                    + MAX_HEADER_BYTES + " (too many tensors?)");
        }
        ByteBuffer out = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(json);
        while (out.hasRemaining()) {
            out.put((byte) ' ');
        }
        return out.array();
    }

    private static void writeTensor(FileChannel ch, String name, TensorSource src, TensorArena scratch) throws IOException {
        Tensor t = src.produce().apply(scratch);
        if (t == null || t.dtype() != src.dtype() || !Arrays.equals(t.shape(), src.shape())) {
            throw new IllegalStateException("tensor '" + name + "': the header declares " + src.dtype() + " "
                    + Arrays.toString(src.shape()) + " but its source produced " + (t == null ? "null" : t.describe()));
        }
        if (t.arena() != null && t.arena().isClosed()) {
            throw new IllegalStateException("tensor '" + name + "' (" + t.describe() + ") cannot be written: its arena '"
                    + t.arena().name() + "' is closed");
        }
        MemorySegment seg = t.segment();
        for (long pos = 0; pos < seg.byteSize(); pos += WRITE_CHUNK) {
            writeFully(ch, seg.asSlice(pos, Math.min(WRITE_CHUNK, seg.byteSize() - pos)).asByteBuffer());
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }
}
