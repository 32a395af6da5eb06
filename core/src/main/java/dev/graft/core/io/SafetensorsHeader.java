package dev.graft.core.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.graft.core.io.SafetensorsFile.TensorInfo;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed and fully validated header of a safetensors file. {@link #read} looks at the header bytes only
 * (read with plain file I/O into a heap array of at most {@link Safetensors#MAX_HEADER_BYTES}), so a hostile
 * file is rejected before anything is mapped or allocated.
 *
 * @param headerLength the JSON header's length N in bytes; the data region starts at {@code 8 + N}
 * @param dataLength   bytes in the data region (the rest of the file)
 * @param tensors      tensor entries in header order
 * @param metadata     the {@code __metadata__} object (empty when absent)
 */
record SafetensorsHeader(long headerLength, long dataLength, Map<String, TensorInfo> tensors,
                         Map<String, String> metadata) {

    static final String METADATA_KEY = "__metadata__";

    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    long dataStart() {
        return 8 + headerLength;
    }

    static SafetensorsHeader read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new SafetensorsFormatException(file, "file is " + size
                        + " bytes, too short for the 8-byte header length that starts a safetensors file");
            }
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, len, 0, file);
            long n = len.getLong(0); // an unsigned u64: a negative long is > 2^63
            if (n < 0 || n > size - 8) {
                throw new SafetensorsFormatException(file, "header length " + Long.toUnsignedString(n)
                        + " bytes runs past the end of the file (" + size + " bytes); the file is truncated or not safetensors");
            }
            if (n > Safetensors.MAX_HEADER_BYTES) {
                throw new SafetensorsFormatException(file, "header length " + n + " bytes exceeds the limit of "
                        + Safetensors.MAX_HEADER_BYTES + " bytes");
            }
            if (n < 2) {
                throw new SafetensorsFormatException(file, "header length " + n + " bytes cannot hold a JSON object");
            }
            ByteBuffer header = ByteBuffer.allocate((int) n);
            readFully(ch, header, 8, file);
            return parse(file, header.array(), size - 8 - n);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long position, Path file) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int r = ch.read(dst, pos);
            if (r < 0) {
                throw new EOFException(file + ": unexpected end of file at byte " + pos);
            }
            pos += r;
        }
    }

    static SafetensorsHeader parse(Path file, byte[] headerBytes, long dataLength) throws IOException {
        String text;
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(headerBytes));
            text = chars.toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsFormatException(file, "header is not valid UTF-8", e);
        }
        if (text.isEmpty() || text.charAt(0) != '{') {
            throw new SafetensorsFormatException(file, "header does not start with '{' (not a safetensors file?)");
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JacksonException e) {
            JsonLocation at = e.getLocation();
            throw new SafetensorsFormatException(file, "header is not valid JSON: " + e.getOriginalMessage()
                    + (at != null ? " (header line " + at.getLineNr() + ", column " + at.getColumnNr() + ")" : ""), e);
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsFormatException(file, "header is not a JSON object");
        }

        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = Map.of();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            String name = field.getKey();
            if (name.equals(METADATA_KEY)) {
                metadata = metadata(file, field.getValue());
            } else {
                tensors.put(name, tensor(file, name, field.getValue(), dataLength));
            }
        }
        checkLayout(file, tensors, dataLength);
        return new SafetensorsHeader(headerBytes.length, dataLength, Collections.unmodifiableMap(tensors), metadata);
    }

    private static Map<String, String> metadata(Path file, JsonNode node) throws SafetensorsFormatException {
        if (!node.isObject()) {
            throw new SafetensorsFormatException(file, METADATA_KEY + " must be an object of strings, is " + node.getNodeType());
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw new SafetensorsFormatException(file, METADATA_KEY + "." + e.getKey()
                        + " must be a string, is " + e.getValue().getNodeType());
            }
            m.put(e.getKey(), e.getValue().textValue());
        }
        return Collections.unmodifiableMap(m);
    }

    /** One tensor entry: dtype known, shape and offsets non-negative integers, range exactly the tensor's bytes. */
    private static TensorInfo tensor(Path file, String name, JsonNode node, long dataLength)
            throws SafetensorsFormatException {
        String where = "tensor '" + name + "'";
        if (!node.isObject()) {
            throw new SafetensorsFormatException(file, where + ": entry must be an object, is " + node.getNodeType());
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new SafetensorsFormatException(file, where + ": field 'dtype' is " + (dtypeNode == null ? "missing" : "not a string"));
        }
        SafetensorsDType dtype = SafetensorsDType.parse(dtypeNode.textValue());
        if (dtype == null) {
            throw new SafetensorsFormatException(file, where + ": unknown dtype '" + dtypeNode.textValue()
                    + "' (the format knows " + Arrays.toString(SafetensorsDType.values()) + ")");
        }
        long[] shape = longs(file, where, node, "shape", -1);
        long[] offsets = longs(file, where, node, "data_offsets", 2);
        long begin = offsets[0];
        long end = offsets[1];
        long bytes;
        try {
            long count = 1;
            for (long d : shape) {
                count = Math.multiplyExact(count, d);
            }
            bytes = Math.multiplyExact(count, dtype.byteSize);
        } catch (ArithmeticException e) {
            throw new SafetensorsFormatException(file, where + ": shape " + Arrays.toString(shape) + " of " + dtype
                    + " overflows a 64-bit byte count");
        }
        if (begin > end) {
            throw new SafetensorsFormatException(file, where + ": data_offsets [" + begin + ", " + end
                    + "] are out of order (begin > end)");
        }
        if (end > dataLength) {
            throw new SafetensorsFormatException(file, where + ": data_offsets [" + begin + ", " + end
                    + "] run past the end of the data region (" + dataLength + " bytes)");
        }
        if (end - begin != bytes) {
            throw new SafetensorsFormatException(file, where + ": data_offsets [" + begin + ", " + end + "] span "
                    + (end - begin) + " bytes but " + dtype + " " + Arrays.toString(shape) + " needs " + bytes);
        }
        return new TensorInfo(name, dtype.name(), shape, begin, end);
    }

    private static long[] longs(Path file, String where, JsonNode entry, String field, int requiredLength)
            throws SafetensorsFormatException {
        JsonNode node = entry.get(field);
        if (node == null || !node.isArray()) {
            throw new SafetensorsFormatException(file, where + ": field '" + field + "' is "
                    + (node == null ? "missing" : "not an array"));
        }
        if (requiredLength >= 0 && node.size() != requiredLength) {
            throw new SafetensorsFormatException(file, where + ": field '" + field + "' must have " + requiredLength
                    + " elements, has " + node.size());
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw new SafetensorsFormatException(file, where + ": " + field + "[" + i + "] = " + v
                        + " is not a non-negative 64-bit integer");
            }
            out[i] = v.longValue();
        }
        return out;
    }

    /**
     * The byte ranges, sorted by offset, must tile the data region exactly: no overlap, no gap, nothing after the
     * last tensor — the same rule the reference implementation enforces. The header may list them in any order.
     */
    private static void checkLayout(Path file, Map<String, TensorInfo> tensors, long dataLength)
            throws SafetensorsFormatException {
        List<TensorInfo> sorted = new ArrayList<>(tensors.values());
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long covered = 0;
        TensorInfo previous = null;
        for (TensorInfo t : sorted) {
            if (t.begin() < covered) {
                throw new SafetensorsFormatException(file, "tensor '" + t.name() + "' (bytes [" + t.begin() + ", "
                        + t.end() + ")) overlaps tensor '" + previous.name() + "' (bytes [" + previous.begin() + ", "
                        + previous.end() + "))");
            }
            if (t.begin() > covered) {
                throw new SafetensorsFormatException(file, "bytes [" + covered + ", " + t.begin()
                        + ") of the data region belong to no tensor (gap before tensor '" + t.name() + "')");
            }
            covered = t.end();
            previous = t;
        }
        if (covered != dataLength) {
            throw new SafetensorsFormatException(file, (dataLength - covered) + " bytes after the last tensor"
                    + (previous != null ? " '" + previous.name() + "'" : "") + " belong to no tensor (data region is "
                    + dataLength + " bytes, tensors cover " + covered + ")");
        }
    }
}
