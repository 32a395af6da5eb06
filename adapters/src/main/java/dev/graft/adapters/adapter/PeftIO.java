package dev.graft.adapters.adapter;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.adapters.head.HeadIO;
import dev.graft.adapters.head.Json;
import dev.graft.adapters.head.SavedDirectory;
import dev.graft.adapters.nn.Parameter;
import dev.graft.backbones.sites.SiteShape;
import dev.graft.core.io.Safetensors;
import dev.graft.core.io.SafetensorsFile;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Adapters on disk in Hugging Face PEFT's layout: a directory with {@code adapter_config.json} (the
 * {@code peft_type}, its hyper-parameters, {@code target_modules}, {@code base_model_name_or_path}, …) and
 * {@code adapter_model.safetensors} (F32 tensors under PEFT's names, without the adapter name:
 * {@code base_model.model.encoder.layer.0.attention.self.query.lora_A.weight}). LoRA and (IA)³ files are PEFT's own
 * format; bottleneck adapters use {@code peft_type = "GRAFT_BOTTLENECK"}, a Graft extension in the same layout (see
 * the {@code bottleneck} package). Saving is atomic ({@link SavedDirectory}); loading checks the base model, the
 * type, every field and every tensor, and names the file and tensor when one is wrong. As for heads, the adapter
 * a config describes is built only as large as its tensors file can fill ({@code r: 100000} beside rank-8 tensors
 * fails at once, see {@link dev.graft.adapters.nn.ParameterBudget}), and every tensor must be finite.
 */
public final class PeftIO {
    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";

    private PeftIO() {
    }

    /**
     * Saves {@code adapter} into {@code dir}, atomically: a new or empty directory, or one holding a previous adapter
     * save, of which only Graft's files are replaced ({@link SavedDirectory}).
     *
     * @param baseModel the {@code base_model_name_or_path} to record (e.g. "sentence-transformers/all-MiniLM-L6-v2")
     */
    public static void save(Adapter adapter, String baseModel, Path dir) throws IOException {
        byte[] json = configJson(adapter, baseModel);
        SavedDirectory.write(dir, SavedDirectory.ADAPTER, tmp -> {
            HeadIO.writeWeights(adapter.parameters(), tmp.resolve(WEIGHTS_FILE), Map.of("format", "pt"));
            Files.write(tmp.resolve(CONFIG_FILE), json);
        });
    }

    /**
     * Writes {@code adapter}'s two files into the existing directory {@code dir}, beside whatever else it holds
     * (not atomic by itself: for content of a {@link SavedDirectory}, such as a head saved with its adapter).
     */
    public static void writeInto(Adapter adapter, String baseModel, Path dir) throws IOException {
        byte[] json = configJson(adapter, baseModel);
        HeadIO.writeWeights(adapter.parameters(), dir.resolve(WEIGHTS_FILE), Map.of("format", "pt"));
        Files.write(dir.resolve(CONFIG_FILE), json);
    }

    /** Whether {@code dir} holds an adapter's config file (it may still be broken: {@link #load} says how). */
    public static boolean isSaved(Path dir) {
        return Files.isRegularFile(dir.resolve(CONFIG_FILE));
    }

    private static byte[] configJson(Adapter adapter, String baseModel) throws IOException {
        ObjectNode config = adapter.peftConfig().deepCopy();
        config.put("base_model_name_or_path", baseModel);
        config.put("inference_mode", true);
        return Json.mapper().writeValueAsBytes(config);
    }

