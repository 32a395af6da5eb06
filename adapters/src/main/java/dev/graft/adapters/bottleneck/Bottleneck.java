package dev.graft.adapters.bottleneck;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.adapters.adapter.SiteAdapter;
import dev.graft.adapters.adapter.HookMemory;
import dev.graft.adapters.adapter.TrainingHooks;
import dev.graft.adapters.head.Json;
import dev.graft.adapters.nn.Parameter;
import dev.graft.backbones.sites.Site;
import dev.graft.backbones.sites.SiteHook;
import dev.graft.backbones.sites.SiteShape;
import dev.graft.core.kernels.Activation;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * A bottleneck adapter at each placement site of every layer: {@code f(h) = up(act(down(h)))} with down
 * {@code [m, H]} + bias {@code [m]} and up {@code [H, m]} + bias {@code [H]} (PyTorch Linear layout), added to the
 * block output h before the block's residual and LayerNorm. Fresh: down ~ N(0, 0.01²) (AdapterHub's "bert" init),
 * biases and up = 0.
 */
public final class Bottleneck extends SiteAdapter {
    static final String PREFIX = "base_model.model.";

    private final BottleneckConfig config;

    Bottleneck(BottleneckConfig config, List<SiteShape> sites) {
        super("bottleneck", "GRAFT_BOTTLENECK", sites);
        this.config = config;
        for (SiteShape s : sites()) {
            if (!config.placement().sites().contains(s.site().kind())) {
                throw new IllegalArgumentException(config.placement() + " bottleneck adapters do not sit at " + s.site());
            }
            int h = s.in();
            int m = config.bottleneck(h);
            String base = PREFIX + s.site().module() + ".adapter.";
            Parameter[] p = {
                    new Parameter(base + "down.weight", new int[] {m, h}, true),
                    new Parameter(base + "down.bias", new int[] {m}, false),
                    new Parameter(base + "up.weight", new int[] {h, m}, true),
                    new Parameter(base + "up.bias", new int[] {h}, false)};
            register(s.site(), p);
        }
    }

    /** A fresh adapter at the placement's sites of every layer of the encoder. */
    public static Bottleneck create(BottleneckConfig config, List<SiteShape> encoderSites, long seed) {
        List<SiteShape> chosen = encoderSites.stream().filter(s -> config.placement().sites().contains(s.site().kind()))
                .toList();
        Bottleneck b = new Bottleneck(config, chosen);
        Random random = new Random(seed);
        for (Parameter[] p : b.perSite().values()) {
            float[] down = p[0].values();
            for (int i = 0; i < down.length; i++) {
                down[i] = (float) (random.nextGaussian() * 0.01);
            }
        }
        return b;
    }

    public BottleneckConfig config() {
        return config;
    }

    /** down.weight, down.bias, up.weight, up.bias at {@code site}, or null. */
    public List<Parameter> parameters(Site site) {
        Parameter[] p = at(site);
        return p == null ? null : List.of(p);
    }





    @Override
    public Map<Site, SiteHook> hooks(TensorArena arena) {
        Map<Site, SiteHook> hooks = new LinkedHashMap<>();
        for (SiteShape s : sites()) {
            hooks.put(s.site(), hook(s, arena));
        }
        return hooks;
    }

    @Override
    public TrainingHooks trainingHooks(TensorArena arena, long seed) {
        TrainingHooks th = new TrainingHooks(arena);
        for (SiteShape s : sites()) {
            Parameter[] p = at(s.site());
            th.put(s.site(), new TrainableHook(hook(s, arena), th.gradient(p[0]), th.gradient(p[1]),
                    th.gradient(p[2]), th.gradient(p[3])));
        }
        return th;
    }

    /** The inference hook at {@code s} over a snapshot (in {@code arena}) of its parameters. */
    private Hook hook(SiteShape s, TensorArena arena) {
        Parameter[] p = at(s.site());
        return new Hook(s.in(), config.bottleneck(s.in()), config.nonLinearity(), config.residual(),
                HookMemory.snapshot(p[0], arena), HookMemory.snapshot(p[1], arena),
                HookMemory.snapshot(p[2], arena), HookMemory.snapshot(p[3], arena));
    }

    @Override
    public ObjectNode peftConfig() {
        ObjectNode n = Json.mapper().createObjectNode();
        n.put("peft_type", "GRAFT_BOTTLENECK");
        n.put("placement", config.placement().jsonName());
        n.put("reduction_factor", config.reductionFactor());
        n.put("non_linearity", config.nonLinearity().name().toLowerCase(Locale.ROOT));
        n.put("residual", config.residual());
        return n;
    }

