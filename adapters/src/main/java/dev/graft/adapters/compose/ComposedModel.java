package dev.graft.adapters.compose;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.FeatureKind;
import dev.graft.adapters.head.Features;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.head.HeadFormatException;
import dev.graft.adapters.head.HeadIO;
import dev.graft.adapters.head.HeadMismatchException;
import dev.graft.adapters.head.HeadOutput;
import dev.graft.adapters.head.HeadRegistry;
import dev.graft.adapters.head.Json;
import dev.graft.adapters.head.SavedDirectory;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One frozen backbone and named task heads that share its output: each call tokenises once, runs the backbone
 * once and every requested head on the result. Immutable and thread-safe — a service keeps one instance and calls
 * it from all its request threads. Built with {@link #builder()}.
 *
 * <pre>{@code
 * ComposedModel model = ComposedModel.builder()
 *         .backbone(backbone)
 *         .head("intent", intentHead)
 *         .head("pos", posTagger)
 *         .build();
 * Predictions p = model.predict(List.of("I lost my card yesterday"));
 * p.classification("intent").top(0, 3);       // the three likeliest intents of the first text
 * p.tagging("pos").tags().get(0);             // one tag per word of the first text
 * }</pre>
 *
 * <p>The model owns an Arrow allocator for the hidden states of in-flight calls (released at the end of each call;
 * {@link #close()} checks nothing is left). It does not own the backbone, which other models may share.
 */
public final class ComposedModel implements AutoCloseable {
    static final String MODEL_FILE = "model.json";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

    private final BertBackbone backbone;
    private final BackboneInfo info;
    private final Map<String, Head> heads;
    private final Provenance provenance;
    private final TensorArena arena;

    private ComposedModel(BertBackbone backbone, BackboneInfo info, Map<String, Head> heads) {
        this.backbone = backbone;
        this.info = info;
        this.heads = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(heads));
        this.provenance = Provenance.of(info, this.heads, backbone.kernels().getClass().getSimpleName());
        this.arena = TensorArena.root("composed-model");
    }

    public static Builder builder() {
        return new Builder();
    }

    public BertBackbone backbone() {
        return backbone;
    }

    public BackboneInfo backboneInfo() {
        return info;
    }

    /** Head names, in the order they were added. */
    public Set<String> headNames() {
        return heads.keySet();
    }

    public Head head(String name) {
        Head h = heads.get(name);
        if (h == null) {
            throw unknownHead(name);
        }
        return h;
    }

    public Provenance provenance() {
        return provenance;
    }

    /** Bytes of Arrow memory held by calls in flight (0 when the model is idle). */
    public long allocatedBytes() {
        return arena.allocatedBytes();
    }

    /** Runs every head on {@code texts}. */
    public Predictions predict(List<String> texts) {
        return run(new Inputs.Texts(texts), heads.keySet());
    }

    /** Runs the named heads on {@code texts}. */
    public Predictions predict(List<String> texts, String... headNames) {
        return run(new Inputs.Texts(texts), List.of(headNames));
    }

    /** Runs the named heads (all when empty) on any kind of input. */
    public Predictions predict(Inputs inputs, Collection<String> headNames) {
        return run(inputs, headNames.isEmpty() ? heads.keySet() : headNames);
    }

    /** The steps a call of these heads makes (all heads when none are named). */
    public Plan plan(String... headNames) {
        return plan(headNames.length == 0 ? heads.keySet() : List.of(headNames));
    }

    /** The steps a call of {@code headNames} makes. */
    public Plan plan(Collection<String> headNames) {
        Set<String> names = new LinkedHashSet<>(headNames);
        if (names.isEmpty()) {
            throw new IllegalArgumentException("no heads requested (the model has " + heads.keySet() + ")");
        }
        boolean byWords = false;
        boolean allLayers = false;
        Set<FeatureKind> kinds = new LinkedHashSet<>();
        for (String name : names) {
            Head h = head(name);
            FeatureKind kind = h.input();
            byWords |= kind instanceof FeatureKind.WordTokens;
            int[] stages = kind.layers().stages(info.numLayers());
            allLayers |= stages.length > 1 || stages[0] != info.numLayers();
            kinds.add(kind);
        }
        List<Step> steps = new java.util.ArrayList<>();
        steps.add(new Step.Tokenize(byWords));
        steps.add(new Step.Encode(allLayers));
        kinds.forEach(k -> steps.add(new Step.Derive(k)));
        names.forEach(n -> steps.add(new Step.RunHead(n, heads.get(n).type())));
        return new Plan(steps);
    }

    private Predictions run(Inputs inputs, Collection<String> headNames) {
        Plan plan = plan(headNames);
        return execute(plan, inputs);
    }

    /** The one place a plan is executed. */
    private Predictions execute(Plan plan, Inputs inputs) {
        boolean byWords = false;
        boolean allLayers = false;
        for (Step step : plan.steps()) {
            switch (step) {
                case Step.Tokenize t -> byWords = t.byWords();
                case Step.Encode e -> allLayers = e.allLayers();
                default -> { }
            }
        }
        try (BackbonePass pass = BackbonePass.run(backbone, info, inputs, byWords, allLayers, arena)) {
            Features features = new Features(info, pass.texts(), pass.words(), pass::rows);
            Map<String, HeadOutput> outputs = new LinkedHashMap<>();
            for (Step step : plan.steps()) {
                switch (step) {
                    case Step.Derive d -> features.rows(d.kind());
                    case Step.RunHead h -> outputs.put(h.name(), heads.get(h.name()).apply(features));
                    case Step.Tokenize t -> { }
                    case Step.Encode e -> { }
                }
            }
            return new Predictions(outputs);
        }
    }

    private IllegalArgumentException unknownHead(String name) {
        return new IllegalArgumentException("unknown head '" + name + "' (this model has " + heads.keySet() + ")");
    }

    /**
     * Saves the composition — {@code model.json} with the provenance and one saved head per directory under
     * {@code heads/} — atomically. The backbone is not copied: it is identified by name and weights hash.
     */
    public void save(Path dir) throws IOException {
        ObjectNode root = Json.mapper().createObjectNode();
        root.put("format", "graft-model");
        root.put("format_version", 1);
        root.set("provenance", provenance.toJson());
        ArrayNode list = root.putArray("heads");
        heads.keySet().forEach(list::add);
        byte[] json = Json.mapper().writeValueAsBytes(root);
        SavedDirectory.write(dir, MODEL_FILE, tmp -> {
            for (Map.Entry<String, Head> e : heads.entrySet()) {
                Path headDir = tmp.resolve("heads").resolve(e.getKey());
                Files.createDirectories(headDir.getParent());
                HeadIO.save(e.getValue(), headDir);
            }
            Files.write(tmp.resolve(MODEL_FILE), json);
        });
    }

    /**
     * Loads a composition saved by {@link #save} onto {@code backbone}, which must have the weights it was saved
     * with.
     */
    public static ComposedModel load(Path dir, BertBackbone backbone, HeadRegistry registry) throws IOException {
        Path file = dir.resolve(MODEL_FILE);
        if (!Files.isRegularFile(file)) {
            throw new HeadFormatException(file, "missing: " + dir + " is not a saved composed model");
        }
        JsonNode root = Json.mapper().readTree(file.toFile());
        if (!"graft-model".equals(root.path("format").asText())) {
            throw new HeadFormatException(file, "field 'format' must be 'graft-model'");
        }
        Builder b = builder().backbone(backbone);
        for (JsonNode name : root.path("heads")) {
            b.head(name.asText(), HeadIO.load(dir.resolve("heads").resolve(name.asText()), registry).head());
        }
        return b.build();
    }

    /** Releases the model's allocator; fails if a call is still in flight. Does not close the backbone. */
    @Override
    public void close() {
        arena.close();
    }

    @Override
    public String toString() {
        return "ComposedModel(" + info.describe() + ", heads " + heads.keySet() + ")";
    }

    /** Collects a backbone and named heads; {@link #build()} validates them all. */
    public static final class Builder {
        private BertBackbone backbone;
        private final Map<String, Head> heads = new LinkedHashMap<>();
        private final List<String> problems = new java.util.ArrayList<>();

        private Builder() {
        }

        public Builder backbone(BertBackbone backbone) {
            this.backbone = Objects.requireNonNull(backbone, "backbone");
            return this;
        }

        /** Adds {@code head} under {@code name} (letters, digits, '_', '-', '.'; unique in the model). */
        public Builder head(String name, Head head) {
            Objects.requireNonNull(head, "head");
            if (name == null || !NAME.matcher(name).matches()) {
                problems.add("head name '" + name + "' must start with a letter or digit and contain only letters, digits, '_', '-', '.'");
            } else if (heads.putIfAbsent(name, head) != null) {
                problems.add("head name '" + name + "' is used twice");
            }
            return this;
        }

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException  no backbone, no heads, or a bad or repeated name (all problems listed)
         * @throws HeadMismatchException      a head built for other backbone weights or dimensions
         */
        public ComposedModel build() {
            List<String> all = new java.util.ArrayList<>(problems);
            if (backbone == null) {
                all.add("no backbone set");
            }
            if (heads.isEmpty()) {
                all.add("no heads added");
            }
            if (!all.isEmpty()) {
                throw new IllegalArgumentException("cannot build the composed model: " + String.join("; ", all));
            }
            BackboneInfo info = BackboneInfo.of(backbone);
            for (Map.Entry<String, Head> e : heads.entrySet()) {
                Head h = e.getValue();
                if (h.backbone().hiddenSize() != info.hiddenSize() || h.backbone().numLayers() != info.numLayers()) {
                    throw new HeadMismatchException("head '" + e.getKey() + "' reads hidden size " + h.backbone().hiddenSize()
                            + " over " + h.backbone().numLayers() + " layers, but the backbone " + info.describe() + " has "
                            + info.hiddenSize() + " over " + info.numLayers());
                }
                HeadIO.checkFits("'" + e.getKey() + "'", h, info);
            }
            return new ComposedModel(backbone, info, heads);
        }
    }
}
