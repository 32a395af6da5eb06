package dev.graft.adapters.live;

import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.adapter.Adapters;
import dev.graft.backbones.bert.BertEncoder;
import dev.graft.core.tensor.TensorArena;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Named adapters for a running service over one shared frozen encoder: {@link #put} adds or replaces, {@link #remove}
 * removes, while calls are in flight. A call takes its adapters once, when it starts ({@link #acquire} or
 * {@link #acquireAll}: one {@link AdapterLease} per adapter, all from one consistent snapshot of the registry), and
 * uses those versions for all of its work; a swap never fails a call and never gives a call two versions of one
 * adapter. A replaced or removed version keeps its Arrow memory until the last lease on it closes, then releases it,
 * exactly once (reference counting: the registry holds one reference on each current version, each lease one more).
 *
 * <pre>{@code
 * LiveAdapters live = LiveAdapters.create(backbone.encoder());
 * live.put("acme", acmeLora);                 // attach (checked against the encoder's sites) and publish
 * try (AdapterLease l = live.acquire("acme")) { // per call
 *     EncoderOutput out = backbone.encode(batch, arena, false, l.hooks());
 * }
 * live.put("acme", acmeLoraV2);               // calls already running keep v1; v1 is freed when they end
 * }</pre>
 *
 * <p>Thread-safety: every method may be called from any thread. Acquiring takes no lock (a volatile read of an
 * immutable snapshot and a compare-and-set on the version's count); put, remove and close are serialised among
 * themselves, and a put attaches its adapter (the expensive part) before taking the lock.
 *
 * <p>Memory: every version's hooks live in a child of this registry's arena ({@link #allocatedBytes()}); the
 * adapters' own parameters stay on the heap with the {@link Adapter} objects. {@link #close()} retires every current
 * version; the arena closes when the last lease still open closes (at once when none is).
 */
public final class LiveAdapters implements AdapterSource, AutoCloseable {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

    private final BertEncoder encoder;
    private final TensorArena arena;
    private final Object lock = new Object();
    /** The current version of each name; replaced wholesale (under {@link #lock}) by every change. */
    private volatile Map<String, Version> current = Map.of();
    private final AtomicLong serials = new AtomicLong();
    private final AtomicLong freed = new AtomicLong();
    /** Versions attached and not yet freed: the current ones and retired ones still leased. Under {@link #lock}. */
    private int attachedVersions;
    private boolean closed;

    private LiveAdapters(BertEncoder encoder, TensorArena arena) {
        this.encoder = encoder;
        this.arena = arena;
    }

    /** A registry with its own Arrow allocator, for adapters of {@code encoder}. */
    public static LiveAdapters create(BertEncoder encoder) {
        return new LiveAdapters(Objects.requireNonNull(encoder, "encoder"), TensorArena.root("live-adapters"));
    }

    /** A registry whose Arrow memory is accounted in a child of {@code parent} (so it shows in your accounting). */
    public static LiveAdapters over(BertEncoder encoder, BufferAllocator parent) {
        return new LiveAdapters(Objects.requireNonNull(encoder, "encoder"), TensorArena.over(parent, "live-adapters"));
    }

    /**
     * Adds {@code adapter} under {@code name}, or replaces the version there: attaches it (sites checked against the
     * encoder's, parameters copied into immutable hooks — later changes to {@code adapter} do not reach them), then
     * publishes it. Calls that start afterwards get the new version; calls already holding the old one keep it, and
     * the old version's memory is released when the last of them ends.
     *
     * @return the new version's serial number ({@link AdapterLease#version()})
     * @throws dev.graft.adapters.adapter.AdapterShapeException when the adapter does not fit the encoder (nothing
     *                                                          changes)
     * @throws IllegalArgumentException a bad name (letters, digits, '_', '-', '.'; starting with a letter or digit)
     * @throws IllegalStateException    when the registry is closed
     */
    public long put(String name, Adapter adapter) {
        checkName(name);
        Objects.requireNonNull(adapter, "adapter");
        String hash = ContentHash.of(adapter); // before attaching: the hash is of the values the hooks copy
        synchronized (lock) {
            requireOpen();
        }
        Adapters attached = Adapters.attach(encoder, List.of(adapter), arena);
        long serial = serials.incrementAndGet(); // after the attach: a put that fails takes no number
        Version v = new Version(name, serial, adapter, attached, hash, this::freed);
        Version old;
        synchronized (lock) {
            attachedVersions++;
            if (closed) {
                old = v; // closed meanwhile: give the new version back at once
            } else {
                Map<String, Version> next = new HashMap<>(current);
                old = next.put(name, v);
                current = Map.copyOf(next);
            }
        }
        if (old != null) {
            old.release();
        }
        if (old == v) {
            throw new IllegalStateException("the adapter registry was closed while '" + name + "' was being added");
        }
        return serial;
    }

    /**
     * Removes {@code name}: calls that start afterwards do not find it; calls holding it keep it until they end.
     *
     * @return whether there was an adapter of that name
     */
    public boolean remove(String name) {
        Version old;
        synchronized (lock) {
            requireOpen();
            Map<String, Version> next = new HashMap<>(current);
            old = next.remove(name);
            if (old != null) {
                current = Map.copyOf(next);
            }
        }
        if (old == null) {
            return false;
        }
        old.release();
        return true;
    }

    @Override
    public AdapterLease acquire(String name) {
        while (true) {
            Version v = current.get(Objects.requireNonNull(name, "name"));
            if (v == null) {
                throw unknown(name);
            }
            if (v.tryRetain()) {
                return new AdapterLease(v);
            }
            // v was replaced and its last reference given back between the read and the retain: the snapshot has
            // moved on (it is published before the old version is released), so read it again
        }
    }

    /** Leases on {@code names}, all taken from one snapshot of the registry (no change lands between two of them). */
    @Override
    public Leases acquireAll(Collection<String> names) {
        Set<String> wanted = new LinkedHashSet<>(names);
        while (true) {
            Map<String, Version> snapshot = current;
            Map<String, AdapterLease> taken = new LinkedHashMap<>();
            boolean retry = false;
            for (String name : wanted) {
                Version v = snapshot.get(Objects.requireNonNull(name, "name"));
                if (v == null) {
                    taken.values().forEach(AdapterLease::close);
                    throw unknown(name);
                }
                if (!v.tryRetain()) {
                    retry = true;
                    break;
                }
                taken.put(name, new AdapterLease(v));
            }
            if (!retry) {
                return new Leases(taken);
            }
            taken.values().forEach(AdapterLease::close);
        }
    }

    /** The names with a current version, sorted. */
    public List<String> names() {
        return current.keySet().stream().sorted().toList();
    }

    /** Whether {@code name} has a current version. */
    public boolean contains(String name) {
        return current.containsKey(name);
    }

    /** The current version of {@code name}'s content hash ({@link ContentHash}). */
    public String sha256(String name) {
        Version v = current.get(name);
        if (v == null) {
            throw unknown(name);
        }
        return v.sha256();
    }

    /**
     * Arrow bytes held by every attached version: the current ones and retired ones that calls still hold. Once
     * every call has ended this is the current versions' bytes; after {@link #close()}, 0.
     */
    public long allocatedBytes() {
        return arena.isClosed() ? 0 : arena.allocatedBytes();
    }

    /** What the registry holds now. */
    public Stats stats() {
        synchronized (lock) {
            int now = current.size();
            return new Stats(now, attachedVersions - now, serials.get(), freed.get(), allocatedBytes());
        }
    }

    /**
     * What a registry holds at one moment.
     *
     * @param current        names with a current version
     * @param retiredInUse   replaced or removed versions that calls still hold (their memory is still allocated)
     * @param versionsPut    versions put (attached) since the registry was created
     * @param versionsFreed  versions whose memory has been released
     * @param allocatedBytes Arrow bytes of all attached versions ({@link #allocatedBytes()})
     */
    public record Stats(int current, int retiredInUse, long versionsPut, long versionsFreed, long allocatedBytes) {
    }

    /**
     * Retires every current version and refuses further puts and removes (acquiring finds nothing). Leases still open
     * keep working; the registry's arena is closed when the last of them closes (at once when none is open).
     */
    @Override
    public void close() {
        Map<String, Version> retired;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            retired = current;
            current = Map.of();
            if (attachedVersions == 0) {
                arena.close();
            }
        }
        retired.values().forEach(Version::release);
    }

    /** Called by the last release of a version (any thread). */
    private void freed(Version v) {
        freed.incrementAndGet();
        synchronized (lock) {
            attachedVersions--;
            if (closed && attachedVersions == 0) {
                arena.close();
            }
        }
    }

    private UnknownAdapterException unknown(String name) {
        return new UnknownAdapterException(name, closed ? "(the registry is closed)" : "", current.keySet());
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the adapter registry is closed");
        }
    }

    private static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("adapter name '" + name + "' must start with a letter or digit and contain"
                    + " only letters, digits, '_', '-', '.'");
        }
    }

    @Override
    public String toString() {
        Stats s = stats();
        return "LiveAdapters(" + s.current() + " adapters, " + s.retiredInUse() + " retired in use, " + s.allocatedBytes()
                + " bytes)";
    }
}