    @Override
    public String describe() {
        return "bottleneck " + config.placement().jsonName() + " reduction " + config.reductionFactor() + " "
                + config.nonLinearity().name().toLowerCase(Locale.ROOT) + (config.residual() ? "" : " without residual");
    }

    /** out += f(h) (residual) or f(h) − h: t = act(h·downᵀ + bd) [rows, m], out += t·upᵀ + bu. */
    private record Hook(int width, int m, Activation act, boolean residual, Tensor down, Tensor downBias, Tensor up,
                        Tensor upBias) implements SiteHook.Residual {
        @Override
        public void addAdapted(Kernels kernels, int rows, MemorySegment h, long hOff, int ldh, MemorySegment out,
                               long outOff, int ldOut, TensorArena scratch) {
            MemorySegment t = scratch.allocateUninitialized(DType.F32, rows, m).segment();
            kernels.gemm(rows, m, width, h, hOff, ldh, down.segment(), 0, width, true, downBias.segment(), 0, act, false,
                    t, 0, m);
            kernels.gemm(rows, width, m, t, 0, m, up.segment(), 0, m, true, upBias.segment(), 0, Activation.NONE, true,
                    out, outOff, ldOut);
            if (!residual) {
                HookMemory.subtract(rows, width, h, hOff, ldh, out, outOff, ldOut);
            }
        }
    }

    /**
     * The training form of {@link Hook}: the same forward; the backward recomputes z = h·downᵀ + bd and
     * t = act(z) and accumulates {@code dUp += dOutᵀ·t}, {@code dbu += Σ dOut}, {@code dz = act'(z) ⊙ (dOut·up)},
     * {@code dDown += dzᵀ·h}, {@code dbd += Σ dz}, {@code dh += dz·down} (− dOut without the residual).
     */
    private record TrainableHook(Hook f, MemorySegment gradDown, MemorySegment gradDownBias, MemorySegment gradUp,
                                 MemorySegment gradUpBias) implements SiteHook.Residual {
        @Override
        public void addAdapted(Kernels kernels, int rows, MemorySegment h, long hOff, int ldh, MemorySegment out,
                               long outOff, int ldOut, TensorArena scratch) {
            f.addAdapted(kernels, rows, h, hOff, ldh, out, outOff, ldOut, scratch);
        }

        @Override
        public void backward(Kernels kernels, int rows, MemorySegment h, long hOff, int ldh, MemorySegment dOut,
                             long dOutOff, int ldd, MemorySegment dh, long dhOff, int lddh, TensorArena scratch) {
            int m = f.m();
            int width = f.width();
            MemorySegment z = scratch.allocateUninitialized(DType.F32, rows, m).segment();
            kernels.gemm(rows, m, width, h, hOff, ldh, f.down().segment(), 0, width, true, f.downBias().segment(), 0,
                    Activation.NONE, false, z, 0, m);
            MemorySegment t = scratch.allocateUninitialized(DType.F32, rows, m).segment();
            kernels.gemm(rows, m, width, h, hOff, ldh, f.down().segment(), 0, width, true, f.downBias().segment(), 0,
                    f.act(), false, t, 0, m);
            MemorySegment dOutT = scratch.allocateUninitialized(DType.F32, width, rows).segment();
            kernels.transpose(rows, width, dOut, dOutOff, ldd, dOutT, 0, rows);
            kernels.gemm(width, m, rows, dOutT, 0, rows, t, 0, m, false, null, 0, Activation.NONE, true, gradUp, 0, m);
            kernels.columnSums(rows, width, dOut, dOutOff, ldd, null, 0, 0, true, gradUpBias, 0);
            MemorySegment dz = scratch.allocateUninitialized(DType.F32, rows, m).segment();
            kernels.gemm(rows, m, width, dOut, dOutOff, ldd, f.up().segment(), 0, m, false, null, 0, Activation.NONE,
                    false, dz, 0, m);
            kernels.activationBackward(f.act(), (long) rows * m, z, 0, dz, 0, dz, 0);
            kernels.columnSums(rows, m, dz, 0, m, null, 0, 0, true, gradDownBias, 0);
            MemorySegment dzT = scratch.allocateUninitialized(DType.F32, m, rows).segment();
            kernels.transpose(rows, m, dz, 0, m, dzT, 0, rows);
            kernels.gemm(m, width, rows, dzT, 0, rows, h, hOff, ldh, false, null, 0, Activation.NONE, true, gradDown, 0,
                    width);
            kernels.gemm(rows, width, m, dz, 0, m, f.down().segment(), 0, width, false, null, 0, Activation.NONE, true,
                    dh, dhOff, lddh);
            if (!f.residual()) {
                HookMemory.subtract(rows, width, dOut, dOutOff, ldd, dh, dhOff, lddh);
            }
        }
    }
}
