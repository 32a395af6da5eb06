package dev.graft.adapters.lora;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.adapters.adapter.SiteAdapter;
import dev.graft.adapters.adapter.HookMemory;
import dev.graft.adapters.adapter.PeftTargets;
import dev.graft.adapters.adapter.TrainingHooks;
import dev.graft.adapters.head.Json;
import dev.graft.adapters.nn.Parameter;
import dev.graft.backbones.bert.BertLayerWeights;
import dev.graft.backbones.bert.BertWeights;
import dev.graft.backbones.bert.Linear;
import dev.graft.backbones.sites.Site;
import dev.graft.backbones.sites.SiteHook;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.backbones.sites.SiteShape;
import dev.graft.core.kernels.Activation;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

/**
 * A LoRA adapter: at each targeted projection W (in → out), {@code y = x·W + b + (alpha/r)·(x·Aᵀ)·Bᵀ} with
 * A {@code [r, in]} ({@code …lora_A.weight}) and B {@code [out, r]} ({@code …lora_B.weight}), PEFT's layout and
 * names. Fresh: A uniform in ±1/√in (PEFT's Kaiming-uniform default), B = 0.
 */
public final class Lora extends SiteAdapter {
    static final String PREFIX = "base_model.model.";

    private final LoraConfig config;

    /** An adapter at exactly {@code sites} (projection sites), parameters zero. */
    Lora(LoraConfig config, List<SiteShape> sites) {
        super("lora", "LORA", sites);
        this.config = config;
        for (SiteShape s : sites()) {
            if (s.site().kind().role() != SiteKind.Role.PROJECTION) {
                throw new IllegalArgumentException("LoRA attaches to projections, not to " + s.site());
            }
            String base = PREFIX + s.site().module();
            Parameter a = new Parameter(base + ".lora_A.weight", new int[] {config.r(), s.in()}, true);
            Parameter b = new Parameter(base + ".lora_B.weight", new int[] {s.out(), config.r()}, true);
            register(s.site(), a, b);
        }
    }

    /**
     * An adapter at exactly {@code sites} (projection sites, e.g. the union of several adapters' sites), A and B zero:
     * for code that computes its parameters, such as {@link dev.graft.adapters.lora.merge.LoraMerge}.
     *
     * @throws IllegalArgumentException when a site is not a projection or appears twice
     */
    public static Lora at(LoraConfig config, List<SiteShape> sites) {
        return new Lora(config, sites);
    }

