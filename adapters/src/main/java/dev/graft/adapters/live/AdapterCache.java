package dev.graft.adapters.live;

import dev.graft.adapters.AdapterTypes;
import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.adapter.AdapterRegistry;
import dev.graft.adapters.adapter.Adapters;
import dev.graft.adapters.adapter.PeftIO;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.bert.BertEncoder;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.RootAllocator;

/**
 * Many adapters kept on disk as PEFT directories ({@link PeftIO}), attached on first use and kept in memory within a
 * budget of Arrow bytes, least recently used first out. Hands out the same {@link AdapterLease}s as
 * {@link LiveAdapters}.
 *
 * <pre>{@code
 * AdapterCache cache = AdapterCache.builder().backbone(backbone).root(Path.of("tenants"))
 *         .budgetBytes(64L << 20).build();
 * try (AdapterLease l = cache.acquire("acme")) {      // tenants/acme, loaded now if it is not in memory
 *     EncoderOutput out = backbone.encode(batch, arena, false, l.hooks());
 * }
 * }</pre>
 *
 * <h2>The budget</h2>
 * <b>Held</b> bytes are all the Arrow memory the cache's adapters hold: the resident ones (kept for later calls),
 * evicted ones that calls still lease (freed when the last lease closes) and the adapter being attached. Held bytes
 * never exceed the budget, at any instant, measured by the Arrow allocator all of them live in
 * ({@link #heldBytes()}, {@link Stats#peakHeldBytes()} is Arrow's own peak). How: adapters are attached one at a
 * time, and before each the cache makes room for its size — exactly what the last adapter of the same type and
 * shapes took, or at most twice its floats for the first of its shapes — by evicting resident adapters no call
 * holds, least recently used first. When everything resident is in use, it evicts in-use ones too (least recently
 * used first; their memory returns when their last lease closes) and waits for memory to return, up to
 * {@link Builder#waitForRoom}, then fails that call with {@link CacheFullException}: it refuses rather than exceeds.
 * The allocator's limit is the budget as well, so an attach that would still not fit is rejected by Arrow before
 * any memory is taken (the cache then makes more room and retries). An adapter larger than the whole budget fails
 * at once.
 *
 * <h2>Loading</h2>
 * An adapter not in memory is loaded by the first call that asks for it; calls asking for it meanwhile wait for that
 * one load (single flight) instead of loading it again. An evicted adapter that calls still hold is taken back
 * into the cache when asked for again, without reloading. Directories are assumed not to change while their adapter
 * is resident ({@link #invalidate} drops one after rewriting its directory).
 *
 * <h2>Failures</h2>
 * A corrupt or mismatched directory fails only the calls that ask for it: {@link AdapterLoadException} naming the
 * adapter, its directory and the file and reason ({@code PeftIO}'s message); a name without a directory fails with
 * {@link UnknownAdapterException}. Failures are remembered against the directory's files (their sizes and times):
 * later calls for the same unchanged directory fail at once with the same message, without reading it again, and a
 * rewritten directory is loaded afresh. A failure is never cached as an adapter.
 *
 * <p>Thread-safe. {@link #close()} evicts everything; the memory of adapters still leased returns when their
 * leases close, and the allocator closes with the last of them.
 */
public final class AdapterCache implements AdapterSource, AutoCloseable {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

    private final BertEncoder encoder;
    private final String baseModel;
    private final AdapterRegistry types;
    private final Path root;
    private final Function<String, Path> directories;
    private final long budget;
    private final Duration waitForRoom;
    private final BufferAllocator allocator;
    private final TensorArena arena;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition roomFreed = lock.newCondition();
    /** Resident adapters, least recently used first (access order). Under {@link #lock}. */
    private final LinkedHashMap<String, Version> resident = new LinkedHashMap<>(16, 0.75f, true);
    /** Evicted adapters that calls still hold, by name. Under {@link #lock}. */
    private final Map<String, Version> evictedInUse = new HashMap<>();
    /** Loads in flight. Under {@link #lock}. */
    private final Map<String, CompletableFuture<Version>> loading = new HashMap<>();
    private final Map<String, Failure> failures = new ConcurrentHashMap<>();
    /** Bytes an attached adapter took, by type and parameter shapes: the next such adapter's size. */
    private final Map<String, Long> learned = new ConcurrentHashMap<>();
    /**
     * One attach at a time: with room made beforehand for an adapter's (known or upper-bound) size, Arrow's limit is
     * never hit, so its accounting never counts even a rejected reservation above the budget.
     */
    private final ReentrantLock attachLock = new ReentrantLock();
    private final AtomicInteger waiting = new AtomicInteger();
    /** Versions attached and not yet freed. Under {@link #lock}. */
    private int attachedVersions;
    private boolean closed;

