package dev.graft.core.tensor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.extension.InvalidExtensionMetadataException;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.ExtensionTypeRegistry;
import org.apache.arrow.vector.types.pojo.FieldType;

/**
 * The canonical Arrow extension type {@code arrow.fixed_shape_tensor}, which Arrow Java 19 does not ship.
 *
 * <p>A column of this type holds one tensor of a fixed {@link #shape() shape} per row. Its storage is a
 * {@code FixedSizeList<value_type>[prod(shape)]}; each list element is one tensor in row-major order. The
 * element type lives in the list's child field (Arrow's {@code FixedSizeList} type does not carry it), so
 * this type holds only the parameters that the serialized metadata carries:
 * <pre>{@code {"shape": [2, 3], "dim_names": ["rows", "cols"], "permutation": [0, 1]}}</pre>
 * ({@code dim_names} and {@code permutation} are optional). {@code shape} is the physical shape; a
 * permutation describes a logical view in which logical axis {@code i} is physical axis
 * {@code permutation[i]}.
 *
 * <p>{@link #ensureRegistered()} registers the type with Arrow's {@link ExtensionTypeRegistry}, so that any
 * Arrow reader (the IPC readers, the C data interface) yields it for fields whose metadata names
 * {@code arrow.fixed_shape_tensor}; the Graft tensor classes call it before they read anything.
 */
public final class FixedShapeTensorType extends ArrowType.ExtensionType {
    /** The extension name, as written to the {@code ARROW:extension:name} field metadata. */
    public static final String EXTENSION_NAME = "arrow.fixed_shape_tensor";

    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final long[] shape;
    private final java.util.List<String> dimNames;
    private final int[] permutation;
    private final int listSize;

