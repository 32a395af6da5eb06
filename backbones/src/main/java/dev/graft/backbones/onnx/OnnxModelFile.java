package dev.graft.backbones.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.graft.backbones.onnx.proto.AttributeProto;
import dev.graft.backbones.onnx.proto.GraphProto;
import dev.graft.backbones.onnx.proto.ModelProto;
import dev.graft.backbones.onnx.proto.NodeProto;
import dev.graft.backbones.onnx.proto.TensorProto;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * An ONNX model file mapped read-only into a {@link TensorArena}, its graph parsed, its initializers
 * (the constant tensors that hold the weights) available as read-only tensor views of the mapping.
 *
 * <h2>How the weights stay off the heap</h2>
 * The file is one protobuf {@code ModelProto}. Its large tensors sit in {@code raw_data} byte fields of the
 * {@code TensorProto}s in {@code graph.initializer}. protobuf-java 4.36 has no decoder over direct memory any more:
 * {@code CodedInputStream.newInstance(ByteBuffer)} copies a direct (or mapped) buffer into a {@code byte[]} first,
 * and {@code enableAliasing} would then pin that heap copy. So the parse is split in two:
 * <ol>
 *   <li>a {@link CodedInputStream} walks the envelope (model → graph → initializer) over an
 *       {@link SegmentInputStream} of the mapping; when it meets an initializer's {@code raw_data} it records
 *       the payload's offset ({@link CodedInputStream#getTotalBytesRead()}) and length and skips it without
 *       reading it; every other field is skipped too and its bytes, as encoded, copied into a small buffer;</li>
 *   <li>the generated classes ({@link ModelProto}, {@link GraphProto}, {@link TensorProto}, …) parse those
 *       small buffers: the graph's nodes, the initializers' names, dims, data types and any inline
 *       {@code float_data}.</li>
 * </ol>
 * A weight then becomes {@code arena.view(mappedFile, rawOffset, F32, dims)}: read-only, no copy.
 * Lengths are checked against the file size as they are read, so a truncated or corrupt file fails with an
 * {@link OnnxFormatException} naming the file and never allocates more than the file holds.
 *
 * <p>The mapping belongs to the arena: it stays valid until the arena closes, also when {@link #open} fails.
 */
public final class OnnxModelFile {
    private static final int WIRETYPE_LENGTH_DELIMITED = 2;
    private static final int GRAPH_TAG = ModelProto.GRAPH_FIELD_NUMBER << 3 | WIRETYPE_LENGTH_DELIMITED;
    private static final int INITIALIZER_TAG = GraphProto.INITIALIZER_FIELD_NUMBER << 3 | WIRETYPE_LENGTH_DELIMITED;
    private static final int RAW_DATA_TAG = TensorProto.RAW_DATA_FIELD_NUMBER << 3 | WIRETYPE_LENGTH_DELIMITED;
    /** TensorProto.segment (a tensor split across several protos): not declared in our subset, detected as unknown. */
    private static final int SEGMENT_FIELD_NUMBER = 3;
    /** Constants larger than this are not read as shape/scalar constants (they are weights, not hyper-parameters). */
    private static final long MAX_CONSTANT_ELEMENTS = 1 << 16;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** An initializer: its metadata (everything but {@code raw_data}) and where its {@code raw_data} is, if any. */
    private record Initializer(TensorProto info, long rawOffset, int rawLength) {
        boolean hasRawData() {
            return rawOffset >= 0;
        }
    }

    private final Path path;
    private final TensorArena arena;
    private final TensorArena.MappedFile mapped;
    private final ModelProto model;
    private final GraphProto graph;
    private final Map<String, Initializer> initializers;
    private final Map<String, NodeProto> producers = new HashMap<>();
    private final Map<String, List<NodeProto>> consumers = new HashMap<>();
    private final Map<String, NodeProto> nodesByName = new HashMap<>();

    private OnnxModelFile(Path path, TensorArena arena, TensorArena.MappedFile mapped, ModelProto model, GraphProto graph,
                          Map<String, Initializer> initializers) {
        this.path = path;
        this.arena = arena;
        this.mapped = mapped;
        this.model = model;
        this.graph = graph;
        this.initializers = initializers;
        for (NodeProto n : graph.getNodeList()) {
            for (String out : n.getOutputList()) {
                producers.putIfAbsent(out, n);
            }
            for (String in : n.getInputList()) {
                consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
            }
            if (n.hasName()) {
                nodesByName.putIfAbsent(n.getName(), n);
            }
        }
    }

    /**
     * Maps {@code file} into {@code arena} and parses it.
     *
     * @throws NoSuchFileException   if the file does not exist or is not a regular file
     * @throws OnnxFormatException   if it is empty, larger than 2 GiB, or not a valid ONNX protobuf
     */
    public static OnnxModelFile open(Path file, TensorArena arena) throws IOException {
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "ONNX model file not found");
        }
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "not a regular file");
        }
        long size = Files.size(file);
        if (size == 0) {
            throw new OnnxFormatException(file, "the file is empty, not an ONNX model");
        }
        if (size > Integer.MAX_VALUE) {
            throw new OnnxFormatException(file, "is " + size + " bytes, but one protobuf message holds at most 2 GiB "
                    + "(larger models keep their weights in external data files, which Graft does not read)");
        }
        TensorArena.MappedFile mapped = arena.mapReadOnly(file);
        try {
            return parse(file, arena, mapped);
        } catch (InvalidProtocolBufferException e) {
            throw new OnnxFormatException(file, "not a valid ONNX protobuf (truncated or corrupt?): " + e.getMessage(), e);
        }
    }

    private static OnnxModelFile parse(Path file, TensorArena arena, TensorArena.MappedFile mapped) throws IOException {
        MemorySegment bytes = mapped.segment();
        CodedInputStream in = CodedInputStream.newInstance(new SegmentInputStream(bytes), 1 << 16);
        in.setSizeLimit(Integer.MAX_VALUE);
        int fileLimit = in.pushLimit((int) bytes.byteSize()); // every nested length is checked against the file size
        ByteString.Output modelRest = ByteString.newOutput();
        ByteString.Output graphRest = null;
        Map<String, Initializer> inits = new LinkedHashMap<>();
        for (int at = in.getTotalBytesRead(), tag; (tag = in.readTag()) != 0; at = in.getTotalBytesRead()) {
            if (tag == GRAPH_TAG) {
                if (graphRest != null) {
                    throw new OnnxFormatException(file, "has two graph fields; an ONNX model has one");
                }
                graphRest = ByteString.newOutput();
                scanGraph(file, in, bytes, graphRest, inits);
            } else {
                copyField(in, tag, bytes, at, modelRest);
            }
        }
        in.popLimit(fileLimit);
        if (graphRest == null) {
            throw new OnnxFormatException(file, "has no graph: not an ONNX model (truncated or corrupt?)");
        }
        ModelProto model = ModelProto.parseFrom(modelRest.toByteString());
        GraphProto graph = GraphProto.parseFrom(graphRest.toByteString());
        return new OnnxModelFile(file, arena, mapped, model, graph, inits);
    }

    private static void scanGraph(Path file, CodedInputStream in, MemorySegment bytes, ByteString.Output graphRest,
                                  Map<String, Initializer> inits) throws IOException {
        int limit = in.pushLimit(in.readRawVarint32());
        for (int at = in.getTotalBytesRead(), tag; (tag = in.readTag()) != 0; at = in.getTotalBytesRead()) {
            if (tag == INITIALIZER_TAG) {
                Initializer init = scanTensor(in, bytes);
                String name = init.info().getName();
                if (name.isEmpty()) {
                    throw new OnnxFormatException(file, "has an initializer without a name");
                }
                if (inits.putIfAbsent(name, init) != null) {
                    throw new OnnxFormatException(file, "has two initializers named '" + name + "'");
                }
            } else {
                copyField(in, tag, bytes, at, graphRest);
            }
        }
        in.popLimit(limit);
    }

    private static Initializer scanTensor(CodedInputStream in, MemorySegment bytes) throws IOException {
        ByteString.Output rest = ByteString.newOutput();
        long rawOffset = -1;
        int rawLength = 0;
        int limit = in.pushLimit(in.readRawVarint32());
        for (int at = in.getTotalBytesRead(), tag; (tag = in.readTag()) != 0; at = in.getTotalBytesRead()) {
            if (tag == RAW_DATA_TAG) {
                rawLength = in.readRawVarint32();
                rawOffset = in.getTotalBytesRead();
                in.skipRawBytes(rawLength); // checks the length against the limits, reads nothing
            } else {
                copyField(in, tag, bytes, at, rest);
            }
        }
        in.popLimit(limit);
        return new Initializer(TensorProto.parseFrom(rest.toByteString()), rawOffset, rawLength);
    }

    /** Skips the field whose tag was read at {@code tagOffset} and appends its bytes, as encoded, to {@code out}. */
    private static void copyField(CodedInputStream in, int tag, MemorySegment bytes, int tagOffset, ByteString.Output out)
            throws IOException {
        in.skipField(tag);
        int end = in.getTotalBytesRead();
        out.write(bytes.asSlice(tagOffset, end - tagOffset).toArray(ValueLayout.JAVA_BYTE));
    }

    /** The file this was mapped from. */
    public Path path() {
        return path;
    }

    /** The mapping (read-only), owned by the arena this file was opened in. */
    public TensorArena.MappedFile mapped() {
        return mapped;
    }

    /** The model's metadata (IR version, producer, opsets); its graph is in {@link #graph()}. */
    public ModelProto model() {
        return model;
    }

    /** The graph: nodes, inputs, outputs. Its initializers are not in it; see {@link #initializerNames()}. */
    public GraphProto graph() {
        return graph;
    }

    /** Names of all initializers, in file order. */
    public Set<String> initializerNames() {
        return Collections.unmodifiableSet(initializers.keySet());
    }

    public boolean hasInitializer(String name) {
        return initializers.containsKey(name);
    }

    /** An initializer's metadata: name, dims, data type, inline data; never its {@code raw_data}. */
    public Optional<TensorProto> initializerInfo(String name) {
        return Optional.ofNullable(initializers.get(name)).map(Initializer::info);
    }

    /** Byte offset in the file of an initializer's {@code raw_data} payload, if it has one. */
    public OptionalLong rawDataOffset(String name) {
        Initializer init = initializers.get(name);
        return init != null && init.hasRawData() ? OptionalLong.of(init.rawOffset()) : OptionalLong.empty();
    }

    /** The node called {@code name}, if any. */
    public Optional<NodeProto> node(String name) {
        return Optional.ofNullable(nodesByName.get(name));
    }

    /** The node whose output is {@code value}, if a node makes it (not for graph inputs and initializers). */
    public Optional<NodeProto> producer(String value) {
        return Optional.ofNullable(producers.get(value));
    }

    /** The nodes that read {@code value}, in graph order. */
    public List<NodeProto> consumers(String value) {
        return consumers.getOrDefault(value, List.of());
    }

    /**
     * A float32 initializer as a read-only tensor: a view of the mapping when it is stored in {@code raw_data},
     * a read-only copy in the arena when it is stored in {@code float_data}.
     *
     * @throws OnnxFormatException naming the file and the initializer when it is missing, not float32, stored in
     *                             an external file, or holds a different number of values than its dims say
     */
    public Tensor floatTensor(String name) throws OnnxFormatException {
        Initializer init = initializers.get(name);
        if (init == null) {
            throw new OnnxFormatException(path, "has no initializer named '" + name + "'");
        }
        TensorProto t = init.info();
        requireInline(name, t);
        if (t.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
            throw new OnnxFormatException(path, "initializer '" + name + "' has data type " + dataTypeName(t.getDataType())
                    + "; Graft reads FLOAT (float32) weights only");
        }
        long[] dims = dims(name, t);
        long count = elementCount(name, dims);
        if (init.hasRawData()) {
            if (init.rawLength() != count * Float.BYTES) {
                throw new OnnxFormatException(path, "initializer '" + name + "' has " + init.rawLength() + " bytes of raw_data but its dims "
                        + Arrays.toString(dims) + " need " + count * Float.BYTES);
            }
            return arena.view(mapped, init.rawOffset(), DType.F32, dims);
        }
        if (t.getFloatDataCount() != count) {
            throw new OnnxFormatException(path, "initializer '" + name + "' has " + t.getFloatDataCount() + " float_data values and no raw_data, but its dims "
                    + Arrays.toString(dims) + " need " + count);
        }
        float[] values = new float[(int) count];
        for (int i = 0; i < values.length; i++) {
            values[i] = t.getFloatData(i);
        }
        return arena.copyOf(values, dims).asReadOnly();
    }

    /**
     * The int64 values of {@code value} when it is a constant: an INT64 initializer, or the output of a
     * {@code Constant} node ({@code value} tensor, {@code value_int}, {@code value_ints}). Empty when the value
     * is computed, or too large to be a hyper-parameter.
     */
    public Optional<long[]> int64Constant(String value) throws OnnxFormatException {
        Initializer init = initializers.get(value);
        if (init != null) {
            return decodeInt64(value, init.info(), init.hasRawData() ? mapped.segment().asSlice(init.rawOffset(), init.rawLength()) : null);
        }
        NodeProto p = producers.get(value);
        if (p == null || !p.getOpType().equals("Constant")) {
            return Optional.empty();
        }
        for (AttributeProto a : p.getAttributeList()) {
            switch (a.getName()) {
                case "value" -> {
                    TensorProto t = a.getT();
                    return decodeInt64(value, t, t.hasRawData() ? MemorySegment.ofArray(t.getRawData().toByteArray()) : null);
                }
                case "value_int" -> {
                    return Optional.of(new long[] {a.getI()});
                }
                case "value_ints" -> {
                    return Optional.of(a.getIntsList().stream().mapToLong(Long::longValue).toArray());
                }
                default -> { }
            }
        }
        return Optional.empty();
    }

    /**
     * The float values of {@code value} when it is a constant: a FLOAT initializer, or the output of a
     * {@code Constant} node ({@code value} tensor, {@code value_float}, {@code value_floats}).
     */
    public Optional<float[]> floatConstant(String value) throws OnnxFormatException {
        Initializer init = initializers.get(value);
        if (init != null) {
            return decodeFloat(value, init.info(), init.hasRawData() ? mapped.segment().asSlice(init.rawOffset(), init.rawLength()) : null);
        }
        NodeProto p = producers.get(value);
        if (p == null || !p.getOpType().equals("Constant")) {
            return Optional.empty();
        }
        for (AttributeProto a : p.getAttributeList()) {
            switch (a.getName()) {
                case "value" -> {
                    TensorProto t = a.getT();
                    return decodeFloat(value, t, t.hasRawData() ? MemorySegment.ofArray(t.getRawData().toByteArray()) : null);
                }
                case "value_float" -> {
                    return Optional.of(new float[] {a.getF()});
                }
                case "value_floats" -> {
                    float[] f = new float[a.getFloatsCount()];
                    for (int i = 0; i < f.length; i++) {
                        f[i] = a.getFloats(i);
                    }
                    return Optional.of(f);
                }
                default -> { }
            }
        }
        return Optional.empty();
    }

    private Optional<long[]> decodeInt64(String name, TensorProto t, MemorySegment raw) throws OnnxFormatException {
        if (t.getDataType() != TensorProto.DataType.INT64_VALUE || isExternal(t)) {
            return Optional.empty();
        }
        long count = elementCount(name, dims(name, t));
        if (count > MAX_CONSTANT_ELEMENTS) {
            return Optional.empty();
        }
        if (raw != null) {
            if (raw.byteSize() != count * Long.BYTES) {
                throw new OnnxFormatException(path, "constant '" + name + "' has " + raw.byteSize() + " bytes of raw_data for " + count + " int64 values");
            }
            long[] v = new long[(int) count];
            for (int i = 0; i < v.length; i++) {
                v[i] = raw.getAtIndex(I64, i);
            }
            return Optional.of(v);
        }
        if (t.getInt64DataCount() != count) {
            throw new OnnxFormatException(path, "constant '" + name + "' has " + t.getInt64DataCount() + " int64_data values for " + count + " elements");
        }
        return Optional.of(t.getInt64DataList().stream().mapToLong(Long::longValue).toArray());
    }

    private Optional<float[]> decodeFloat(String name, TensorProto t, MemorySegment raw) throws OnnxFormatException {
        if (t.getDataType() != TensorProto.DataType.FLOAT_VALUE || isExternal(t)) {
            return Optional.empty();
        }
        long count = elementCount(name, dims(name, t));
        if (count > MAX_CONSTANT_ELEMENTS) {
            return Optional.empty();
        }
        float[] v = new float[(int) count];
        if (raw != null) {
            if (raw.byteSize() != count * Float.BYTES) {
                throw new OnnxFormatException(path, "constant '" + name + "' has " + raw.byteSize() + " bytes of raw_data for " + count + " float values");
            }
            for (int i = 0; i < v.length; i++) {
                v[i] = raw.getAtIndex(F32, i);
            }
            return Optional.of(v);
        }
        if (t.getFloatDataCount() != count) {
            throw new OnnxFormatException(path, "constant '" + name + "' has " + t.getFloatDataCount() + " float_data values for " + count + " elements");
        }
        for (int i = 0; i < v.length; i++) {
            v[i] = t.getFloatData(i);
        }
        return Optional.of(v);
    }

    private void requireInline(String name, TensorProto t) throws OnnxFormatException {
        if (isExternal(t)) {
            String location = t.getExternalDataList().stream().filter(e -> e.getKey().equals("location"))
                    .map(e -> e.getValue()).findFirst().orElse("?");
            throw new OnnxFormatException(path, "initializer '" + name + "' keeps its data in an external file (location '" + location
                    + "'); Graft reads weights stored inside the .onnx only (re-export without external data)");
        }
        if (t.getUnknownFields().hasField(SEGMENT_FIELD_NUMBER)) {
            throw new OnnxFormatException(path, "initializer '" + name + "' is one segment of a tensor split across several protos, which Graft does not read");
        }
    }

    private static boolean isExternal(TensorProto t) {
        return t.getDataLocation() == TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() > 0;
    }

    private long[] dims(String name, TensorProto t) throws OnnxFormatException {
        long[] dims = new long[t.getDimsCount()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = t.getDims(i);
            if (dims[i] < 0) {
                throw new OnnxFormatException(path, "tensor '" + name + "' has a negative dimension: " + t.getDimsList());
            }
        }
        return dims;
    }

    private long elementCount(String name, long[] dims) throws OnnxFormatException {
        try {
            long n = Tensor.elementCount(dims);
            if (n > Integer.MAX_VALUE) {
                throw new ArithmeticException();
            }
            return n;
        } catch (ArithmeticException e) {
            throw new OnnxFormatException(path, "tensor '" + name + "' has dims " + Arrays.toString(dims) + ", too many elements for one file");
        }
    }

    /** The ONNX name of a {@code TensorProto.data_type} value, or the number if this subset does not know it. */
    static String dataTypeName(int dataType) {
        TensorProto.DataType dt = TensorProto.DataType.forNumber(dataType);
        return dt != null ? dt.name() + " (" + dataType + ")" : "number " + dataType;
    }

    @Override
    public String toString() {
        return "OnnxModelFile(" + path + ", " + graph.getNodeCount() + " nodes, " + initializers.size() + " initializers)";
    }
}