    private final AtomicLong serials = new AtomicLong();
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong joined = new AtomicLong();
    private final AtomicLong loads = new AtomicLong();
    private final AtomicLong loadFailures = new AtomicLong();
    private final AtomicLong failedRequests = new AtomicLong();
    private final AtomicLong evictions = new AtomicLong();

    private AdapterCache(Builder b) {
        this.encoder = b.encoder;
        this.baseModel = b.baseModel;
        this.types = b.types;
        this.root = b.root;
        this.directories = b.directories != null ? b.directories : root::resolve;
        this.budget = b.budget;
        this.waitForRoom = b.waitForRoom;
        this.allocator = b.parent == null ? new RootAllocator(budget)
                : b.parent.newChildAllocator("adapter-cache", 0, budget);
        try {
            this.arena = TensorArena.over(allocator, "adapter-cache");
        } catch (RuntimeException | Error e) {
            allocator.close();
            throw e;
        }
    }

    /** A builder: a backbone (or encoder), where the directories are, and a budget. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A lease on adapter {@code name}: from memory when it is resident, else loaded from its directory now (or by the
     * call already loading it).
     *
     * @throws UnknownAdapterException when there is no directory for {@code name} (naming the known adapters)
     * @throws AdapterLoadException    when its directory is corrupt or does not fit the backbone
     * @throws CacheFullException      when no room could be made for it within the budget
     */
    @Override
    public AdapterLease acquire(String name) {
        checkName(name);
        boolean counted = false; // one hit or miss per request, however often a lost race makes it look again
        while (true) {
            Failure known = failures.get(name);
            if (known != null) {
                if (known.fingerprint().equals(fingerprint(directories.apply(name)))) {
                    misses.incrementAndGet();
                    failedRequests.incrementAndGet();
                    throw known.error().get();
                }
                failures.remove(name, known); // the directory changed since: try it again
            }
            CompletableFuture<Version> flight;
            boolean loader = false;
            lock.lock();
            try {
                requireOpen();
                Version v = resident.get(name);
                if (v != null && v.tryRetain()) {
                    hits.incrementAndGet();
                    return new AdapterLease(v);
                }
                Version e = evictedInUse.get(name);
                if (e != null && e.tryRetain()) { // still held by a call: take it back, no reload
                    e.tryRetain(); // the cache's own reference again (cannot fail: the call's is held)
                    evictedInUse.remove(name);
                    resident.put(name, e);
                    hits.incrementAndGet();
                    return new AdapterLease(e);
                }
                if (!counted) {
                    misses.incrementAndGet();
                    counted = true;
                }
                flight = loading.get(name);
                if (flight == null) {
                    flight = new CompletableFuture<>();
                    loading.put(name, flight);
                    loader = true;
                } else {
                    joined.incrementAndGet();
                }
            } finally {
                lock.unlock();
            }
            if (loader) {
                return load(name, flight);
            }
            Version v = await(flight);
            if (v.tryRetain()) {
                return new AdapterLease(v);
            }
            // evicted and freed between the load and this call's retain (a budget under pressure): ask again
        }
    }

    /** Leases on {@code names}, taken one after another; all or none. */
    @Override
    public Leases acquireAll(Collection<String> names) {
        Map<String, AdapterLease> taken = new LinkedHashMap<>();
        try {
            for (String name : new LinkedHashSet<>(names)) {
                taken.put(name, acquire(name));
            }
            return new Leases(taken);
        } catch (RuntimeException | Error e) {
            taken.values().forEach(AdapterLease::close);
            throw e;
        }
    }

    private Version await(CompletableFuture<Version> flight) {
        try {
            return flight.join();
        } catch (CompletionException e) {
            failedRequests.incrementAndGet();
            throw e.getCause() instanceof Failed f ? f.error.get() : new IllegalStateException(e.getCause());
        }
    }

    /** Carries a load failure to the calls that waited for it. */
    private static final class Failed extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Supplier<RuntimeException> error;