    /**
     * A tensor type of the given physical shape.
     *
     * @param shape       physical shape of one tensor (may be empty: one scalar per row)
     * @param dimNames    a name per dimension, or {@code null}
     * @param permutation a permutation of {@code 0..rank-1}, or {@code null} for the identity
     * @throws IllegalArgumentException if a dimension is negative, the element count exceeds an Arrow list
     *                                  size ({@code Integer.MAX_VALUE}), or the names/permutation do not
     *                                  match the rank
     */
    public FixedShapeTensorType(long[] shape, java.util.List<String> dimNames, int[] permutation) {
        this.shape = shape.clone();
        long count = Tensor.elementCount(this.shape);
        if (count > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor shape " + Arrays.toString(shape) + " has " + count
                    + " elements; an Arrow FixedSizeList holds at most " + Integer.MAX_VALUE);
        }
        this.listSize = (int) count;
        if (dimNames != null && dimNames.size() != shape.length) {
            throw new IllegalArgumentException(dimNames.size() + " dim_names " + dimNames + " for a rank-"
                    + shape.length + " shape " + Arrays.toString(shape));
        }
        this.dimNames = dimNames == null ? null : java.util.List.copyOf(dimNames);
        if (permutation != null) {
            if (permutation.length != shape.length) {
                throw new IllegalArgumentException("permutation " + Arrays.toString(permutation) + " for a rank-"
                        + shape.length + " shape " + Arrays.toString(shape));
            }
            boolean[] seen = new boolean[permutation.length];
            for (int p : permutation) {
                if (p < 0 || p >= permutation.length || seen[p]) {
                    throw new IllegalArgumentException("permutation " + Arrays.toString(permutation)
                            + " is not a permutation of 0.." + (permutation.length - 1));
                }
                seen[p] = true;
            }
        }
        this.permutation = permutation == null ? null : permutation.clone();
    }

    /** A tensor type of the given physical shape, without dimension names or permutation. */
    public static FixedShapeTensorType of(long... shape) {
        return new FixedShapeTensorType(shape, null, null);
    }

    /**
     * Registers this type with Arrow's {@link ExtensionTypeRegistry} (again, if another implementation took
     * the name since). Idempotent and cheap; safe to call from any thread.
     */
    public static void ensureRegistered() {
        if (!(ExtensionTypeRegistry.lookup(EXTENSION_NAME) instanceof FixedShapeTensorType)) {
            synchronized (FixedShapeTensorType.class) {
                if (!(ExtensionTypeRegistry.lookup(EXTENSION_NAME) instanceof FixedShapeTensorType)) {
                    ExtensionTypeRegistry.register(of());
                }
            }
        }
    }

    static {
        ensureRegistered();
    }

    /** The physical shape of one tensor (a copy). */
    public long[] shape() {
        return shape.clone();
    }

    /** Number of dimensions of one tensor. */
    public int rank() {
        return shape.length;
    }

    /** Elements per tensor: the storage {@code FixedSizeList}'s list size. */
    public int listSize() {
        return listSize;
    }

    public Optional<java.util.List<String>> dimNames() {
        return Optional.ofNullable(dimNames);
    }

    /** The permutation from the metadata (a copy), if there was one. */
    public Optional<int[]> permutation() {
        return Optional.ofNullable(permutation).map(int[]::clone);
    }

    /** True when the logical layout is the physical (row-major) one: no permutation, or the identity. */
    public boolean isIdentityPermutation() {
        if (permutation == null) {
            return true;
        }
        for (int i = 0; i < permutation.length; i++) {
            if (permutation[i] != i) {
                return false;
            }
        }
        return true;
    }

    /** The logical shape: {@code logical[i] = shape[permutation[i]]}; the physical shape without a permutation. */
    public long[] logicalShape() {
        if (permutation == null) {
            return shape.clone();
        }
        long[] logical = new long[shape.length];
        for (int i = 0; i < logical.length; i++) {
            logical[i] = shape[permutation[i]];
        }
        return logical;
    }

    @Override
    public ArrowType storageType() {
        return new ArrowType.FixedSizeList(listSize);
    }

    @Override
    public String extensionName() {
        return EXTENSION_NAME;
    }

    @Override
    public boolean extensionEquals(ArrowType.ExtensionType other) {
        return other instanceof FixedShapeTensorType o
                && Arrays.equals(shape, o.shape)
                && Objects.equals(dimNames, o.dimNames)
                && Arrays.equals(permutation, o.permutation);
    }

    @Override
    public int hashCode() {
        return Objects.hash(EXTENSION_NAME, Arrays.hashCode(shape), dimNames, Arrays.hashCode(permutation));
    }

    /** The metadata JSON, e.g. {@code {"shape":[2,3]}}. */
    @Override
    public String serialize() {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode s = root.putArray("shape");
        for (long d : shape) {
            s.add(d);
        }
        if (dimNames != null) {
            ArrayNode n = root.putArray("dim_names");
            dimNames.forEach(n::add);
        }
        if (permutation != null) {
            ArrayNode p = root.putArray("permutation");
            for (int i : permutation) {
                p.add(i);
            }
        }
        return root.toString();
    }

    /**
     * Parses the metadata JSON against a storage type (called by Arrow when it reads a schema).
     *
     * @throws InvalidExtensionMetadataException if the storage is not a {@code FixedSizeList}, the JSON is
     *                                           malformed, or the shape's element count differs from the
     *                                           list size
     */
    @Override
    public ArrowType deserialize(ArrowType storageType, String serializedData) {
        return parse(storageType, serializedData);
    }

    /** {@link #deserialize} with a precise result type. */
    public static FixedShapeTensorType parse(ArrowType storageType, String metadata) {
        if (!(storageType instanceof ArrowType.FixedSizeList list)) {
            throw new InvalidExtensionMetadataException(EXTENSION_NAME + " needs FixedSizeList storage, not "
                    + storageType);
        }
        FixedShapeTensorType type = parseMetadata(metadata);
        if (type.listSize != list.getListSize()) {
            throw new InvalidExtensionMetadataException(EXTENSION_NAME + " metadata shape "
                    + Arrays.toString(type.shape) + " has " + type.listSize + " elements but the storage "
                    + "FixedSizeList holds " + list.getListSize() + " per row");
        }
        return type;
    }

    private static FixedShapeTensorType parseMetadata(String metadata) {
        if (metadata == null || metadata.isEmpty()) {
            throw new InvalidExtensionMetadataException(EXTENSION_NAME + " metadata (the tensor shape) is missing");
        }
        JsonNode root;
        try {
            root = JSON.readTree(metadata);
        } catch (JsonProcessingException e) {
            throw new InvalidExtensionMetadataException(EXTENSION_NAME + " metadata is not JSON: '"
                    + abbreviate(metadata) + "'", e);
        }
        if (root == null || !root.isObject()) {
            throw new InvalidExtensionMetadataException(EXTENSION_NAME + " metadata is not a JSON object: '"
                    + abbreviate(metadata) + "'");
        }
        JsonNode s = root.get("shape");
        if (s == null || !s.isArray()) {
            throw new InvalidExtensionMetadataException(EXTENSION_NAME + " metadata has no \"shape\" array: '"
                    + abbreviate(metadata) + "'");
        }
        long[] shape = new long[s.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = s.get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
                throw new InvalidExtensionMetadataException(EXTENSION_NAME + " shape entry " + i + " is not a "
                        + "non-negative integer: '" + abbreviate(metadata) + "'");
            }
            shape[i] = d.asLong();
        }
        java.util.List<String> names = null;
        JsonNode n = root.get("dim_names");
        if (n != null && !n.isNull()) {
            if (!n.isArray()) {
                throw new InvalidExtensionMetadataException(EXTENSION_NAME + " \"dim_names\" is not an array: '"
                        + abbreviate(metadata) + "'");
            }
            String[] parsed = new String[n.size()];
            for (int i = 0; i < parsed.length; i++) {
                if (!n.get(i).isTextual()) {
                    throw new InvalidExtensionMetadataException(EXTENSION_NAME + " dim_names entry " + i
                            + " is not a string: '" + abbreviate(metadata) + "'");
                }
                parsed[i] = n.get(i).asText();
            }
            names = java.util.List.of(parsed);
        }
        // The spec's key is "permutation"; arrow-rs has written "permutations", which we accept too.
        JsonNode p = root.has("permutation") ? root.get("permutation") : root.get("permutations");
        int[] permutation = null;
        if (p != null && !p.isNull()) {
            if (!p.isArray()) {
                throw new InvalidExtensionMetadataException(EXTENSION_NAME + " \"permutation\" is not an array: '"
                        + abbreviate(metadata) + "'");
            }
            permutation = new int[p.size()];
            for (int i = 0; i < permutation.length; i++) {
                if (!p.get(i).isInt()) {
                    throw new InvalidExtensionMetadataException(EXTENSION_NAME + " permutation entry " + i
                            + " is not an integer: '" + abbreviate(metadata) + "'");
                }
                permutation[i] = p.get(i).asInt();
            }
        }
        try {
            return new FixedShapeTensorType(shape, names, permutation);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new InvalidExtensionMetadataException(EXTENSION_NAME + " metadata '" + abbreviate(metadata)
                    + "' is invalid: " + e.getMessage(), e);
        }
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }

    @Override
    public FieldVector getNewVector(String name, FieldType fieldType, BufferAllocator allocator) {
        return new FixedShapeTensorVector(name, fieldType, allocator);
    }

    @Override
    public String toString() {
        return "FixedShapeTensor(shape=" + Arrays.toString(shape)
                + (dimNames != null ? ", dim_names=" + dimNames : "")
                + (permutation != null ? ", permutation=" + Arrays.toString(permutation) : "") + ")";
    }
}
