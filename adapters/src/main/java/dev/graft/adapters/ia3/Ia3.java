package dev.graft.adapters.ia3;

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
import dev.graft.core.kernels.Kernels;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * An (IA)³ adapter: a vector l per targeted activation, {@code y[:, j] *= l[j]}. PEFT names and shapes:
 * {@code base_model.model.encoder.layer.N.attention.self.key.ia3_l} {@code [H, 1]} (likewise {@code value}), and
 * {@code ….output.dense.ia3_l} {@code [1, I]} for the intermediate activation (PEFT scales the input of that
 * "feed-forward" module). Fresh: all ones.
 */
public final class Ia3 extends SiteAdapter {
    static final String PREFIX = "base_model.model.";

    private final Ia3Config config;

    Ia3(Ia3Config config, List<SiteShape> sites) {
        super("ia3", "IA3", sites);
        this.config = config;
        for (SiteShape s : sites()) {
            if (s.site().kind().role() != SiteKind.Role.SCALE) {
                throw new IllegalArgumentException("(IA)³ scales activations, not " + s.site());
            }
            int[] shape = feedForward(s.site().kind()) ? new int[] {1, s.in()} : new int[] {s.in(), 1};
            Parameter p = new Parameter(PREFIX + s.site().module() + ".ia3_l", shape, false);
            Arrays.fill(p.values(), 1f);
            register(s.site(), p);
        }
    }

    /** A fresh adapter (all ones) on the encoder's sites that {@code config} targets. */
    public static Ia3 create(Ia3Config config, List<SiteShape> encoderSites) {
        List<SiteShape> chosen = encoderSites.stream().filter(s -> config.targets().contains(s.site().kind())
                && (config.layers() == null || config.layers().contains(s.site().layer()))).toList();
        return new Ia3(config, chosen);
    }

    public Ia3Config config() {
        return config;
    }

    /** The scaling vector at {@code site}, or null. */
    public Parameter scaling(Site site) {
        Parameter[] p = at(site);
        return p == null ? null : p[0];
    }





    @Override
    public TrainingHooks trainingHooks(TensorArena arena, long seed) {
        TrainingHooks th = new TrainingHooks(arena);
        for (Map.Entry<Site, Parameter[]> e : perSite().entrySet()) {
            th.put(e.getKey(), new TrainableScale(e.getValue()[0].values().clone(), th.gradient(e.getValue()[0])));
        }
        return th;
    }

    /** {@code y ⊙= l}; backward: {@code dl += Σ_r dy ⊙ y}, {@code dy ⊙= l}. */
    private record TrainableScale(float[] l, MemorySegment gradL) implements SiteHook.Scale {
        @Override
        public void scale(int rows, MemorySegment y, long yOff, int ldy) {
            HookMemory.scaleColumns(rows, y, yOff, ldy, l);
        }

        @Override
        public void backward(Kernels kernels, int rows, MemorySegment y, long yOff, int ldy, MemorySegment dy,
                             long dyOff, int lddy, TensorArena scratch) {
            kernels.columnSums(rows, l.length, dy, dyOff, lddy, y, yOff, ldy, true, gradL, 0);
            HookMemory.scaleColumns(rows, dy, dyOff, lddy, l);
        }
    }

    @Override
    public Map<Site, SiteHook> hooks(TensorArena arena) {
        Map<Site, SiteHook> hooks = new LinkedHashMap<>();
        for (Map.Entry<Site, Parameter[]> e : perSite().entrySet()) {
            float[] l = e.getValue()[0].values().clone();
            hooks.put(e.getKey(), (SiteHook.Scale) (rows, y, off, ld) -> HookMemory.scaleColumns(rows, y, off, ld, l));
        }
        return hooks;
    }

    @Override
    public boolean mergeable() {
        return true;
    }

