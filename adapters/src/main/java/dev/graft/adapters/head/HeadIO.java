package dev.graft.adapters.head;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.adapters.nn.Parameter;
import dev.graft.adapters.nn.ParameterBudget;
import dev.graft.core.Graft;
import dev.graft.core.io.Safetensors;
import dev.graft.core.io.SafetensorsFile;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A head on disk: {@code head_config.json} (type, config, the backbone it was built for, Graft version, training
 * record) and {@code head.safetensors} (its parameters by name, PyTorch layout). Saving is atomic — see
 * {@link SavedDirectory}; loading checks every field and tensor and names the file when one is wrong. The network a
 * config describes is built only as large as {@code head.safetensors} can fill (its header is read first, see
 * {@link ParameterBudget}), so a config of {@code hidden_size: 3000000} fails at once instead of running out of
 * memory; and every tensor must be finite ({@link dev.graft.core.io.NonFiniteWeightException}).
 *
 * <p>A head trained together with an adapter inside the backbone is saved in the same directory beside the
 * adapter's PEFT files, and its {@code head_config.json} records that adapter in the field {@value #ADAPTER_FIELD}
 * (written and read by {@code dev.graft.adapters.adapter.AdaptedHead}, which loads both); this class reads only the
 * head and hands the record over in {@link Loaded#adapter()}.
 */
public final class HeadIO {
    public static final String CONFIG_FILE = "head_config.json";
    public static final String WEIGHTS_FILE = "head.safetensors";
    static final String FORMAT = "graft-head";
    static final int FORMAT_VERSION = 1;
    /** The field of {@code head_config.json} that records an adapter saved beside the head. */
    public static final String ADAPTER_FIELD = "adapter";

    private HeadIO() {
    }

    /**
     * A loaded head, the training record saved with it (empty object when there was none), and the record of the
     * adapter saved beside it (null when the head was saved alone).
     */
    public record Loaded(Head head, JsonNode training, JsonNode adapter) {

        /** A head saved without an adapter. */
        public Loaded(Head head, JsonNode training) {
            this(head, training, null);
        }

        /** Whether {@code head_config.json} records an adapter saved beside the head. */
        public boolean hasAdapter() {
            return adapter != null;
        }
    }

    /** Saves {@code head} into {@code dir}; see {@link #save(Head, Path, JsonNode, SavedDirectory.Content)}. */
    public static void save(Head head, Path dir) throws IOException {
        save(head, dir, null, null);
    }

    /**
     * Saves {@code head} into {@code dir} atomically.
     *
     * @param training free-form record of how the head was trained (data, hyper-parameters, metrics), or null
     * @param extras   writes more files into the directory before it is moved into place (a learning curve), or null
     */
    public static void save(Head head, Path dir, JsonNode training, SavedDirectory.Content extras) throws IOException {
        save(head, dir, training, null, extras);
    }

    /**
     * Saves {@code head} into {@code dir} atomically, recording in {@code head_config.json} the adapter that
     * {@code extras} writes beside it.
     *
     * @param adapter the {@value #ADAPTER_FIELD} record (a JSON object), or null for a head saved alone
     */
    public static void save(Head head, Path dir, JsonNode training, JsonNode adapter, SavedDirectory.Content extras)
            throws IOException {
        if (adapter != null && !adapter.isObject()) {
            throw new IllegalArgumentException("the adapter record of head " + head.type() + " must be a JSON object, got " + adapter);
        }
        byte[] config = configJson(head, training, adapter);
        SavedDirectory.write(dir, SavedDirectory.HEAD, tmp -> {
            writeWeights(head.parameters(), tmp.resolve(WEIGHTS_FILE), Map.of("format", "pt", "graft_head_type", head.type()));
            Files.write(tmp.resolve(CONFIG_FILE), config);
            if (extras != null) {
                extras.writeInto(tmp);
            }
        });
    }

    /** Writes parameters to a safetensors file, in the network's order, as F32. */
    public static void writeWeights(List<Parameter> parameters, Path file, Map<String, String> metadata) throws IOException {
        try (TensorArena arena = TensorArena.root("head-save")) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Parameter p : parameters) {
                long[] shape = Arrays.stream(p.shape()).asLongStream().toArray();
                if (tensors.put(p.name(), arena.copyOf(p.values(), shape)) != null) {
                    throw new IllegalStateException("two parameters are named " + p.name());
                }
            }
            Safetensors.write(file, tensors, metadata);
        }
    }

    static byte[] configJson(Head head, JsonNode training, JsonNode adapter) {
        ObjectNode root = Json.mapper().createObjectNode();
        root.put("format", FORMAT);
        root.put("format_version", FORMAT_VERSION);
        root.put("type", head.type());
        root.set("backbone", Json.mapper().valueToTree(head.backbone()));
        root.set("config", Json.mapper().valueToTree(head.config()));
        root.put("graft_version", Graft.version());
        root.set("training", training == null ? Json.mapper().createObjectNode() : training);
        if (adapter != null) {
            root.set(ADAPTER_FIELD, adapter);
        }
        try {
            return Json.mapper().writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the config of head type " + head.type(), e);
        }
    }

    /** Loads the head saved in {@code dir}, built for the backbone recorded with it. */
    public static Loaded load(Path dir, HeadRegistry registry) throws IOException {
        Path configFile = dir.resolve(CONFIG_FILE);
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no such head directory");
        }
        if (!Files.isRegularFile(configFile)) {
            throw new HeadFormatException(configFile, "missing: " + dir + " is not a saved head (no " + CONFIG_FILE + ")");
        }
        JsonNode root;
        try {
            root = Json.mapper().readTree(configFile.toFile());
        } catch (JsonProcessingException e) {
            throw new HeadFormatException(configFile, "not valid JSON: " + e.getOriginalMessage()
                    + " at line " + e.getLocation().getLineNr(), e);
        }
        if (root == null || !root.isObject()) {
            throw new HeadFormatException(configFile, "expected a JSON object");
        }
        if (!FORMAT.equals(text(root, "format", configFile))) {
            throw new HeadFormatException(configFile, "field 'format' is '" + root.get("format").asText() + "', expected '" + FORMAT + "'");
        }
        int version = root.path("format_version").asInt(-1);
        if (version != FORMAT_VERSION) {
            throw new HeadFormatException(configFile, "field 'format_version' is " + root.path("format_version")
                    + "; this Graft reads version " + FORMAT_VERSION);
        }
        String typeName = text(root, "type", configFile);
        HeadType<?> type = registry.find(typeName).orElseThrow(() -> new HeadFormatException(configFile,
                "field 'type': unknown head type '" + typeName + "' (known: " + String.join(", ", registry.names()) + ")"));
        BackboneInfo backbone = field(root, "backbone", BackboneInfo.class, configFile);
        HeadConfig config = field(root, "config", type.configClass(), configFile);
        Path weights = dir.resolve(WEIGHTS_FILE);
        Head head;
        try (TensorArena arena = TensorArena.root("head-load")) {
            SafetensorsFile st = openWeights(weights, arena);
            try { // the network is built only as large as head.safetensors can fill (see ParameterBudget)
                head = budget(st).during(() -> type.createFrom(config, backbone, 0));
            } catch (IllegalArgumentException e) {
                throw new HeadFormatException(configFile, "field 'config' does not describe a valid " + typeName + " head: "
                        + e.getMessage(), e);
            }
            fill(head.parameters(), st);
        }
        JsonNode training = root.path("training");
        JsonNode adapter = root.get(ADAPTER_FIELD);
        if (adapter != null && !adapter.isNull() && !adapter.isObject()) {
            throw new HeadFormatException(configFile, "field '" + ADAPTER_FIELD + "' must be an object, found " + adapter);
        }
        return new Loaded(head, training.isMissingNode() ? Json.mapper().createObjectNode() : training,
                adapter == null || adapter.isNull() ? null : adapter);
    }

    /**
     * Loads the head saved in {@code dir} and checks that it was built for {@code attachTo}.
     *
     * @throws HeadMismatchException when it was saved for other backbone weights or shapes
     */
    public static Loaded load(Path dir, HeadRegistry registry, BackboneInfo attachTo) throws IOException {
        Loaded loaded = load(dir, registry);
        checkFits(dir.toString(), loaded.head(), attachTo);
        return loaded;
    }

    /** Throws {@link HeadMismatchException} unless {@code head} was built for {@code backbone}'s weights. */
    public static void checkFits(String what, Head head, BackboneInfo backbone) {
        if (!head.backbone().sameWeightsAs(backbone)) {
            throw new HeadMismatchException("head " + what + " was trained on backbone " + head.backbone().describe()
                    + " but is attached to " + backbone.describe());
        }
    }

    /**
     * Fills {@code parameters} from {@code file}: every tensor present, F32, of the right shape, finite, and nothing
     * else.
     *
     * @throws dev.graft.core.io.NonFiniteWeightException naming the file, tensor and element when one holds NaN or Inf
     */
    public static void readWeights(List<Parameter> parameters, Path file) throws IOException {
        try (TensorArena arena = TensorArena.root("head-load")) {
            fill(parameters, openWeights(file, arena));
        }
    }

    /** Maps {@code file} and checks its header (nothing else is read yet). */
    public static SafetensorsFile openWeights(Path file, TensorArena arena) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new HeadFormatException(file, "missing (every saved head has its parameters in " + WEIGHTS_FILE + ")");
        }
        try {
            return Safetensors.open(file, arena);
        } catch (IOException | RuntimeException e) {
            throw new HeadFormatException(file, "not a readable safetensors file: " + e.getMessage(), e);
        }
    }

    /** What the tensors declared in {@code st}'s header can fill: the bound on a network built for it. */
    public static ParameterBudget budget(SafetensorsFile st) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (String name : st.names()) {
            shapes.put(name, st.info(name).shape());
        }
        return ParameterBudget.of(st.path(), shapes);
    }

    private static void fill(List<Parameter> parameters, SafetensorsFile st) throws IOException {
        Path file = st.path();
        Set<String> unexpected = new LinkedHashSet<>(st.names());
        for (Parameter p : parameters) {
            if (!unexpected.remove(p.name())) {
                throw new HeadFormatException(file, "missing tensor '" + p.name() + "' " + Arrays.toString(p.shape()));
            }
            SafetensorsFile.TensorInfo info = st.info(p.name());
            long[] expected = Arrays.stream(p.shape()).asLongStream().toArray();
            if (!"F32".equals(info.dtype()) || !Arrays.equals(info.shape(), expected)) {
                throw new HeadFormatException(file, "tensor '" + p.name() + "' is " + info.dtype() + " "
                        + Arrays.toString(info.shape()) + ", the head expects F32 " + Arrays.toString(expected));
            }
        }
        if (!unexpected.isEmpty()) {
            throw new HeadFormatException(file, "unexpected tensor(s) " + unexpected + " (the head's parameters are "
                    + parameters.stream().map(Parameter::name).toList() + ")");
        }
        for (Parameter p : parameters) { // shapes first (header only), then one pass over the bytes
            p.load(st.finiteTensor(p.name()).toFloatArray());
        }
    }

    private static String text(JsonNode root, String field, Path file) {
        JsonNode n = root.get(field);
        if (n == null || !n.isTextual()) {
            throw new HeadFormatException(file, "field '" + field + "' is missing or not a string");
        }
        return n.asText();
    }

    private static <T> T field(JsonNode root, String field, Class<T> type, Path file) {
        JsonNode n = root.get(field);
        if (n == null || !n.isObject()) {
            throw new HeadFormatException(file, "field '" + field + "' is missing or not an object");
        }
        try {
            return Json.mapper().treeToValue(n, type);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            String where = field;
            String msg = e.getMessage();
            if (e instanceof com.fasterxml.jackson.databind.JsonMappingException m) {
                for (var ref : m.getPath()) {
                    where += ref.getFieldName() != null ? "." + ref.getFieldName() : "[" + ref.getIndex() + "]";
                }
                msg = m.getOriginalMessage().replaceAll(" \\(set DeserializationConfig[^)]*\\)", "")
                        .replaceAll(" \\(class [^)]*\\)", "");
            } else if (e instanceof JsonProcessingException j) {
                msg = j.getOriginalMessage();
            }
            throw new HeadFormatException(file, "field '" + where + "': " + msg, e);
        }
    }
}
