package dev.graft.adapters.lora.merge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.adapters.adapter.PeftIO;
import dev.graft.adapters.head.Json;
import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.lora.LoraConfig;
import dev.graft.backbones.bert.BertCheckpoint;
import dev.graft.backbones.bert.BertLayerWeights;
import dev.graft.backbones.bert.BertWeights;
import dev.graft.backbones.bert.Linear;
import dev.graft.backbones.huggingface.HfBertDirectory;
import dev.graft.backbones.sites.Site;
import dev.graft.backbones.sites.SiteHook;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.backbones.sites.SiteShape;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Merges LoRA adapters into one, as PEFT's {@code LoraModel.add_weighted_adapter} does (its current definition: the
 * SVD methods weight the full updates {@code ΔWᵢ = sᵢ·Bᵢ·Aᵢ} by wᵢ alone, and the result never uses rslora).
 *
 * <pre>{@code
 * Lora merged = LoraMerge.merge(List.of(new LoraMerge.Input("intent", intent, 0.7), new LoraMerge.Input("topic", topic, 0.3)),
 *         MergeSpec.of(MergeMethod.TIES, 0.5));
 * PeftIO.save(merged, "sentence-transformers/all-MiniLM-L6-v2", dir);
 * }</pre>
 *
 * <p>The result: rank per {@link MergeMethod} ({@code r} of the inputs, Σ rᵢ for {@code cat}, the SVD rank), and
 * {@code lora_alpha = r} without rslora, so its scaling is 1 and every input's scaling is folded into A and B (as
 * PEFT does); {@code lora_dropout} of the first input; the union of the inputs' sites (an input missing at a site
 * simply does not contribute there, as in PEFT — no method needs equal targets). One input is always merged
 * {@code linear}ly, as PEFT does. Computed in double, stored as float.
 */
public final class LoraMerge {

    /**
     * One adapter to merge.
     *
     * @param name   how messages name it (its directory, say)
     * @param weight its weight wᵢ; any finite number (negative subtracts, as PEFT allows)
     */
    public record Input(String name, Lora lora, double weight) {
        public Input {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(lora, "lora");
            if (!Double.isFinite(weight)) {
                throw new IllegalArgumentException("adapter " + name + ": weight must be a finite number, got " + weight);
            }
        }
    }

    private LoraMerge() {
    }

