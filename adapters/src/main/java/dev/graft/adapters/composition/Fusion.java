package dev.graft.adapters.composition;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.adapter.AdapterFormatException;
import dev.graft.adapters.adapter.HookMemory;
import dev.graft.adapters.adapter.SiteAdapter;
import dev.graft.adapters.adapter.TrainingHooks;
import dev.graft.adapters.head.HeadIO;
import dev.graft.adapters.head.Json;
import dev.graft.adapters.head.SavedDirectory;
import dev.graft.adapters.nn.Parameter;
import dev.graft.backbones.sites.Site;
import dev.graft.backbones.sites.SiteHook;
import dev.graft.backbones.sites.SiteShape;
import dev.graft.core.fs.SavedDirectory.Kind;
import dev.graft.core.kernels.Activation;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * AdapterFusion (Pfeiffer et al. 2021, AdapterHub's {@code BertFusion} with its default "dynamic" config): at each
 * bottleneck site of the fused adapters, a trained attention whose query is the block output h and whose keys and
 * values are the adapters' outputs {@code fᵢ(h)}:
 * <pre>
 *   q = h·Wqᵀ + bq,  kᵢ = fᵢ(h)·Wkᵀ + bk,  vᵢ = fᵢ(h)·Wvᵀ + bv,
 *   p = softmax over i of q·kᵢ (per token),  the block output becomes h + Σᵢ pᵢ·vᵢ
 * </pre>
 * (AdapterHub's value-before-softmax, residual after; no temperature). Wq and Wk start ~ N(0, 0.02²), Wv as the
 * identity (off-diagonal 1e-6), biases 0, so an untrained fusion outputs about the plain average of the adapters.
 *
 * <p>The fused adapters stay frozen: {@link #parameters()} are the fusion's own (what a trainer steps), and
 * {@link #trainingHooks} passes gradients through the adapters' backward without keeping theirs. A fusion is an
 * {@link Adapter}, so {@code AdapterTrainer} trains it, with a head, through the frozen backbone like any adapter.
 * Saved with {@link #save} as {@code adapter_fusion_config.json} + {@code adapter_fusion.safetensors}.
 */
public final class Fusion extends SiteAdapter {
    public static final String CONFIG_FILE = "adapter_fusion_config.json";
    public static final String WEIGHTS_FILE = "adapter_fusion.safetensors";
    /** The directory kind of a saved fusion. */
    public static final Kind SAVED = new Kind("adapter fusion", CONFIG_FILE, Set.of(WEIGHTS_FILE));
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String name;
    private final List<String> adapterNames;
    private final List<Adapter> adapters;

    private Fusion(String name, List<String> adapterNames, List<Adapter> adapters) {
        super("fusion", "GRAFT_FUSION", checkedSites(name, adapterNames, adapters));
        this.name = name;
        this.adapterNames = List.copyOf(adapterNames);
        this.adapters = List.copyOf(adapters);
        for (SiteShape s : sites()) {
            String base = "base_model.model." + s.site().module() + ".adapter_fusion_layer." + name + ".";
            int h = s.in();
            register(s.site(),
                    new Parameter(base + "query.weight", new int[] {h, h}, true),
                    new Parameter(base + "query.bias", new int[] {h}, false),
                    new Parameter(base + "key.weight", new int[] {h, h}, true),
                    new Parameter(base + "key.bias", new int[] {h}, false),
                    new Parameter(base + "value.weight", new int[] {h, h}, true),
                    new Parameter(base + "value.bias", new int[] {h}, false));
        }
    }

    /**
     * A fresh fusion called {@code name} over the named bottleneck adapters (in this order), which must sit at the
     * same sites.
     *
     * @throws IllegalArgumentException naming the adapter when one is not a bottleneck or sits elsewhere
     */
    public static Fusion create(String name, Map<String, ? extends Adapter> adapters, long seed) {
        Fusion f = new Fusion(name, List.copyOf(adapters.keySet()), List.copyOf(adapters.values()));
        Random random = new Random(seed);
        for (SiteShape s : f.sites()) {
            Parameter[] p = f.at(s.site());
            int h = s.in();
            gaussian(p[0].values(), random);
            gaussian(p[2].values(), random);
            float[] v = p[4].values();
            java.util.Arrays.fill(v, 1e-6f);
            for (int i = 0; i < h; i++) {
                v[i * h + i] = 1f;
            }
        }
        return f;
    }

    private static void gaussian(float[] w, Random random) {
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (random.nextGaussian() * 0.02);
        }
    }

    private static List<SiteShape> checkedSites(String name, List<String> names, List<Adapter> adapters) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a fusion needs a name");
        }
        if (adapters.isEmpty()) {
            throw new IllegalArgumentException("fusion '" + name + "' needs at least one adapter");
        }
        List<SiteShape> sites = null;
        for (int i = 0; i < adapters.size(); i++) {
            Adapter a = adapters.get(i);
            if (!"bottleneck".equals(a.typeName())) {
                throw new IllegalArgumentException("fusion '" + name + "': adapter '" + names.get(i) + "' is a "
                        + a.describe() + "; AdapterFusion fuses bottleneck adapters only");
            }
            if (sites == null) {
                sites = a.sites();
            } else if (!sites.equals(a.sites())) {
                throw new IllegalArgumentException("fusion '" + name + "': adapter '" + names.get(i) + "' ("
                        + a.describe() + ") sits at other sites than '" + names.getFirst() + "' ("
                        + adapters.getFirst().describe() + "); fused adapters must share their sites");
            }
        }
        return sites;
    }

    public String name() {
        return name;
    }

    /** The fused adapters' names, in order. */
    public List<String> adapterNames() {
        return adapterNames;
    }

    /** The fused adapters (frozen: never changed by training the fusion). */
    public List<Adapter> adapters() {
        return adapters;
    }

    /** query.weight, query.bias, key.weight, key.bias, value.weight, value.bias at {@code site}, or null. */
    public List<Parameter> parameters(Site site) {
        Parameter[] p = at(site);
        return p == null ? null : List.of(p);
    }

    @Override
    public Map<Site, SiteHook> hooks(TensorArena arena) {
        List<Map<Site, SiteHook>> children = new ArrayList<>();
        for (Adapter a : adapters) {
            children.add(a.hooks(arena));
        }
        Map<Site, SiteHook> hooks = new LinkedHashMap<>();
        for (SiteShape s : sites()) {
            hooks.put(s.site(), hook(s, children, arena));
        }
        return hooks;
    }

    @Override
    public TrainingHooks trainingHooks(TensorArena arena, long seed) {
        List<Map<Site, SiteHook>> children = new ArrayList<>();
        for (int i = 0; i < adapters.size(); i++) {
            // the adapters' own training hooks give their backward; their gradients are never flushed: frozen
            children.add(adapters.get(i).trainingHooks(arena, seed + 1 + i).hooks());
        }
        TrainingHooks th = new TrainingHooks(arena);
        for (SiteShape s : sites()) {
            Parameter[] p = at(s.site());
            MemorySegment[] g = new MemorySegment[p.length];
            for (int i = 0; i < p.length; i++) {
                g[i] = th.gradient(p[i]);
            }
            th.put(s.site(), new TrainableHook(hook(s, children, arena), g));
        }
        return th;
    }

    private Hook hook(SiteShape s, List<Map<Site, SiteHook>> children, TensorArena arena) {
        Parameter[] p = at(s.site());
        List<SiteHook.Residual> fused = children.stream().map(m -> (SiteHook.Residual) m.get(s.site())).toList();
        return new Hook(s.in(), fused, HookMemory.snapshot(p[0], arena), HookMemory.snapshot(p[1], arena),
                HookMemory.snapshot(p[2], arena), HookMemory.snapshot(p[3], arena), HookMemory.snapshot(p[4], arena),
                HookMemory.snapshot(p[5], arena));
    }

    @Override
    public ObjectNode peftConfig() {
        ObjectNode n = Json.mapper().createObjectNode();
        n.put("peft_type", "GRAFT_FUSION");
        n.put("name", name);
        ArrayNode list = n.putArray("adapters");
        adapterNames.forEach(list::add);
        n.put("fusion", "dynamic");
        n.put("query", true);
        n.put("key", true);
        n.put("value", true);
        n.put("value_before_softmax", true);
        n.put("residual_before", false);
        n.put("temperature", false);
        return n;
    }

    @Override
    public String describe() {
        return "fusion " + name + " over " + String.join(", ", adapterNames);
    }

    /**
     * Saves the fusion's weights (not the fused adapters, which are saved as adapters) into {@code dir},
     * atomically ({@link SavedDirectory}).
     */
    public void save(Path dir) throws IOException {
        byte[] json = Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(peftConfig());
        dev.graft.core.fs.SavedDirectory.write(dir, SAVED, dev.graft.core.fs.SavedDirectory.Existing.REPLACE, tmp -> {
            HeadIO.writeWeights(parameters(), tmp.resolve(WEIGHTS_FILE), Map.of("format", "pt"));
            Files.write(tmp.resolve(CONFIG_FILE), json);
        });
    }

    /**
     * Loads a fusion saved by {@link #save} over {@code adapters} (by name; the fusion's adapters must be among
     * them, with the sites they had).
     *
     * @throws AdapterFormatException naming the file and field or tensor
     */
    public static Fusion load(Path dir, Map<String, ? extends Adapter> adapters) throws IOException {
        Path config = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(config)) {
            throw new AdapterFormatException(config, "missing (a saved fusion has its config in " + CONFIG_FILE + ")");
        }
        JsonNode root;
        try {
            root = Json.mapper().readTree(config.toFile());
        } catch (IOException e) {
            throw new AdapterFormatException(config, "not valid JSON: " + e.getMessage());
        }
        if (!"GRAFT_FUSION".equals(root.path("peft_type").asText())) {
            throw new AdapterFormatException(config, "field 'peft_type' is '" + root.path("peft_type").asText()
                    + "', not GRAFT_FUSION");
        }
        String name = root.path("name").asText("");
        Map<String, Adapter> fused = new LinkedHashMap<>();
        for (JsonNode n : root.path("adapters")) {
            Adapter a = adapters.get(n.asText());
            if (a == null) {
                throw new AdapterFormatException(config, "field 'adapters' names '" + n.asText()
                        + "', which is not among the adapters given (" + String.join(", ", adapters.keySet()) + ")");
            }
            fused.put(n.asText(), a);
        }
        Fusion f;
        try {
            f = new Fusion(name, List.copyOf(fused.keySet()), List.copyOf(fused.values()));
        } catch (IllegalArgumentException e) {
            throw new AdapterFormatException(config, e.getMessage());
        }
        HeadIO.readWeights(f.parameters(), dir.resolve(WEIGHTS_FILE));
        return f;
    }

    /** The inference hook at one site: {@code out += Σᵢ pᵢ·vᵢ} over the fused adapters' hooks there. */
    private record Hook(int width, List<SiteHook.Residual> fused, Tensor wq, Tensor bq, Tensor wk, Tensor bk,
                        Tensor wv, Tensor bv) implements SiteHook.Residual {

        /** What the forward computes, kept for the backward. */
        private record State(MemorySegment[] f, MemorySegment q, MemorySegment[] k, MemorySegment[] v, float[] p) {
        }

        private State forward(Kernels kernels, int rows, MemorySegment h, long hOff, int ldh, TensorArena scratch) {
            int n = fused.size();
            int w = width;
            MemorySegment[] f = new MemorySegment[n];
            MemorySegment[] k = new MemorySegment[n];
            MemorySegment[] v = new MemorySegment[n];
            MemorySegment q = BlockHooks.zeros(rows, w, scratch);
            kernels.gemm(rows, w, w, h, hOff, ldh, wq.segment(), 0, w, true, bq.segment(), 0, Activation.NONE, false,
                    q, 0, w);
            for (int i = 0; i < n; i++) {
                f[i] = BlockHooks.zeros(rows, w, scratch);
                fused.get(i).addAdapted(kernels, rows, h, hOff, ldh, f[i], 0, w, scratch);
                k[i] = BlockHooks.zeros(rows, w, scratch);
                kernels.gemm(rows, w, w, f[i], 0, w, wk.segment(), 0, w, true, bk.segment(), 0, Activation.NONE, false,
                        k[i], 0, w);
                v[i] = BlockHooks.zeros(rows, w, scratch);
                kernels.gemm(rows, w, w, f[i], 0, w, wv.segment(), 0, w, true, bv.segment(), 0, Activation.NONE, false,
                        v[i], 0, w);
            }
            float[] p = new float[rows * n];
            for (int r = 0; r < rows; r++) {
                double max = Double.NEGATIVE_INFINITY;
                double[] s = new double[n];
                for (int i = 0; i < n; i++) {
                    double dot = 0;
                    for (int c = 0; c < w; c++) {
                        long o = (long) r * w + c;
                        dot += (double) q.getAtIndex(F32, o) * k[i].getAtIndex(F32, o);
                    }
                    s[i] = dot;
                    max = Math.max(max, dot);
                }
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    s[i] = Math.exp(s[i] - max);
                    sum += s[i];
                }
                for (int i = 0; i < n; i++) {
                    p[r * n + i] = (float) (s[i] / sum);
                }
            }
            return new State(f, q, k, v, p);
        }

        @Override
        public void addAdapted(Kernels kernels, int rows, MemorySegment h, long hOff, int ldh, MemorySegment out,
                               long outOff, int ldOut, TensorArena scratch) {
            State st = forward(kernels, rows, h, hOff, ldh, scratch);
            int n = fused.size();
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < width; c++) {
                    float acc = 0;
                    for (int i = 0; i < n; i++) {
                        acc += st.p()[r * n + i] * st.v()[i].getAtIndex(F32, (long) r * width + c);
                    }
                    long o = outOff + (long) r * ldOut + c;
                    out.setAtIndex(F32, o, out.getAtIndex(F32, o) + acc);
                }
            }
        }
    }

    /**
     * The training form of {@link Hook}. Backward, with g = dOut: {@code dvᵢ = pᵢ·g},
     * {@code dsᵢ = pᵢ·(g·vᵢ − Σⱼ pⱼ·g·vⱼ)}, {@code dq = Σ dsᵢ·kᵢ}, {@code dkᵢ = dsᵢ·q}; the weight gradients
     * {@code dW += dyᵀ·x} of each projection, {@code dfᵢ = dkᵢ·Wk + dvᵢ·Wv} back through each (frozen) adapter into
     * dh, and {@code dh += dq·Wq}.
     */
    private record TrainableHook(Hook f, MemorySegment[] grads) implements SiteHook.Residual {
        @Override
        public void addAdapted(Kernels kernels, int rows, MemorySegment h, long hOff, int ldh, MemorySegment out,
                               long outOff, int ldOut, TensorArena scratch) {
            f.addAdapted(kernels, rows, h, hOff, ldh, out, outOff, ldOut, scratch);
        }

        @Override
        public void backward(Kernels kernels, int rows, MemorySegment h, long hOff, int ldh, MemorySegment dOut,
                             long dOutOff, int ldd, MemorySegment dh, long dhOff, int lddh, TensorArena scratch) {
            Hook.State st = f.forward(kernels, rows, h, hOff, ldh, scratch);
            int n = f.fused().size();
            int w = f.width();
            float[] p = st.p();
            MemorySegment dq = BlockHooks.zeros(rows, w, scratch);
            MemorySegment[] dk = new MemorySegment[n];
            MemorySegment[] dv = new MemorySegment[n];
            for (int i = 0; i < n; i++) {
                dk[i] = BlockHooks.zeros(rows, w, scratch);
                dv[i] = BlockHooks.zeros(rows, w, scratch);
            }
            double[] dp = new double[n];
            for (int r = 0; r < rows; r++) {
                double mean = 0;
                for (int i = 0; i < n; i++) {
                    double dot = 0;
                    for (int c = 0; c < w; c++) {
                        dot += (double) dOut.getAtIndex(F32, dOutOff + (long) r * ldd + c)
                                * st.v()[i].getAtIndex(F32, (long) r * w + c);
                    }
                    dp[i] = dot;
                    mean += p[r * n + i] * dot;
                }
                for (int i = 0; i < n; i++) {
                    float pi = p[r * n + i];
                    float ds = (float) (pi * (dp[i] - mean));
                    for (int c = 0; c < w; c++) {
                        long o = (long) r * w + c;
                        float g = dOut.getAtIndex(F32, dOutOff + (long) r * ldd + c);
                        dv[i].setAtIndex(F32, o, pi * g);
                        dk[i].setAtIndex(F32, o, ds * st.q().getAtIndex(F32, o));
                        dq.setAtIndex(F32, o, dq.getAtIndex(F32, o) + ds * st.k()[i].getAtIndex(F32, o));
                    }
                }
            }
            // query: dWq += dqᵀ·h, dbq += Σ dq, dh += dq·Wq
            weightGradient(kernels, rows, w, dq, h, hOff, ldh, grads[0], grads[1], scratch);
            kernels.gemm(rows, w, w, dq, 0, w, f.wq().segment(), 0, w, false, null, 0, Activation.NONE, true, dh, dhOff,
                    lddh);
            for (int i = 0; i < n; i++) {
                weightGradient(kernels, rows, w, dk[i], st.f()[i], 0, w, grads[2], grads[3], scratch);
                weightGradient(kernels, rows, w, dv[i], st.f()[i], 0, w, grads[4], grads[5], scratch);
                MemorySegment df = BlockHooks.zeros(rows, w, scratch);
                kernels.gemm(rows, w, w, dk[i], 0, w, f.wk().segment(), 0, w, false, null, 0, Activation.NONE, false,
                        df, 0, w);
                kernels.gemm(rows, w, w, dv[i], 0, w, f.wv().segment(), 0, w, false, null, 0, Activation.NONE, true,
                        df, 0, w);
                f.fused().get(i).backward(kernels, rows, h, hOff, ldh, df, 0, w, dh, dhOff, lddh, scratch);
            }
        }

        /** dW += dyᵀ·x, db += Σ dy over rows (dy dense rows × w, x with stride ldx). */
        private static void weightGradient(Kernels kernels, int rows, int w, MemorySegment dy, MemorySegment x, long xOff,
                                           int ldx, MemorySegment gw, MemorySegment gb, TensorArena scratch) {
            MemorySegment dyT = scratch.allocateUninitialized(dev.graft.core.tensor.DType.F32, w, rows).segment();
            kernels.transpose(rows, w, dy, 0, w, dyT, 0, rows);
            kernels.gemm(w, w, rows, dyT, 0, rows, x, xOff, ldx, false, null, 0, Activation.NONE, true, gw, 0, w);
            kernels.columnSums(rows, w, dy, 0, w, null, 0, 0, true, gb, 0);
        }
    }
}
