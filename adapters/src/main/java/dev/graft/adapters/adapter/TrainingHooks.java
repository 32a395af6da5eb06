package dev.graft.adapters.adapter;

import dev.graft.adapters.nn.Parameter;
import dev.graft.backbones.sites.Site;
import dev.graft.backbones.sites.SiteHook;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The hooks of one training step: they read a snapshot of the adapter's current parameter values and their
 * {@code backward} accumulates gradients into off-heap buffers, which {@link #flushGradients()} adds into the
 * parameters' {@link Parameter#grads()} once the step's backward pass is done. Confined to the training thread.
 */
public final class TrainingHooks {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Map<Site, SiteHook> hooks = new LinkedHashMap<>();
    private final List<Parameter> parameters = new ArrayList<>();
    private final List<MemorySegment> gradients = new ArrayList<>();
    private final TensorArena arena;

    /** Buffers and snapshots live in {@code arena} (the step's). */
    public TrainingHooks(TensorArena arena) {
        this.arena = Objects.requireNonNull(arena, "arena");
    }

    public TensorArena arena() {
        return arena;
    }

    /** A zeroed off-heap gradient buffer for {@code p}, added into {@code p.grads()} by {@link #flushGradients()}. */
    public MemorySegment gradient(Parameter p) {
        MemorySegment g = arena.allocate(DType.F32, p.size()).segment();
        parameters.add(p);
        gradients.add(g);
        return g;
    }

    public void put(Site site, SiteHook hook) {
        if (hooks.putIfAbsent(site, hook) != null) {
            throw new IllegalArgumentException(site + " already has a training hook");
        }
    }

    public void putAll(TrainingHooks other) {
        other.hooks.forEach(this::put);
        parameters.addAll(other.parameters);
        gradients.addAll(other.gradients);
    }

    /**
     * Takes over {@code other}'s gradient buffers (flushed by this one) but not its hooks: for a hook that wraps
     * another step's hooks, such as a composition block around a trainable fusion.
     */
    public void adoptGradients(TrainingHooks other) {
        parameters.addAll(other.parameters);
        gradients.addAll(other.gradients);
    }

    public Map<Site, SiteHook> hooks() {
        return hooks;
    }

    /** Adds every buffer into its parameter's gradient and zeroes the buffer. */
    public void flushGradients() {
        for (int i = 0; i < parameters.size(); i++) {
            float[] grads = parameters.get(i).grads();
            MemorySegment g = gradients.get(i);
            for (int j = 0; j < grads.length; j++) {
                grads[j] += g.getAtIndex(F32, j);
            }
            g.fill((byte) 0);
        }
    }
}