    /**
     * Loads the adapter saved in {@code dir} for an encoder with {@code sites}.
     *
     * @param baseModel the backbone's name; the file's {@code base_model_name_or_path} must name the same model
     *                  (compared case-insensitively on the part after the last '/'), or null to skip the check
     * @throws AdapterFormatException naming the file and the field or tensor that is wrong
     */
    public static Adapter load(Path dir, AdapterRegistry registry, List<SiteShape> sites, String baseModel)
            throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no such adapter directory");
        }
        Path configFile = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(configFile)) {
            throw new AdapterFormatException(configFile, "missing: " + dir + " is not a saved adapter (no " + CONFIG_FILE + ")");
        }
        JsonNode config;
        try {
            config = Json.mapper().readTree(configFile.toFile());
        } catch (JsonProcessingException e) {
            throw new AdapterFormatException(configFile, "not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (config == null || !config.isObject()) {
            throw new AdapterFormatException(configFile, "expected a JSON object");
        }
        JsonNode peftType = config.get("peft_type");
        if (peftType == null || !peftType.isTextual()) {
            throw new AdapterFormatException(configFile, "field 'peft_type' is missing or not a string");
        }
        AdapterType type = registry.find(peftType.asText()).orElseThrow(() -> new AdapterFormatException(configFile,
                "field 'peft_type': unknown adapter type '" + peftType.asText() + "' (this Graft reads "
                        + String.join(", ", registry.peftTypes()) + ")"));
        JsonNode base = config.get("base_model_name_or_path");
        if (baseModel != null && base != null && !base.isNull() && !sameModel(base.asText(), baseModel)) {
            throw new AdapterFormatException(configFile, "field 'base_model_name_or_path': the adapter was made for '"
                    + base.asText() + "' but the backbone is '" + baseModel + "'");
        }
        Path weights = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(weights)) {
            throw new AdapterFormatException(weights, "missing (a saved adapter has its tensors in " + WEIGHTS_FILE + ")");
        }
        try (TensorArena arena = TensorArena.root("adapter-load")) {
            SafetensorsFile st;
            try {
                st = Safetensors.open(weights, arena);
            } catch (IOException | RuntimeException e) {
                throw new AdapterFormatException(weights, "not a readable safetensors file: " + e.getMessage(), e);
            }
            Adapter adapter;
            try { // the adapter is built only as large as its tensors file can fill (see ParameterBudget)
                adapter = HeadIO.budget(st).during(() -> type.fromPeftConfig(config, sites, configFile));
            } catch (IllegalArgumentException e) {
                if (e instanceof AdapterFormatException) {
                    throw e;
                }
                throw new AdapterFormatException(configFile, e.getMessage(), e);
            }
            readTensors(adapter, type, st);
            return adapter;
        }
    }

    /** Same model name: equal ignoring case after the last '/' ("sentence-transformers/all-MiniLM-L6-v2" ~ "all-minilm-l6-v2"). */
    static boolean sameModel(String a, String b) {
        return tail(a).equals(tail(b));
    }

    private static String tail(String s) {
        String t = s.strip();
        while (t.endsWith("/")) {
            t = t.substring(0, t.length() - 1);
        }
        return t.substring(t.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
    }

    private static void readTensors(Adapter adapter, AdapterType type, SafetensorsFile st) throws IOException {
        Path file = st.path();
        Set<String> unexpected = new LinkedHashSet<>(st.names());
        for (Parameter p : adapter.parameters()) {
            long[] expected = Arrays.stream(p.shape()).asLongStream().toArray();
            if (!unexpected.remove(p.name())) {
                throw new AdapterFormatException(file, "missing tensor '" + p.name() + "' " + Arrays.toString(expected)
                        + " that the config (" + adapter.describe() + ") implies");
            }
            SafetensorsFile.TensorInfo info = st.info(p.name());
            if (!Arrays.equals(info.shape(), expected)) {
                throw new AdapterFormatException(file, type.shapeMismatch(adapter, p.name(), expected, info.shape()));
            }
            if (!"F32".equals(info.dtype())) {
                throw new AdapterFormatException(file, "tensor '" + p.name() + "' is " + info.dtype()
                        + "; this Graft reads F32 adapter tensors");
            }
        }
        if (!unexpected.isEmpty()) {
            throw new AdapterFormatException(file, "unexpected tensor(s) " + unexpected + " that the config ("
                    + adapter.describe() + ") does not describe");
        }
        for (Parameter p : adapter.parameters()) { // shapes first (header only), then one pass over the bytes
            p.load(st.finiteTensor(p.name()).toFloatArray());
        }
    }
}
