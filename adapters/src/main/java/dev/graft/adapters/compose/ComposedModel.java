package dev.graft.adapters.compose;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.adapters.AdapterTypes;
import dev.graft.adapters.adapter.AdaptedHead;
import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.adapter.AdapterRegistry;
import dev.graft.adapters.adapter.AdapterShapeException;
import dev.graft.adapters.adapter.Adapters;
import dev.graft.adapters.composition.CompositeAdapter;
import dev.graft.adapters.composition.Composition;
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
import dev.graft.backbones.sites.SiteHooks;
import dev.graft.core.tensor.NonFiniteOutputException;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
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
 *         .head("topic", topicHead, topicLora)      // reads the backbone through its own adapter
 *         .head("pos", posTagger)
 *         .build();
 * Predictions p = model.predict(List.of("I lost my card yesterday"));
 * p.classification("intent").top(0, 3);       // the three likeliest intents of the first text
 * p.tagging("pos").tags().get(0);             // one tag per word of the first text
 * }</pre>
 *
 * <h2>Adapters</h2>
 * A head may read the backbone through an adapter ({@link Builder#head(String, Head, Adapter)}). Heads with the
 * same adapter instance share one backbone pass per call, heads without one share the plain pass, and each
 * distinct adapter gets a pass of its own with its hooks — tokenisation is still done once. Each adapter is
 * attached once, at build time ({@link Adapters#attach}: its sites checked against the backbone's, its parameters
 * copied into immutable hooks in the model's memory, released by {@link #close()}); later changes to the
 * adapter's parameters do not reach the model. The shared backbone is only read, so other models keep using it.
 * The {@link Plan} shows the passes and {@link Provenance} each head's adapter.
 *
 * <p>The model owns an Arrow allocator for the hidden states of in-flight calls (released at the end of each call;
 * {@link #close()} checks nothing is left) and the attached adapters. It does not own the backbone, which other
 * models may share.
 */
public final class ComposedModel implements AutoCloseable {
    static final String MODEL_FILE = "model.json";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

    private final BertBackbone backbone;
    private final BackboneInfo info;
    private final Map<String, Head> heads;
    private final boolean mergeAdapters;
    /** Index 0: the plain backbone; then one per distinct adapter, in the order heads were added. */
    private final List<AdapterPass> passes;
    private final Map<String, AdapterPass> passOf;
    private final Provenance provenance;
    private final TensorArena arena;
    private final TensorArena calls;
    private final TensorArena adapterMemory;

    /**
     * One of the model's backbone passes: the plain backbone, or one attached adapter with a copy of the parameter
     * values its hooks were made from (so {@link #save} can tell when the adapter was changed since).
     */
    private record AdapterPass(int index, Adapter adapter, Adapters attached, List<float[]> values) {

        static AdapterPass of(int index, Adapter adapter, Adapters attached) {
            return new AdapterPass(index, adapter, attached,
                    adapter.parameters().stream().map(p -> p.values().clone()).toList());
        }

        boolean changedSinceAttached() {
            List<dev.graft.adapters.nn.Parameter> now = adapter.parameters();
            if (now.size() != values.size()) {
                return true;
            }
            for (int i = 0; i < values.size(); i++) {
                if (!java.util.Arrays.equals(now.get(i).values(), values.get(i))) {
                    return true;
                }
            }
            return false;
        }

        /** SHA-256 (hex) of the attached parameter values: each parameter's name, shape and float bits in order. */
        String sha256() {
            try {
                java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
                List<dev.graft.adapters.nn.Parameter> ps = adapter.parameters();
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(1 << 16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < ps.size(); i++) {
                    md.update(ps.get(i).name().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    for (int d : ps.get(i).shape()) {
                        md.update(buf.clear().putInt(d).flip());
                    }
                    float[] v = values.get(i);
                    for (int j = 0; j < v.length; ) {
                        buf.clear();
                        for (; j < v.length && buf.remaining() >= Float.BYTES; j++) {
                            buf.putFloat(v[j]);
                        }
                        md.update(buf.flip());
                    }
                }
                return java.util.HexFormat.of().formatHex(md.digest());
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        SiteHooks hooks() {
            return attached == null ? SiteHooks.NONE : attached.hooks();
        }

        String label() {
            return adapter == null ? null : adapter.describe() + (attached.merged() ? " (merged)" : "");
        }
    }

    private ComposedModel(BertBackbone backbone, BackboneInfo info, Map<String, Head> heads,
                          Map<String, Adapter> adapters, boolean mergeAdapters) {
        this.backbone = backbone;
        this.info = info;
        this.heads = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(heads));
        this.mergeAdapters = mergeAdapters;
        this.arena = TensorArena.root("composed-model");
        try {
            this.calls = arena.child("calls");
            TensorArena memory = arena.child("adapters");
            this.adapterMemory = memory;
            List<AdapterPass> all = new ArrayList<>();
            all.add(new AdapterPass(0, null, null, List.of()));
            Map<Adapter, AdapterPass> byAdapter = new IdentityHashMap<>();
            Map<String, AdapterPass> of = new LinkedHashMap<>();
            Map<String, ObjectNode> records = new LinkedHashMap<>();
            for (String name : this.heads.keySet()) {
                Adapter a = adapters.get(name);
                AdapterPass pass = a == null ? all.getFirst() : byAdapter.computeIfAbsent(a, x -> {
                    Adapters attached = mergeAdapters && x.mergeable()
                            ? Adapters.attachMerged(backbone.encoder(), List.of(x), memory)
                            : Adapters.attach(backbone.encoder(), List.of(x), memory);
                    AdapterPass p = AdapterPass.of(all.size(), x, attached);
                    all.add(p);
                    return p;
                });
                of.put(name, pass);
                if (a != null) {
                    ObjectNode r = AdaptedHead.record(a);
                    r.put("merged", pass.attached().merged());
                    r.put("name", firstHeadOf(of, pass));
                    r.put("sha256", pass.sha256());
                    if (a instanceof CompositeAdapter c) {
                        r.set("composition", c.record());
                    }
                    records.put(name, r);
                }
            }
            this.passes = List.copyOf(all);
            this.passOf = java.util.Collections.unmodifiableMap(of);
            this.provenance = Provenance.of(info, this.heads, records, backbone.kernels().getClass().getSimpleName());
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** The first head (in the order added) that reads pass {@code pass}: the name the adapter goes by. */
    private static String firstHeadOf(Map<String, AdapterPass> of, AdapterPass pass) {
        return of.entrySet().stream().filter(e -> e.getValue() == pass).map(Map.Entry::getKey).findFirst().orElseThrow();
    }

    /** A builder: one backbone, then heads (each optionally with an adapter). */
    public static Builder builder() {
        return new Builder();
    }

    /** The shared frozen backbone (not owned: closing the model leaves it open). */
    public BertBackbone backbone() {
        return backbone;
    }

    /** The backbone's identity (name, weights digest, sizes) that every head was checked against. */
    public BackboneInfo backboneInfo() {
        return info;
    }

    /** Head names, in the order they were added. */
    public Set<String> headNames() {
        return heads.keySet();
    }

    /** The head called {@code name}; fails naming the known heads if there is none. */
    public Head head(String name) {
        Head h = heads.get(name);
        if (h == null) {
            throw unknownHead(name);
        }
        return h;
    }

    /** What this model was built from: Graft version, JDK, backbone and heads. */
    public Provenance provenance() {
        return provenance;
    }

    /** The adapter head {@code name} reads the backbone through, if any. */
    public Optional<Adapter> adapter(String name) {
        head(name);
        return Optional.ofNullable(passOf.get(name).adapter());
    }

    /** Whether mergeable adapters were folded into weight copies ({@link Builder#mergeAdapters}). */
    public boolean mergeAdapters() {
        return mergeAdapters;
    }

    /** Bytes of Arrow memory held by calls in flight (0 when the model is idle). */
    public long allocatedBytes() {
        return calls.allocatedBytes();
    }

    /** Bytes of Arrow memory the attached adapters hold (their parameter snapshots and merged weight copies). */
    public long adapterBytes() {
        return adapterMemory.allocatedBytes();
    }

    /**
     * Runs every head on {@code texts}.
     *
     * @throws dev.graft.core.tensor.NonFiniteOutputException when a head's output for a text is NaN or infinite
     *                                                       (naming the head, the text's index and its start); no
     *                                                       prediction of the call is returned then
     */
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

    /**
     * Runs each row's heads on that row, rows that read the backbone through different adapters routed through
     * one backbone pass ({@link SiteHooks#routed}): every row expanded into one pass-row per adapter its heads need,
     * sorted by adapter into contiguous segments, encoded together, each head run on its segment's rows. Rows of
     * very different lengths go in one routed pass per length bucket (padding every row to the longest would
     * cost more than the extra passes). Each row's outputs equal what {@link #predict} gives for that row alone (to float rounding). An
     * unknown head fails only its own row, naming the head and the model's heads; so does a head that fails on its
     * rows (a non-finite output). With {@link Builder#mergeAdapters} a merged adapter cannot be routed per row, and
     * the call makes one pass per adapter instead ({@link #planRows} says which).
     *
     * @return one result per request, in input order
     */
    public List<RowResult> predictRows(List<Request> requests) {
        return RowRouter.run(this, requests);
    }

    /** The steps {@link #predictRows} makes for {@code requests}: the routed segments, their adapters and rows. */
    public Plan planRows(List<Request> requests) {
        return RowRouter.route(this, requests).plan();
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
        Map<Integer, List<String>> byPass = new TreeMap<>();
        for (String name : names) {
            byWords |= head(name).input() instanceof FeatureKind.WordTokens;
            byPass.computeIfAbsent(passOf.get(name).index(), k -> new ArrayList<>()).add(name);
        }
        List<Step> steps = new ArrayList<>();
        steps.add(new Step.Tokenize(byWords));
        byPass.forEach((index, group) -> {
            boolean allLayers = false;
            Set<FeatureKind> kinds = new LinkedHashSet<>();
            for (String name : group) {
                FeatureKind kind = heads.get(name).input();
                int[] stages = kind.layers().stages(info.numLayers());
                allLayers |= stages.length > 1 || stages[0] != info.numLayers();
                kinds.add(kind);
            }
            steps.add(new Step.Encode(allLayers, index, passes.get(index).label()));
            kinds.forEach(k -> steps.add(new Step.Derive(k)));
            group.forEach(n -> steps.add(new Step.RunHead(n, heads.get(n).type())));
        });
        return new Plan(steps);
    }

    private Predictions run(Inputs inputs, Collection<String> headNames) {
        Plan plan = plan(headNames);
        return execute(plan, inputs, new LinkedHashSet<>(headNames));
    }

    /** The one place a plan is executed; the outputs come in the order the heads were requested. */
    private Predictions execute(Plan plan, Inputs inputs, Set<String> order) {
        boolean byWords = false;
        for (Step step : plan.steps()) {
            if (step instanceof Step.Tokenize t) {
                byWords = t.byWords();
            }
        }
        Map<String, HeadOutput> outputs = new HashMap<>();
        try (BackbonePass tokens = BackbonePass.tokenize(backbone, info, inputs, byWords, calls)) {
            BackbonePass pass = null;
            Features features = null;
            try {
                for (Step step : plan.steps()) {
                    switch (step) {
                        case Step.Tokenize t -> { }
                        case Step.Encode e -> {
                            if (pass != null) {
                                BackbonePass done = pass;
                                pass = null;
                                done.close();
                            }
                            if (passes.get(e.pass()).adapter() instanceof CompositeAdapter c) {
                                c.checkBatchSize(inputs.size());
                            }
                            BackbonePass p = tokens.encode(passes.get(e.pass()).hooks(), e.allLayers());
                            pass = p;
                            features = new Features(info, p.texts(), p.words(), p::rows);
                        }
                        case Step.Derive d -> features.rows(d.kind());
                        case Step.RunHead h -> outputs.put(h.name(), runHead(h.name(), features));
                        case Step.Route r -> throw new IllegalStateException("a routed plan runs through predictRows");
                    }
                }
            } finally {
                if (pass != null) {
                    pass.close();
                }
            }
        }
        Map<String, HeadOutput> ordered = new LinkedHashMap<>();
        order.forEach(n -> ordered.put(n, outputs.get(n)));
        return new Predictions(ordered);
    }

    /** Index of the pass head {@code name} reads (0: the plain backbone). */
    int passIndex(String name) {
        return passOf.get(name).index();
    }

    /** The hooks of pass {@code index}. */
    SiteHooks passHooks(int index) {
        return passes.get(index).hooks();
    }

    /** The adapter label of pass {@code index} (null for the plain backbone). */
    String passLabel(int index) {
        return passes.get(index).label();
    }

    /** Whether pass {@code index}'s adapter is folded into weight copies. */
    boolean passMerged(int index) {
        AdapterPass p = passes.get(index);
        return p.attached() != null && p.attached().merged();
    }

    /** The arena calls allocate their hidden states in. */
    TensorArena callArena() {
        return calls;
    }

    /** Runs one head; a non-finite output is reported under the head's name in this model. */
    HeadOutput runHead(String name, Features features) {
        try {
            return heads.get(name).apply(features);
        } catch (NonFiniteOutputException e) {
            throw e.withOutput("the output of head '" + name + "' (" + heads.get(name).type() + ")");
        }
    }

    private IllegalArgumentException unknownHead(String name) {
        return new IllegalArgumentException("unknown head '" + name + "' (this model has " + heads.keySet() + ")");
    }

    /**
     * Saves the composition — {@code model.json} with the provenance and the backbone's token limit
     * ({@code max_length}, for whoever opens the backbone to load the model) and one saved head per directory under
     * {@code heads/}, each with its adapter's PEFT files beside it ({@link AdaptedHead}) — atomically. Refuses
     * (IllegalStateException) when an adapter's parameters were changed after the model was built. Heads that
     * share one adapter are listed together in {@code model.json}'s {@code adapter_passes}, so a loaded model shares
     * it again. The backbone is not copied: it is identified by name and weights hash.
     */
    public void save(Path dir) throws IOException {
        for (Map.Entry<String, AdapterPass> e : passOf.entrySet()) {
            if (e.getValue().adapter() != null && e.getValue().changedSinceAttached()) {
                throw new IllegalStateException("the adapter of head '" + e.getKey() + "' (" + e.getValue().adapter().describe()
                        + ") was changed after the model was built; the model still runs the values it attached,"
                        + " so saving the changed ones would not save this model (build a new model to save them)");
            }
        }
        ObjectNode root = Json.mapper().createObjectNode();
        root.put("format", "graft-model");
        root.put("format_version", 1);
        root.set("provenance", provenance.toJson());
        ArrayNode list = root.putArray("heads");
        heads.keySet().forEach(list::add);
        root.put("merge_adapters", mergeAdapters);
        root.put("max_length", backbone.maxLength()); // the token limit the heads were composed under
        ArrayNode shared = root.putArray("adapter_passes");
        for (AdapterPass p : passes.subList(1, passes.size())) {
            ArrayNode group = shared.addArray();
            passOf.forEach((name, q) -> {
                if (q == p) {
                    group.add(name);
                }
            });
        }
        byte[] json = Json.mapper().writeValueAsBytes(root);
        SavedDirectory.write(dir, SavedDirectory.MODEL, tmp -> {
            for (Map.Entry<String, Head> e : heads.entrySet()) {
                Path headDir = tmp.resolve("heads").resolve(e.getKey());
                Files.createDirectories(headDir.getParent());
                AdaptedHead.save(e.getValue(), passOf.get(e.getKey()).adapter(), headDir, null, null);
            }
            Files.write(tmp.resolve(MODEL_FILE), json);
        });
    }

    /**
     * Loads a composition saved by {@link #save} onto {@code backbone}, which must have the weights it was saved
     * with; adapters are read with Graft's built-in adapter types.
     */
    public static ComposedModel load(Path dir, BertBackbone backbone, HeadRegistry registry) throws IOException {
        return load(dir, backbone, registry, AdapterTypes.registry());
    }

    /**
     * Loads a composition saved by {@link #save} onto {@code backbone}, which must have the weights it was saved
     * with, its heads' adapters read with {@code adapterTypes}.
     */
    public static ComposedModel load(Path dir, BertBackbone backbone, HeadRegistry registry, AdapterRegistry adapterTypes)
            throws IOException {
        Path file = dir.resolve(MODEL_FILE);
        if (!Files.isRegularFile(file)) {
            throw new HeadFormatException(file, "missing: " + dir + " is not a saved composed model");
        }
        JsonNode root = Json.mapper().readTree(file.toFile());
        if (!"graft-model".equals(root.path("format").asText())) {
            throw new HeadFormatException(file, "field 'format' must be 'graft-model'");
        }
        Map<String, String> sharesWith = new LinkedHashMap<>();
        for (JsonNode group : root.path("adapter_passes")) {
            String first = group.path(0).asText();
            group.forEach(n -> sharesWith.put(n.asText(), first));
        }
        Builder b = builder().backbone(backbone).mergeAdapters(root.path("merge_adapters").asBoolean(false));
        Map<String, Adapter> loaded = new LinkedHashMap<>();
        for (JsonNode node : root.path("heads")) {
            String name = node.asText();
            Path headDir = dir.resolve("heads").resolve(name);
            HeadIO.Loaded head = HeadIO.load(headDir, registry);
            Adapter adapter = loaded.get(sharesWith.getOrDefault(name, name));
            if (adapter == null) {
                HeadIO.checkFits(headDir.toString(), head.head(), BackboneInfo.of(backbone));
                adapter = AdaptedHead.loadAdapter(headDir, head, adapterTypes, backbone);
                if (adapter != null) {
                    loaded.put(name, adapter);
                }
            }
            b.head(name, head.head(), adapter);
        }
        return b.build();
    }

    /**
     * Releases the attached adapters and the model's allocator; fails if a call is still in flight. Does not close
     * the backbone.
     */
    @Override
    public void close() {
        try {
            for (AdapterPass p : passes) {
                if (p.attached() != null) {
                    p.attached().close();
                }
            }
        } finally {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "ComposedModel(" + info.describe() + ", heads " + heads.keySet()
                + (passes.size() > 1 ? ", " + (passes.size() - 1) + " adapter(s)" : "") + ")";
    }

    /** Collects a backbone and named heads (with their adapters); {@link #build()} validates them all. */
    public static final class Builder {
        private BertBackbone backbone;
        private final Map<String, Head> heads = new LinkedHashMap<>();
        private final Map<String, Adapter> adapters = new LinkedHashMap<>();
        private final List<String> problems = new ArrayList<>();
        private final List<CompositeAdapter> compositions = new ArrayList<>();
        private boolean mergeAdapters;

        private Builder() {
        }

        public Builder backbone(BertBackbone backbone) {
            this.backbone = Objects.requireNonNull(backbone, "backbone");
            return this;
        }

        /** Adds {@code head} under {@code name} (letters, digits, '_', '-', '.'; unique in the model). */
        public Builder head(String name, Head head) {
            return head(name, head, null);
        }

        /**
         * Adds {@code head} under {@code name}, reading the backbone through {@code adapter}. Heads given the same
         * adapter instance share one backbone pass; each distinct adapter costs a pass of its own per call.
         *
         * @param adapter the adapter the head was trained with, or null for the plain backbone
         */
        public Builder head(String name, Head head, Adapter adapter) {
            Objects.requireNonNull(head, "head");
            if (name == null || !NAME.matcher(name).matches()) {
                problems.add("head name '" + name + "' must start with a letter or digit and contain only letters, digits, '_', '-', '.'");
            } else if (heads.putIfAbsent(name, head) != null) {
                problems.add("head name '" + name + "' is used twice");
            } else if (adapter != null) {
                adapters.put(name, adapter);
            }
            return this;
        }

        /**
         * Adds {@code head} under {@code name}, reading the backbone through a composition of adapters (AdapterHub's
         * blocks: {@code Stack}, {@code Average}, {@code Fuse}), validated now ({@link Composition#validate}, errors
         * at {@link #build()}). Heads given equal compositions over the same adapter instances share one pass.
         *
         * @param adapters the adapters and fusions the composition names
         */
        public Builder head(String name, Head head, Composition composition, Map<String, ? extends Adapter> adapters) {
            Objects.requireNonNull(composition, "composition");
            CompositeAdapter c;
            try {
                c = new CompositeAdapter(composition, adapters);
            } catch (IllegalArgumentException e) {
                problems.add("head '" + name + "': " + e.getMessage());
                heads.putIfAbsent(name, Objects.requireNonNull(head, "head"));
                return this;
            }
            CompositeAdapter same = compositions.stream().filter(x -> x.composition().equals(composition)
                    && x.adapters().keySet().stream().allMatch(n -> x.adapters().get(n) == adapters.get(n)))
                    .findFirst().orElse(null);
            if (same == null) {
                compositions.add(c);
            }
            return head(name, head, same != null ? same : c);
        }

        /**
         * AdapterHub's {@code Parallel}: one input, one adapted pass per channel, each read by its own head — the
         * head named after the channel's last adapter, as AdapterHub names them ({@code Parallel(a, Stack(b, c))}:
         * heads "a" over a and "c" over Stack(b, c)).
         *
         * @param heads head by the name of its channel's last adapter
         */
        public Builder parallel(Composition block, Map<String, ? extends Adapter> adapters, Map<String, ? extends Head> heads) {
            List<Composition> channels = CompositeAdapter.channels(block);
            try {
                block.validate(adapters);
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
                return this;
            }
            java.util.Set<String> named = new java.util.HashSet<>();
            for (Composition ch : channels) {
                String name = CompositeAdapter.last(ch);
                if (!named.add(name)) {
                    problems.add(block + ": two channels end with adapter '" + name + "', whose name their heads take");
                } else if (!heads.containsKey(name)) {
                    problems.add(block + ": no head for channel " + ch + " (heads are named after the channel's last "
                            + "adapter, '" + name + "'; given: " + String.join(", ", heads.keySet()) + ")");
                } else if (ch instanceof Composition.Use u) {
                    head(name, heads.get(name), adapters.get(u.adapter()));
                } else {
                    head(name, heads.get(name), ch, adapters);
                }
            }
            return this;
        }

        /** Adds a head and the adapter it was trained with. */
        public Builder head(String name, AdaptedHead pair) {
            Objects.requireNonNull(pair, "pair");
            return head(name, pair.head(), pair.adapter());
        }

        /**
         * Whether adapters whose type allows it (LoRA, (IA)³) are folded into copies of the weight matrices they
         * touch ({@link Adapters#attachMerged}): faster calls for one extra copy of those matrices per adapter.
         * Others (bottleneck) run as hooks either way. Default false.
         */
        public Builder mergeAdapters(boolean merge) {
            this.mergeAdapters = merge;
            return this;
        }

        /**
         * Validates, attaches the adapters and builds.
         *
         * @throws IllegalArgumentException  no backbone, no heads, or a bad or repeated name (all problems listed)
         * @throws HeadMismatchException      a head built for other backbone weights or dimensions
         * @throws AdapterShapeException      an adapter that does not fit the backbone's sites (naming the head)
         */
        public ComposedModel build() {
            List<String> all = new ArrayList<>(problems);
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
            for (Map.Entry<String, Adapter> e : adapters.entrySet()) {
                try {
                    Adapters.checkFits(backbone.encoder().sites(), e.getValue());
                } catch (AdapterShapeException x) {
                    throw new AdapterShapeException("the adapter of head '" + e.getKey() + "' does not fit backbone "
                            + info.describe() + ": " + x.getMessage());
                }
            }
            return new ComposedModel(backbone, info, heads, adapters, mergeAdapters);
        }
    }
}