        Failed(Supplier<RuntimeException> error) {
            super(null, null, false, false);
            this.error = error;
        }
    }

    /** A load that failed, against the state of the files it read. */
    private record Failure(Supplier<RuntimeException> error, List<String> fingerprint) {
    }

    /** Loads {@code name} on this thread, completing {@code flight} for the calls waiting on it; the loader's lease. */
    private AdapterLease load(String name, CompletableFuture<Version> flight) {
        Path dir = null;
        List<String> before = null;
        Version v;
        try {
            loads.incrementAndGet();
            dir = directories.apply(name);
            before = fingerprint(dir);
            v = attach(name, dir);
        } catch (RuntimeException e) {
            loadFailures.incrementAndGet();
            failedRequests.incrementAndGet();
            Supplier<RuntimeException> again = rethrower(name, dir, e);
            if (!(e instanceof CacheFullException) && before != null) { // a full cache is not the directory's fault
                failures.put(name, new Failure(again, before));
            }
            endFlight(name, flight);
            flight.completeExceptionally(new Failed(again));
            throw e instanceof AdapterLoadException || e instanceof UnknownAdapterException
                    || e instanceof CacheFullException ? e : again.get();
        } catch (Error e) {
            loadFailures.incrementAndGet();
            failedRequests.incrementAndGet();
            endFlight(name, flight);
            flight.completeExceptionally(e);
            throw e;
        }
        lock.lock();
        try {
            loading.remove(name, flight);
            if (closed) {
                v.release();
                IllegalStateException e = new IllegalStateException("the adapter cache was closed while '" + name
                        + "' was being loaded");
                flight.completeExceptionally(e);
                throw e;
            }
            v.tryRetain(); // the loader's lease, before any other call can evict it
            resident.put(name, v);
        } finally {
            lock.unlock();
        }
        flight.complete(v);
        return new AdapterLease(v);
    }

    private void endFlight(String name, CompletableFuture<Version> flight) {
        lock.lock();
        try {
            loading.remove(name, flight);
        } finally {
            lock.unlock();
        }
    }

    /** How a load failure is thrown to each call that asks: a fresh exception with the same message. */
    private Supplier<RuntimeException> rethrower(String name, Path dir, Throwable e) {
        if (e instanceof UnknownAdapterException u) {
            String message = u.getMessage();
            return () -> new UnknownAdapterException(name, message);
        }
        if (e instanceof AdapterLoadException || e instanceof CacheFullException) {
            return () -> e instanceof CacheFullException c ? new CacheFullException(c.getMessage())
                    : new AdapterLoadException(name, dir, e.getCause());
        }
        return () -> new AdapterLoadException(name, dir, e);
    }

    /** Reads, checks and attaches the adapter in {@code dir}, within the budget. */
    private Version attach(String name, Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new UnknownAdapterException(name, "(no adapter directory " + dir + ")", knownNames());
        }
        Adapter adapter;
        try {
            adapter = PeftIO.load(dir, types, encoder.sites(), baseModel);
            Adapters.checkFits(encoder.sites(), adapter);
        } catch (IOException | RuntimeException e) {
            throw new AdapterLoadException(name, dir, e);
        }
        String hash = ContentHash.of(adapter);
        String shape = adapter.typeName() + adapter.parameters().stream().map(p -> Arrays.toString(p.shape())).toList();
        // unknown shape: at most twice its floats (hooks copy each parameter once; Arrow rounds a buffer up to a
        // power of two); known: exactly what the last one took
        Long known = learned.get(shape);
        if (known != null && known > budget) {
            throw tooLarge(name, adapter, known);
        }
        long expected = known != null ? known : Math.min(budget, 2 * adapter.parameterCount() * Float.BYTES);
        lock.lock();
        try {
            requireOpen();
            attachedVersions++; // counted while attaching, so that close() leaves the memory open for it
        } finally {
            lock.unlock();
        }
        Adapters attached;
        try {
            attached = attachWithinBudget(name, adapter, expected);
        } catch (RuntimeException | Error e) {
            lock.lock();
            try {
                attachedVersions--;
                if (closed && attachedVersions == 0) {
                    closeMemory();
                }
            } finally {
                lock.unlock();
            }
            throw e;
        }
        learned.put(shape, attached.allocatedBytes());
        return new Version(name, serials.incrementAndGet(), adapter, attached, hash, new Version.Owner() {
            @Override
            public void freed(Version v) {
                AdapterCache.this.freed(v);
            }

            @Override
            public void idle(Version v) {
                if (waiting.get() > 0) {
                    signalRoom();
                }
            }
        });
    }

    private Adapters attachWithinBudget(String name, Adapter adapter, long expected) {
        long deadline = System.nanoTime() + waitForRoom.toNanos();
        try {
            if (!attachLock.tryLock(waitForRoom.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new CacheFullException("no room for adapter '" + name + "' (" + adapter.describe() + ") in the"
                        + " cache's budget of " + budget + " bytes after waiting " + waitForRoom + " behind other loads");
            }
        } catch (InterruptedException x) {
            Thread.currentThread().interrupt();
            throw new CacheFullException("interrupted while waiting to load adapter '" + name + "'");
        }
        try {
            return attachLocked(name, adapter, expected, deadline);
        } finally {
            attachLock.unlock();
        }
    }

    /** The adapter alone does not fit: {@code bytes} is its size, or -1 when only "more than the budget" is known. */
    private CacheFullException tooLarge(String name, Adapter adapter, long bytes) {
        return new CacheFullException("adapter '" + name + "' (" + adapter.describe() + ") needs "
                + (bytes < 0 ? "" : bytes + " bytes, ") + "more than the cache's whole budget of " + budget + " bytes");
    }

    /**
     * Under {@link #attachLock}: makes room for {@code need} bytes (evicting idle adapters, else waiting for in-use
     * ones to come back) and attaches; an attach larger than expected (rejected by Arrow's limit, nothing kept)
     * makes room for half as much again and retries.
     */
    private Adapters attachLocked(String name, Adapter adapter, long expected, long deadline) {
        long need = expected;
        while (true) {
            makeRoom(need);
            if (budget - allocator.getAllocatedMemory() >= need) {
                try {
                    return Adapters.attach(encoder, List.of(adapter), arena);
                } catch (OutOfMemoryException e) {
                    if (need >= budget) { // the whole budget was free and it did not fit
                        throw tooLarge(name, adapter, -1);
                    }
                    need = Math.min(budget, need + Math.max(need / 2, 1));
                    continue;
                }
            }
            lock.lock();
            waiting.incrementAndGet();
            try { // every resident adapter is in use: evict (LRU first) enough of them and wait for their memory
                while (budget - allocator.getAllocatedMemory() < need && !hasIdle()) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new CacheFullException("no room for adapter '" + name + "' (" + adapter.describe()
                                + ") in the cache's budget of " + budget + " bytes after waiting " + waitForRoom + ": "
                                + allocator.getAllocatedMemory() + " bytes are held by " + describeHolders());
                    }
                    evictInUse(need);
                    roomFreed.awaitNanos(left);
                }
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
                throw new CacheFullException("interrupted while waiting for room for adapter '" + name + "'");
            } finally {
                waiting.decrementAndGet();
                lock.unlock();
            }
        }
    }

    /** Evicts idle resident adapters, least recently used first, until {@code need} bytes are free or none is idle. */
    private void makeRoom(long need) {
        lock.lock();
        try {
            Iterator<Version> it = resident.values().iterator();
            while (budget - allocator.getAllocatedMemory() < need && it.hasNext()) {
                Version v = it.next();
                if (v.references() == 1) { // only the cache's own: no call holds it, so releasing frees it now
                    it.remove();
                    evictions.incrementAndGet();
                    v.release();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: evicts in-use adapters (LRU first) until their memory, once returned, would make {@code need} fit. */
    private void evictInUse(long need) {
        long pending = evictedInUse.values().stream().mapToLong(Version::bytes).sum();
        Iterator<Map.Entry<String, Version>> it = resident.entrySet().iterator();
        while (budget - allocator.getAllocatedMemory() + pending < need && it.hasNext()) {
            Map.Entry<String, Version> e = it.next();
            it.remove();
            evictions.incrementAndGet();
            evictedInUse.put(e.getKey(), e.getValue());
            pending += e.getValue().bytes();
            e.getValue().release(); // the cache's reference; the leases keep it until they close
        }
    }

    private boolean hasIdle() {
        return resident.values().stream().anyMatch(v -> v.references() == 1);
    }

    private String describeHolders() {
        long residentBytes = resident.values().stream().mapToLong(Version::bytes).sum();
        long evictedBytes = evictedInUse.values().stream().mapToLong(Version::bytes).sum();
        return resident.size() + " resident adapter(s) in use (" + residentBytes + " bytes), " + evictedInUse.size()
                + " evicted adapter(s) still in use (" + evictedBytes + " bytes)"
                + (loading.size() > 1 ? " and " + (loading.size() - 1) + " other load(s) in flight" : "");
    }

    private void signalRoom() {
        lock.lock();
        try {
            roomFreed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void freed(Version v) {
        lock.lock();
        try {
            attachedVersions--;
            evictedInUse.remove(v.name(), v);
            roomFreed.signalAll();
            if (closed && attachedVersions == 0) {
                closeMemory();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Drops {@code name} from memory (and forgets a failure to load it), e.g. after its directory was rewritten; calls
     * holding it keep it until they end. The next call loads the directory again.
     *
     * @return whether it was resident
     */
    public boolean invalidate(String name) {
        failures.remove(name);
        Version v;
        lock.lock();
        try {
            v = resident.remove(name);
            if (v != null) {
                evictions.incrementAndGet(); // not kept for taking back: the next call must read the directory
            }
        } finally {
            lock.unlock();
        }
        if (v != null) {
            v.release();
        }
        return v != null;
    }

    /** The state of {@code name}'s directory and files: a load failure holds while this stays the same. */
    private static List<String> fingerprint(Path dir) {
        List<String> out = new ArrayList<>(3);
        for (Path p : List.of(dir, dir.resolve(PeftIO.CONFIG_FILE), dir.resolve(PeftIO.WEIGHTS_FILE))) {
            try {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                out.add(a.size() + "@" + a.lastModifiedTime().toMillis() + "#" + a.fileKey());
            } catch (NoSuchFileException e) {
                out.add("absent");
            } catch (IOException e) {
                out.add("unreadable: " + e.getMessage());
            }
        }
        return out;
    }

    /** For messages: the adapter directories under the root (or the resident names when directories are computed). */
    private List<String> knownNames() {
        if (root == null) {
            lock.lock();
            try {
                return List.copyOf(resident.keySet());
            } finally {
                lock.unlock();
            }
        }
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(PeftIO::isSaved).map(p -> p.getFileName().toString()).filter(n -> NAME.matcher(n).matches())
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the adapter directories in " + root, e);
        }
    }

    private void checkName(String name) {
        Objects.requireNonNull(name, "name");
        if (root != null && !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("adapter name '" + name + "' must start with a letter or digit and contain"
                    + " only letters, digits, '_', '-', '.' (it names a directory under " + root + ")");
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the adapter cache is closed");
        }
    }

    /** The budget, in bytes of Arrow memory. */
    public long budgetBytes() {
        return budget;
    }

    /** Bytes held now (see the class comment): never above {@link #budgetBytes()}. */
    public long heldBytes() {
        return allocator.getAllocatedMemory();
    }

    /** Names resident now, least recently used first. */
    public List<String> residentNames() {
        lock.lock();
        try {
            return List.copyOf(resident.keySet());
        } finally {
            lock.unlock();
        }
    }

    /** Counters and memory, at one moment. */
    public Stats stats() {
        lock.lock();
        try {
            return new Stats(budget, allocator.getAllocatedMemory(), allocator.getPeakMemoryAllocation(), resident.size(),
                    resident.values().stream().mapToLong(Version::bytes).sum(), evictedInUse.size(),
                    evictedInUse.values().stream().mapToLong(Version::bytes).sum(), hits.get(), misses.get(), joined.get(),
                    loads.get(), loadFailures.get(), failedRequests.get(), evictions.get());
        } finally {
            lock.unlock();
        }
    }

    /**
     * An {@link AdapterCache}'s figures.
     *
     * @param budgetBytes       the budget
     * @param heldBytes         Arrow bytes held now: resident + evicted still in use + attaching (≤ budget)
     * @param peakHeldBytes     the most ever held (Arrow's peak for the cache's allocator; ≤ budget)
     * @param resident          adapters in memory for later calls
     * @param residentBytes     their bytes
     * @param evictedInUse      evicted adapters that calls still hold
     * @param evictedInUseBytes their bytes (returned when their last lease closes)
     * @param hits              requests served from memory
     * @param misses            requests that found the adapter not in memory (loaded it, waited for a load, or failed
     *                          on a remembered failure)
     * @param joined            misses that waited for another call's load instead of loading (single flight)
     * @param loads             directories read and attached (successful or not)
     * @param loadFailures      loads that failed
     * @param failedRequests    requests that threw (including those repeating a remembered failure)
     * @param evictions         adapters evicted (to make room, or by {@link #invalidate})
     */
    public record Stats(long budgetBytes, long heldBytes, long peakHeldBytes, int resident, long residentBytes,
                        int evictedInUse, long evictedInUseBytes, long hits, long misses, long joined, long loads,
                        long loadFailures, long failedRequests, long evictions) {

        /** hits / (hits + misses), or 0 before any request. */
        public double hitRate() {
            long all = hits + misses;
            return all == 0 ? 0 : (double) hits / all;
        }
    }

    /**
     * Evicts every adapter and refuses further calls. Leases still open keep working; the cache's memory is released
     * when the last of them closes (at once when none is open).
     */
    @Override
    public void close() {
        List<Version> out;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            out = new ArrayList<>(resident.values());
            resident.clear();
            failures.clear();
            if (attachedVersions == 0) {
                closeMemory();
            }
            roomFreed.signalAll();
        } finally {
            lock.unlock();
        }
        out.forEach(Version::release);
    }

    private void closeMemory() {
        try {
            arena.close();
        } finally {
            allocator.close();
        }
    }

    @Override
    public String toString() {
        Stats s = stats();
        return "AdapterCache(" + s.resident() + " resident, " + s.heldBytes() + " of " + s.budgetBytes() + " bytes held)";
    }

    /** Collects the cache's settings; {@link #build()} checks them. */
    public static final class Builder {
        private BertEncoder encoder;
        private String baseModel;
        private AdapterRegistry types = AdapterTypes.registry();
        private Path root;
        private Function<String, Path> directories;
        private long budget = -1;
        private Duration waitForRoom = Duration.ofSeconds(30);
        private BufferAllocator parent;

        private Builder() {
        }

        /** The shared backbone: its encoder, and its name, which each directory's base model must match. */
        public Builder backbone(BertBackbone backbone) {
            return encoder(backbone.encoder(), BackboneInfo.of(backbone).name());
        }

        /**
         * The encoder adapters attach to, and the name a directory's {@code base_model_name_or_path} must match (null
         * to skip that check).
         */
        public Builder encoder(BertEncoder encoder, String baseModel) {
            this.encoder = Objects.requireNonNull(encoder, "encoder");
            this.baseModel = baseModel;
            return this;
        }

        /** Adapter {@code name} is the PEFT directory {@code root/name}. */
        public Builder root(Path root) {
            this.root = Objects.requireNonNull(root, "root");
            this.directories = null;
            return this;
        }

        /** Adapter {@code name} is the PEFT directory {@code directories.apply(name)} (a tenant table, say). */
        public Builder directories(Function<String, Path> directories) {
            this.directories = Objects.requireNonNull(directories, "directories");
            this.root = null;
            return this;
        }

        /** The most Arrow memory the cache's adapters may hold at once, in bytes. */
        public Builder budgetBytes(long bytes) {
            this.budget = bytes;
            return this;
        }

        /** The adapter types directories are read with (default: Graft's built-in ones). */
        public Builder types(AdapterRegistry types) {
            this.types = Objects.requireNonNull(types, "types");
            return this;
        }

        /** How long a load waits for calls to give memory back when the budget is full of adapters in use (30 s). */
        public Builder waitForRoom(Duration wait) {
            if (wait.isNegative()) {
                throw new IllegalArgumentException("waitForRoom must not be negative, was " + wait);
            }
            this.waitForRoom = wait;
            return this;
        }

        /** Accounts the cache's memory in a child of {@code parent} (default: an allocator of its own). */
        public Builder allocator(BufferAllocator parent) {
            this.parent = Objects.requireNonNull(parent, "parent");
            return this;
        }

        public AdapterCache build() {
            List<String> problems = new ArrayList<>();
            if (encoder == null) {
                problems.add("no backbone or encoder set");
            }
            if (root == null && directories == null) {
                problems.add("no root directory or directory function set");
            }
            if (budget <= 0) {
                problems.add(budget < 0 ? "no budget set (budgetBytes)" : "budgetBytes must be > 0, was 0");
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException("cannot build the adapter cache: " + String.join("; ", problems));
            }
            return new AdapterCache(this);
        }
    }
}
