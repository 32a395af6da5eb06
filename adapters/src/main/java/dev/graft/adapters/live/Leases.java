package dev.graft.adapters.live;

import dev.graft.backbones.bert.BertEncoder;
import dev.graft.backbones.bert.EncoderOutput;
import dev.graft.backbones.sites.SiteHooks;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.tensor.TensorArena;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The adapters one call uses, each leased once when the call starts ({@link AdapterSource#acquireAll}): every
 * forward pass of the call sees the same versions, whatever is swapped meanwhile. Closing gives them all back.
 *
 * <pre>{@code
 * try (Leases call = live.acquireAll(Set.of("acme", "globex"))) {
 *     EncoderOutput out = call.encode(encoder, batch, List.of("acme", "globex", "acme"), false, arena);
 * }
 * }</pre>
 */
public final class Leases implements AutoCloseable {
    private final Map<String, AdapterLease> byName;

    Leases(Map<String, AdapterLease> byName) {
        this.byName = Collections.unmodifiableMap(new LinkedHashMap<>(byName));
    }

    /** The names leased, in the order they were asked for. */
    public Set<String> names() {
        return byName.keySet();
    }

    /** Every lease of the call. */
    public List<AdapterLease> all() {
        return List.copyOf(byName.values());
    }

    /**
     * The lease on {@code name}.
     *
     * @throws UnknownAdapterException when the call did not lease it (naming the ones it did)
     */
    public AdapterLease get(String name) {
        AdapterLease l = byName.get(name);
        if (l == null) {
            throw new UnknownAdapterException(name, "in this call's leases", byName.keySet());
        }
        return l;
    }

    /**
     * Runs {@code encoder} over {@code batch} with row r adapted by {@code rowAdapters.get(r)} (one of this call's
     * leased names, or null for the plain backbone). Each row's hidden states are those of running the batch with
     * its adapter alone. Outputs ([rows, tokens, hidden], like {@link BertEncoder#encode}) are owned by {@code out}.
     *
     * @throws UnknownAdapterException when a row names an adapter this call did not lease
     */
    public EncoderOutput encode(BertEncoder encoder, TokenBatch batch, List<String> rowAdapters, boolean keepAllLayers,
                                TensorArena out) {
        int rows = batch.batchSize();
        if (rowAdapters.size() != rows) {
            throw new IllegalArgumentException(rowAdapters.size() + " row adapters for a batch of " + rows + " rows");
        }
        SiteHooks[] perRow = new SiteHooks[rows];
        boolean oneForAll = true;
        for (int r = 0; r < rows; r++) {
            String name = rowAdapters.get(r);
            perRow[r] = name == null ? SiteHooks.NONE : get(name).hooks();
            oneForAll &= perRow[r] == perRow[0];
        }
        if (oneForAll) {
            return encoder.encode(batch, out, keepAllLayers, rows == 0 ? SiteHooks.NONE : perRow[0]);
        }
        return encodeMixed(encoder, batch, perRow, keepAllLayers, out);
    }

    /**
     * A call that mixes adapters: one backbone pass, runs of consecutive rows with the same adapter as segments of
     * {@link SiteHooks#routed} (row r of the padded batch is token rows {@code [r·T, (r+1)·T)}).
     */
    private static EncoderOutput encodeMixed(BertEncoder encoder, TokenBatch batch, SiteHooks[] perRow,
                                             boolean keepAllLayers, TensorArena out) {
        int tokens = batch.tokens();
        List<Integer> starts = new ArrayList<>(List.of(0));
        List<SiteHooks> segments = new ArrayList<>();
        for (int r = 0; r < perRow.length; r++) {
            if (r > 0 && perRow[r] == perRow[r - 1]) {
                starts.set(starts.size() - 1, (r + 1) * tokens);
            } else {
                segments.add(perRow[r]);
                starts.add((r + 1) * tokens);
            }
        }
        return encoder.encode(batch, out, keepAllLayers,
                SiteHooks.routed(starts.stream().mapToInt(Integer::intValue).toArray(), segments));
    }

    /** Gives every lease back. Idempotent. */
    @Override
    public void close() {
        RuntimeException failure = null;
        for (AdapterLease l : byName.values()) {
            try {
                l.close();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "Leases" + byName.values();
    }
}