    /**
     * The merged adapter, a new {@link Lora}; the inputs are only read.
     *
     * @throws MergeException naming the adapters when ranks differ where the method needs equal ones, when two adapters
     *                        give one site different shapes, or when an SVD rank exceeds a site's dimensions
     */
    public static Lora merge(List<Input> inputs, MergeSpec spec) {
        if (inputs.isEmpty()) {
            throw new MergeException("nothing to merge: no adapters given");
        }
        Set<String> names = new HashSet<>();
        for (Input in : inputs) {
            if (!names.add(in.name())) {
                throw new MergeException("adapter " + in.name() + " is given twice");
            }
        }
        MergeMethod method = inputs.size() == 1 ? MergeMethod.LINEAR : spec.method();
        if (method.needsEqualRanks()) {
            Set<Integer> ranks = inputs.stream().map(i -> i.lora().config().r()).collect(Collectors.toSet());
            if (ranks.size() > 1) {
                throw new MergeException(method.peftName() + " merges the A and the B matrices separately and needs"
                        + " adapters of equal rank, but " + describeRanks(inputs) + " (cat and the SVD methods take"
                        + " different ranks)");
            }
        }
        Map<Site, SiteShape> shapes = new TreeMap<>();
        Map<Site, String> firstOwner = new TreeMap<>();
        for (Input in : inputs) {
            for (SiteShape s : in.lora().sites()) {
                SiteShape before = shapes.putIfAbsent(s.site(), s);
                if (before == null) {
                    firstOwner.put(s.site(), in.name());
                } else if (before.in() != s.in() || before.out() != s.out()) {
                    throw new MergeException("adapters " + firstOwner.get(s.site()) + " and " + in.name() + " disagree at "
                            + s.site() + " (" + s.site().module() + "): " + before.describe() + " against " + s.describe()
                            + "; they were made for different models");
                }
            }
        }
        int rank = switch (method) {
            case CAT -> inputs.stream().mapToInt(i -> i.lora().config().r()).sum();
            default -> method.svd()
                    ? (spec.svdRank() != null ? spec.svdRank() : inputs.stream().mapToInt(i -> i.lora().config().r()).max().orElseThrow())
                    : inputs.getFirst().lora().config().r();
        };
        if (method.svd()) {
            for (SiteShape s : shapes.values()) {
                if (rank > Math.min(s.in(), s.out())) {
                    throw new MergeException(method.peftName() + " rank " + rank + " exceeds the dimensions of " + s.site()
                            + " (" + s.describe() + "); a truncated SVD keeps at most " + Math.min(s.in(), s.out()));
                }
            }
        }
        Lora merged = Lora.at(config(inputs, rank, shapes.keySet()), List.copyOf(shapes.values()));
        double density = spec.density() == null ? 1 : spec.density();
        int finalRank = rank;
        // sites are independent (an SVD of a 384 × 384 update takes about half a second): one task each
        shapes.values().parallelStream().forEach(shape -> {
            Site site = shape.site();
            List<Integer> present = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) {
                if (inputs.get(i).lora().a(site) != null) {
                    present.add(i);
                }
            }
            double[][] ab = method == MergeMethod.CAT ? cat(inputs, present, site, shape, finalRank)
                    : method.svd() ? svd(inputs, present, site, shape, finalRank, method, density, spec)
                    : factors(inputs, present, site, method, density, spec);
            merged.a(site).load(toFloat(ab[0]));
            merged.b(site).load(toFloat(ab[1]));
        });
        return merged;
    }

    /** PEFT's {@code cat}: A' stacks wᵢsᵢ·Aᵢ (rows), B' stacks Bᵢ (columns), the present adapters first, zeros after. */
    private static double[][] cat(List<Input> inputs, List<Integer> present, Site site, SiteShape shape, int rank) {
        int in = shape.in();
        int out = shape.out();
        double[] a = new double[rank * in];
        double[] b = new double[out * rank];
        int offset = 0;
        for (int i : present) {
            Lora l = inputs.get(i).lora();
            int r = l.config().r();
            double f = inputs.get(i).weight() * l.config().scaling();
            float[] ai = l.a(site).values();
            float[] bi = l.b(site).values();
            for (int k = 0; k < r; k++) {
                for (int c = 0; c < in; c++) {
                    a[(offset + k) * in + c] = f * ai[k * in + c];
                }
                for (int o = 0; o < out; o++) {
                    b[o * rank + offset + k] = bi[o * r + k];
                }
            }
            offset += r;
        }
        return new double[][] {a, b};
    }

    /** The A-and-B methods: A' = combine(Aᵢ, sign·√|wᵢsᵢ|), B' = combine(Bᵢ, √|wᵢsᵢ|). */
    private static double[][] factors(List<Input> inputs, List<Integer> present, Site site, MergeMethod method,
                                      double density, MergeSpec spec) {
        int n = present.size();
        double[] wa = new double[n];
        double[] wb = new double[n];
        List<double[]> as = new ArrayList<>();
        List<double[]> bs = new ArrayList<>();
        long[] seedsA = new long[n];
        long[] seedsB = new long[n];
        for (int j = 0; j < n; j++) {
            int i = present.get(j);
            Lora l = inputs.get(i).lora();
            double ws = inputs.get(i).weight() * l.config().scaling();
            double root = Math.sqrt(Math.abs(ws));
            wa[j] = ws >= 0 ? root : -root;
            wb[j] = root;
            as.add(toDouble(l.a(site).values()));
            bs.add(toDouble(l.b(site).values()));
            seedsA[j] = dareSeed(spec.seed(), i, site, 0);
            seedsB[j] = dareSeed(spec.seed(), i, site, 1);
        }
        MergeMethod.Combine c = method.combine();
        return new double[][] {
                TaskTensors.combine(c, as, wa, density, spec.majoritySign(), seedsA),
                TaskTensors.combine(c, bs, wb, density, spec.majoritySign(), seedsB)};
    }

    /** The SVD methods: combine(ΔWᵢ = sᵢ·Bᵢ·Aᵢ, wᵢ), then B' = U_k·S_k, A' = V_kᵀ. */
    private static double[][] svd(List<Input> inputs, List<Integer> present, Site site, SiteShape shape, int rank,
                                  MergeMethod method, double density, MergeSpec spec) {
        int in = shape.in();
        int out = shape.out();
        List<double[]> deltas = new ArrayList<>();
        double[] w = new double[present.size()];
        long[] seeds = new long[present.size()];
        for (int j = 0; j < present.size(); j++) {
            int i = present.get(j);
            Lora l = inputs.get(i).lora();
            deltas.add(delta(l, site, in, out));
            w[j] = inputs.get(i).weight();
            seeds[j] = dareSeed(spec.seed(), i, site, 2);
        }
        double[] combined = TaskTensors.combine(method.combine(), deltas, w, density, spec.majoritySign(), seeds);
        TruncatedSvd svd = TruncatedSvd.of(combined, out, in, rank);
        return new double[][] {svd.a, svd.b};
    }

    /** ΔW = s·B·A, {@code [out, in]}, in double. */
    static double[] delta(Lora l, Site site, int in, int out) {
        int r = l.config().r();
        double s = l.config().scaling();
        float[] a = l.a(site).values();
        float[] b = l.b(site).values();
        double[] d = new double[out * in];
        for (int o = 0; o < out; o++) {
            for (int k = 0; k < r; k++) {
                double bok = s * b[o * r + k];
                if (bok != 0) {
                    for (int c = 0; c < in; c++) {
                        d[o * in + c] += bok * a[k * in + c];
                    }
                }
            }
        }
        return d;
    }

    /**
     * The seed of DARE's mask for one tensor: input {@code input}'s A ({@code part} 0), B (1) or ΔW (2) at
     * {@code site}. Masks depend on the seed, the input's position and the site only, not on the order sites are
     * visited.
     */
    static long dareSeed(long seed, int input, Site site, int part) {
        long h = seed;
        h = h * 1_000_003L + input;
        h = h * 1_000_003L + site.layer();
        h = h * 1_000_003L + site.kind().ordinal();
        return h * 1_000_003L + part;
    }

    private static LoraConfig config(List<Input> inputs, int rank, Set<Site> sites) {
        Set<SiteKind> kinds = EnumSet.noneOf(SiteKind.class);
        for (Site s : sites) {
            kinds.add(s.kind());
        }
        List<Integer> layers = null;
        if (inputs.stream().allMatch(i -> i.lora().config().layers() != null)) {
            Set<Integer> union = new TreeSet<>();
            inputs.forEach(i -> union.addAll(i.lora().config().layers()));
            layers = List.copyOf(union);
        }
        return new LoraConfig(rank, rank, inputs.getFirst().lora().config().dropout(), kinds, layers, false);
    }

    private static String describeRanks(List<Input> inputs) {
        return inputs.stream().map(i -> i.name() + " has r=" + i.lora().config().r()).collect(Collectors.joining(", "));
    }

    /**
     * The {@code base_model_name_or_path} every adapter directory in {@code dirs} records (read from its
     * {@code adapter_config.json}; a directory without one records nothing and matches any).
     *
     * @return the first recorded base model, or null when none records one
     * @throws MergeException naming two directories whose base models differ (compared as {@link PeftIO} compares
     *                        them: case-insensitively, after the last '/'), or one that is not a LoRA adapter
     */
    public static String commonBaseModel(List<Path> dirs) throws IOException {
        String base = null;
        Path baseDir = null;
        for (Path dir : dirs) {
            Path file = dir.resolve(PeftIO.CONFIG_FILE);
            if (!Files.isRegularFile(file)) {
                continue; // PeftIO.load names what is missing
            }
            JsonNode config;
            try {
                config = Json.mapper().readTree(file.toFile());
            } catch (IOException e) {
                continue; // PeftIO.load reports it with the file
            }
            if (config == null) {
                continue;
            }
            String type = config.path("peft_type").asText("");
            if (!type.isEmpty() && !type.equals("LORA")) {
                throw new MergeException(dir + " holds a " + type + " adapter; only LoRA adapters can be merged");
            }
            JsonNode b = config.get("base_model_name_or_path");
            if (b == null || b.isNull() || b.asText().isBlank()) {
                continue;
            }
            if (base == null) {
                base = b.asText();
                baseDir = dir;
            } else if (!tail(base).equals(tail(b.asText()))) {
                throw new MergeException("adapters " + baseDir + " and " + dir + " were made for different base models ('"
                        + base + "' and '" + b.asText() + "'); only adapters of one model can be merged");
            }
        }
        return base;
    }

    private static String tail(String s) {
        String t = s.strip();
        while (t.endsWith("/")) {
            t = t.substring(0, t.length() - 1);
        }
        return t.substring(t.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
    }

    /**
     * Writes a copy of {@code base}'s weights with {@code lora} folded in ({@code W + s·B·A} at each of its sites,
     * accumulated in double) as a Hugging Face model directory at {@code dir} ({@link HfBertDirectory#write}:
     * {@code config.json}, {@code model.safetensors}, {@code tokenizer.json}; atomic, a new or empty directory only).
     * The result loads as a backbone ({@code --model DIR}) that computes what {@code base} with the adapter attached
     * computes, without any adapter; {@code base} is only read.
     *
     * @throws MergeException when the adapter does not fit {@code base}'s projections (a layer it lacks, other shapes)
     */
    public static void fold(Lora lora, BertCheckpoint base, Path dir) throws IOException {
        BertWeights w = base.weights();
        for (SiteShape s : lora.sites()) {
            if (s.site().layer() >= w.layers().size()) {
                throw new MergeException(lora.describe() + " adapts " + s.site() + " but " + base.name() + " has "
                        + w.layers().size() + " layers");
            }
            Linear lin = linear(w.layers().get(s.site().layer()), s.site().kind());
            if (lin.in() != s.in() || lin.out() != s.out()) {
                throw new MergeException(lora.describe() + " needs " + s.describe() + " at " + s.site() + " but "
                        + base.name() + "'s " + lin.name() + " is " + lin.in() + " → " + lin.out());
            }
        }
        try (TensorArena arena = TensorArena.root("folded " + base.name())) {
            Map<Site, SiteHook> merged = lora.mergedHooks(w, arena);
            List<BertLayerWeights> layers = new ArrayList<>();
            for (int l = 0; l < w.layers().size(); l++) {
                BertLayerWeights lw = w.layers().get(l);
                layers.add(new BertLayerWeights(
                        replaced(lw.query(), merged.get(new Site(l, SiteKind.QUERY))),
                        replaced(lw.key(), merged.get(new Site(l, SiteKind.KEY))),
                        replaced(lw.value(), merged.get(new Site(l, SiteKind.VALUE))),
                        replaced(lw.attentionOutput(), merged.get(new Site(l, SiteKind.ATTENTION_OUTPUT))),
                        lw.attentionNorm(),
                        replaced(lw.intermediate(), merged.get(new Site(l, SiteKind.INTERMEDIATE))),
                        replaced(lw.output(), merged.get(new Site(l, SiteKind.OUTPUT))),
                        lw.outputNorm()));
            }
            BertWeights folded = new BertWeights(w.config(), w.wordEmbeddings(), w.positionEmbeddings(),
                    w.tokenTypeEmbeddings(), w.embeddingNorm(), layers);
            // the checkpoint only carries names and files to the writer; the arena is closed here, not by it
            BertCheckpoint source = new BertCheckpoint(base.name() + " + " + lora.describe(), base.weightsFile(),
                    base.tokenizerFile(), folded, arena);
            HfBertDirectory.write(source, dir);
        }
    }

    private static Linear replaced(Linear frozen, SiteHook hook) {
        if (hook == null) {
            return frozen;
        }
        Tensor weight = ((SiteHook.Projection) hook).mergedWeight();
        return new Linear(frozen.name(), weight, true, frozen.bias());
    }

    private static Linear linear(BertLayerWeights l, SiteKind kind) {
        return switch (kind) {
            case QUERY -> l.query();
            case KEY -> l.key();
            case VALUE -> l.value();
            case ATTENTION_OUTPUT -> l.attentionOutput();
            case INTERMEDIATE -> l.intermediate();
            case OUTPUT -> l.output();
            default -> throw new IllegalArgumentException(kind + " is not a projection");
        };
    }

    private static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    private static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }
}