    /**
     * A fresh adapter on the encoder's sites that {@code config} targets: A random (seeded), B = 0.
     *
     * @param encoderSites the encoder's declared sites ({@code BertEncoder.sites()})
     */
    public static Lora create(LoraConfig config, List<SiteShape> encoderSites, long seed) {
        List<SiteShape> chosen = new ArrayList<>();
        for (SiteShape s : encoderSites) {
            if (config.targets().contains(s.site().kind())
                    && (config.layers() == null || config.layers().contains(s.site().layer()))) {
                chosen.add(s);
            }
        }
        if (config.layers() != null) {
            int layers = encoderSites.stream().mapToInt(s -> s.site().layer() + 1).max().orElse(0);
            for (int l : config.layers()) {
                if (l < 0 || l >= layers) {
                    throw new IllegalArgumentException("LoRA layer " + l + " does not exist: the encoder has " + layers
                            + " layers");
                }
            }
        }
        Lora lora = new Lora(config, chosen);
        Random random = new Random(seed);
        for (Parameter[] ab : lora.perSite().values()) {
            float[] a = ab[0].values();
            double bound = 1.0 / Math.sqrt(ab[0].shape()[1]);
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
            }
        }
        return lora;
    }

    public LoraConfig config() {
        return config;
    }

    /** A {@code [r, in]} at {@code site}, or null. */
    public Parameter a(Site site) {
        Parameter[] ab = at(site);
        return ab == null ? null : ab[0];
    }

    /** B {@code [out, r]} at {@code site}, or null. */
    public Parameter b(Site site) {
        Parameter[] ab = at(site);
        return ab == null ? null : ab[1];
    }





    @Override
    public Map<Site, SiteHook> hooks(TensorArena arena) {
        Map<Site, SiteHook> hooks = new LinkedHashMap<>();
        for (SiteShape shape : sites()) {
            hooks.put(shape.site(), delta(shape, arena));
        }
        return hooks;
    }

    @Override
    public TrainingHooks trainingHooks(TensorArena arena, long seed) {
        TrainingHooks th = new TrainingHooks(arena);
        int i = 0;
        for (SiteShape shape : sites()) {
            Parameter[] ab = at(shape.site());
            th.put(shape.site(), new TrainableDelta(delta(shape, arena), config.scaling(), config.dropout(),
                    seed * 31 + i++, th.gradient(ab[0]), th.gradient(ab[1])));
        }
        return th;
    }

    /** The inference hook at {@code shape} over a snapshot (in {@code arena}) of A and of (alpha/r)·B. */
    private Delta delta(SiteShape shape, TensorArena arena) {
        Parameter[] ab = at(shape.site());
        int r = config.r();
        float[] b = ab[1].values();
        float[] bt = new float[b.length];
        for (int o = 0; o < shape.out(); o++) {
            for (int k = 0; k < r; k++) {
                bt[k * shape.out() + o] = b[o * r + k];
            }
        }
        return new Delta(r, shape.in(), shape.out(), HookMemory.snapshot(ab[0], arena),
                HookMemory.snapshot(b, ab[1].shape(), config.scaling(), arena),
                arena.copyOf(bt, r, shape.out()).asReadOnly(), config.scaling());
    }

    @Override
    public boolean mergeable() {
        return true;
    }

    /** W' = W + (alpha/r)·B·A per targeted projection, into {@code [out, in]} copies (accumulated in double). */
    @Override
    public Map<Site, SiteHook> mergedHooks(BertWeights frozen, TensorArena arena) {
        Map<Site, SiteHook> hooks = new LinkedHashMap<>();
        double s = config.scaling();
        for (SiteShape shape : sites()) {
            Linear lin = linear(frozen.layers().get(shape.site().layer()), shape.site().kind());
            int in = lin.in();
            int out = lin.out();
            int r = config.r();
            float[] w = HookMemory.outInWeight(lin);
            float[] a = at(shape.site())[0].values();
            float[] b = at(shape.site())[1].values();
            float[] merged = new float[out * in];
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    double d = 0;
                    for (int k = 0; k < r; k++) {
                        d += (double) b[o * r + k] * a[k * in + i];
                    }
                    merged[o * in + i] = (float) (w[o * in + i] + s * d);
                }
            }
            Tensor t = arena.copyOf(merged, out, in).asReadOnly();
            hooks.put(shape.site(), new Merged(t));
        }
        return hooks;
    }

    static Linear linear(BertLayerWeights l, SiteKind kind) {
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

    /** PEFT's short module name for a target ("query", …, "attention.output.dense"). */
    static String suffix(SiteKind kind) {
        return switch (kind) {
            case QUERY -> "query";
            case KEY -> "key";
            case VALUE -> "value";
            default -> kind.module();
        };
    }

    @Override
    public ObjectNode peftConfig() {
        ObjectNode n = Json.mapper().createObjectNode();
        n.put("peft_type", "LORA");
        n.putNull("task_type");
        n.put("r", config.r());
        n.put("lora_alpha", config.alpha());
        n.put("lora_dropout", config.dropout());
        List<Site> mine = sites().stream().map(SiteShape::site).toList();
        // Every projection of the layers the adapter spans (plus one more when it adapts chosen layers only, so a
        // plain list, which would select every layer, is never taken for a layer subset).
        int layers = mine.stream().mapToInt(Site::layer).max().orElse(0) + 1 + (config.layers() == null ? 0 : 1);
        List<Site> candidates = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            for (SiteKind k : SiteKind.values()) {
                if (k.role() == SiteKind.Role.PROJECTION) {
                    candidates.add(new Site(l, k));
                }
            }
        }
        n.set("target_modules", PeftTargets.write(mine, candidates, Site::module, site -> suffix(site.kind())));
        n.put("bias", "none");
        n.put("fan_in_fan_out", false);
        n.put("use_rslora", config.rslora());
        n.put("use_dora", false);
        n.put("init_lora_weights", true);
        n.putNull("modules_to_save");
        n.set("rank_pattern", Json.mapper().createObjectNode());
        n.set("alpha_pattern", Json.mapper().createObjectNode());
        return n;
    }

    @Override
    public String describe() {
        return "lora r=" + config.r() + " alpha=" + config.alpha() + " on " + config.targets().stream().sorted()
                .map(k -> k.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "))
                + (config.layers() == null ? "" : " of layers " + config.layers());
    }

    /**
     * y += (x·Aᵀ)·(s·B)ᵀ: two thin GEMMs through an [rows, r] scratch. Also a {@link SiteHook.LowRank}, with Bᵀ laid
     * out once here, so that per-row routing runs it in one SGMV call with other adapters' segments.
     */
    private record Delta(int r, int in, int out, Tensor aTensor, Tensor scaledB, Tensor bt, float scale)
            implements SiteHook.LowRank {
        @Override
        public int rank() {
            return r;
        }

        @Override
        public MemorySegment a() {
            return aTensor.segment();
        }

        @Override
        public MemorySegment bTransposed() {
            return bt.segment();
        }

        @Override
        public void addDelta(Kernels kernels, int rows, MemorySegment x, long xOff, int ldx, MemorySegment y, long yOff,
                             int ldy, TensorArena scratch) {
            MemorySegment t = scratch.allocateUninitialized(DType.F32, rows, r).segment();
            kernels.gemm(rows, r, in, x, xOff, ldx, aTensor.segment(), 0, in, true, null, 0, Activation.NONE, false, t, 0, r);
            kernels.gemm(rows, out, r, t, 0, r, scaledB.segment(), 0, r, true, null, 0, Activation.NONE, true, y, yOff, ldy);
        }
    }

    /**
     * The training form of {@link Delta}: {@code y += s·(drop(x)·Aᵀ)·Bᵀ} with LoRA's dropout on the adapter's
     * input (a mask regenerated from the seed in the backward), and the gradients
     * {@code dB += s·dyᵀ·t}, {@code dA += (dy·sB)ᵀ·drop(x)}, {@code dx += drop'(dy·sB·A)} with t = drop(x)·Aᵀ.
     */
    private record TrainableDelta(Delta f, float s, float dropout, long seed, MemorySegment gradA,
                                  MemorySegment gradB) implements SiteHook.Projection {
        @Override
        public void addDelta(Kernels kernels, int rows, MemorySegment x, long xOff, int ldx, MemorySegment y, long yOff,
                             int ldy, TensorArena scratch) {
            if (dropout > 0f) {
                f.addDelta(kernels, rows, dropped(kernels, rows, x, xOff, ldx, scratch), 0, f.in(), y, yOff, ldy, scratch);
            } else {
                f.addDelta(kernels, rows, x, xOff, ldx, y, yOff, ldy, scratch);
            }
        }

        @Override
        public void backward(Kernels kernels, int rows, MemorySegment x, long xOff, int ldx, MemorySegment dy,
                             long dyOff, int lddy, MemorySegment dx, long dxOff, int lddx, TensorArena scratch) {
            int r = f.r();
            int in = f.in();
            int out = f.out();
            MemorySegment a = f.a();
            MemorySegment in0 = x;
            long inOff = xOff;
            int ldIn = ldx;
            if (dropout > 0f) {
                in0 = dropped(kernels, rows, x, xOff, ldx, scratch);
                inOff = 0;
                ldIn = in;
            }
            // t = drop(x)·Aᵀ; dB += s·dyᵀ·t
            MemorySegment t = scratch.allocateUninitialized(DType.F32, rows, r).segment();
            kernels.gemm(rows, r, in, in0, inOff, ldIn, a, 0, in, true, null, 0, Activation.NONE, false, t, 0, r);
            MemorySegment dyT = scratch.allocateUninitialized(DType.F32, out, rows).segment();
            kernels.transpose(rows, out, dy, dyOff, lddy, dyT, 0, rows);
            MemorySegment db = scratch.allocateUninitialized(DType.F32, out, r).segment();
            kernels.gemm(out, r, rows, dyT, 0, rows, t, 0, r, false, null, 0, Activation.NONE, false, db, 0, r);
            HookMemory.addScaled((long) out * r, db, s, gradB);
            // dt = dy·(sB); dA += dtᵀ·drop(x)
            MemorySegment dt = scratch.allocateUninitialized(DType.F32, rows, r).segment();
            kernels.gemm(rows, r, out, dy, dyOff, lddy, f.scaledB().segment(), 0, r, false, null, 0, Activation.NONE,
                    false, dt, 0, r);
            MemorySegment dtT = scratch.allocateUninitialized(DType.F32, r, rows).segment();
            kernels.transpose(rows, r, dt, 0, r, dtT, 0, rows);
            kernels.gemm(r, in, rows, dtT, 0, rows, in0, inOff, ldIn, false, null, 0, Activation.NONE, true, gradA, 0, in);
            // dx += drop'(dt·A)
            if (dropout > 0f) {
                MemorySegment dxd = scratch.allocateUninitialized(DType.F32, rows, in).segment();
                kernels.gemm(rows, in, r, dt, 0, r, a, 0, in, false, null, 0, Activation.NONE, false, dxd, 0, in);
                kernels.dropout((long) rows * in, dxd, 0, dropout, seed, 0, dxd, 0);
                for (int row = 0; row < rows; row++) {
                    kernels.add(in, dx, dxOff + (long) row * lddx, dxd, (long) row * in, dx, dxOff + (long) row * lddx);
                }
            } else {
                kernels.gemm(rows, in, r, dt, 0, r, a, 0, in, false, null, 0, Activation.NONE, true, dx, dxOff, lddx);
            }
        }

        /**
         * drop(x) as a dense [rows, in] scratch copy (element (row, j) has dropout index row·in + j): one call when x
         * is dense itself, a call per row otherwise.
         */
        private MemorySegment dropped(Kernels kernels, int rows, MemorySegment x, long xOff, int ldx,
                                      TensorArena scratch) {
            int in = f.in();
            MemorySegment xd = scratch.allocateUninitialized(DType.F32, rows, in).segment();
            if (ldx == in) {
                kernels.dropout((long) rows * in, x, xOff, dropout, seed, 0, xd, 0);
                return xd;
            }
            for (int row = 0; row < rows; row++) {
                kernels.dropout(in, x, xOff + (long) row * ldx, dropout, seed, (long) row * in, xd, (long) row * in);
            }
            return xd;
        }
    }

    /** The projection runs with the merged copy; nothing to add. */
    private record Merged(Tensor weight) implements SiteHook.Projection {
        @Override
        public void addDelta(Kernels kernels, int rows, MemorySegment x, long xOff, int ldx, MemorySegment y, long yOff,
                             int ldy, TensorArena scratch) {
        }

        @Override
        public Tensor mergedWeight() {
            return weight;
        }
    }
}