    /**
     * Folds each scaling into a copy of the projection it touches (PEFT's IA3 merge): keys and values scale the rows
     * of the key/value weight and their bias ({@code W' = diag(l)·W}, {@code b' = l ⊙ b}); the intermediate
     * activation and the attention context scale the columns of output.dense / attention.output.dense
     * ({@code W' = W·diag(l)}, bias unchanged). The hooks sit at those projection sites.
     */
    @Override
    public Map<Site, SiteHook> mergedHooks(BertWeights frozen, TensorArena arena) {
        Map<Site, SiteHook> hooks = new LinkedHashMap<>();
        for (Map.Entry<Site, Parameter[]> e : perSite().entrySet()) {
            Site site = e.getKey();
            float[] l = e.getValue()[0].values();
            BertLayerWeights lw = frozen.layers().get(site.layer());
            SiteKind target = switch (site.kind()) {
                case KEY_SCALE -> SiteKind.KEY;
                case VALUE_SCALE -> SiteKind.VALUE;
                case INTERMEDIATE_SCALE -> SiteKind.OUTPUT;
                case CONTEXT_SCALE -> SiteKind.ATTENTION_OUTPUT;
                default -> throw new IllegalStateException(site + " is not an (IA)³ site");
            };
            Linear lin = switch (target) {
                case KEY -> lw.key();
                case VALUE -> lw.value();
                case OUTPUT -> lw.output();
                default -> lw.attentionOutput();
            };
            int in = lin.in();
            int out = lin.out();
            float[] w = HookMemory.outInWeight(lin);
            boolean rows = !feedForward(site.kind());
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    w[o * in + i] *= rows ? l[o] : l[i];
                }
            }
            Tensor bias = null;
            if (rows) {
                float[] b = lin.bias().toFloatArray();
                for (int o = 0; o < out; o++) {
                    b[o] *= l[o];
                }
                bias = arena.copyOf(b, out).asReadOnly();
            }
            hooks.put(new Site(site.layer(), target), new Merged(arena.copyOf(w, out, in).asReadOnly(), bias));
        }
        return hooks;
    }

    /** A projection run with merged copies; nothing to add. */
    private record Merged(Tensor weight, Tensor bias) implements SiteHook.Projection {
        @Override
        public void addDelta(Kernels kernels, int rows, MemorySegment x, long xOff, int ldx, MemorySegment y, long yOff,
                             int ldy, TensorArena scratch) {
        }

        @Override
        public Tensor mergedWeight() {
            return weight;
        }

        @Override
        public Tensor mergedBias() {
            return bias;
        }
    }

    /**
     * Whether PEFT treats the site's module as a "feed-forward module", whose input (not output) is scaled: true for
     * the intermediate activation (input of output.dense) and the attention context (input of attention.output.dense).
     */
    static boolean feedForward(SiteKind k) {
        return k == SiteKind.INTERMEDIATE_SCALE || k == SiteKind.CONTEXT_SCALE;
    }

    /** The module PEFT adapts for a site kind. */
    static String module(Site s) {
        return "encoder.layer." + s.layer() + "." + s.kind().module();
    }

    static String suffix(SiteKind k) {
        return switch (k) {
            case KEY_SCALE -> "key";
            case VALUE_SCALE -> "value";
            default -> k.module();
        };
    }

    @Override
    public ObjectNode peftConfig() {
        ObjectNode n = Json.mapper().createObjectNode();
        n.put("peft_type", "IA3");
        n.putNull("task_type");
        List<Site> mine = sites().stream().map(SiteShape::site).toList();
        int layers = mine.stream().mapToInt(Site::layer).max().orElse(0) + 1 + (config.layers() == null ? 0 : 1);
        List<Site> candidates = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            for (SiteKind k : SiteKind.values()) {
                if (k.role() == SiteKind.Role.SCALE) {
                    candidates.add(new Site(l, k));
                }
            }
        }
        n.set("target_modules", PeftTargets.write(mine, candidates, Ia3::module, s -> suffix(s.kind())));
        List<Site> ff = mine.stream().filter(s -> feedForward(s.kind())).toList();
        n.set("feedforward_modules", ff.isEmpty() ? Json.mapper().createArrayNode()
                : PeftTargets.write(ff, candidates, Ia3::module, s -> suffix(s.kind())));
        n.put("fan_in_fan_out", false);
        n.put("init_ia3_weights", true);
        n.putNull("modules_to_save");
        return n;
    }

    @Override
    public String describe() {
        return "ia3 on " + config.targets().stream().sorted().map(k -> k.name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(", ")) + (config.layers() == null ? "" : " of layers " + config.layers());
    }

}
