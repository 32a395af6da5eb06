package dev.graft.adapters.live;

import dev.graft.adapters.adapter.Adapter;
import dev.graft.backbones.sites.SiteHooks;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One call's hold on one version of a named adapter, from {@link LiveAdapters} or {@link AdapterCache}: the hooks
 * stay valid (and unchanged) until {@link #close()}, whatever replaces, removes or evicts the adapter meanwhile.
 * Acquire it once when the call starts, pass {@link #hooks()} into every forward pass of the call, close it when the
 * call ends (try-with-resources). The last lease on a replaced, removed or evicted version releases its Arrow
 * memory. Closing twice is harmless; using {@link #hooks()} after closing throws. Not meant to be shared beyond the
 * call, but safe to read from the threads the call uses.
 */
public final class AdapterLease implements AutoCloseable {
    private final Version version;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** Wraps a reference already taken on {@code version}. */
    AdapterLease(Version version) {
        this.version = version;
    }

    /** The name the adapter was registered or requested under. */
    public String name() {
        return version.name();
    }

    /** The adapter (its parameters as they were when this version was attached; do not change them). */
    public Adapter adapter() {
        return version.adapter();
    }

    /**
     * The hooks to pass into {@code BertEncoder.encode(batch, arena, keepAllLayers, hooks)}.
     *
     * @throws IllegalStateException once the lease is closed
     */
    public SiteHooks hooks() {
        if (closed.get()) {
            throw new IllegalStateException("the lease on adapter " + version + " is closed");
        }
        return version.attached().hooks();
    }

    /**
     * SHA-256 (hex) of the adapter's content: its PEFT config and every parameter's name, shape and values
     * ({@link ContentHash}). Equal content gives an equal hash, whether it came from memory or from a directory.
     */
    public String sha256() {
        return version.sha256();
    }

    /** Arrow bytes this version's hooks hold (released when its last lease closes after it was retired). */
    public long bytes() {
        return version.bytes();
    }

    /**
     * The version's serial number: in a {@link LiveAdapters} registry, 1 for the first adapter put under any name and
     * one more for each put after it; in an {@link AdapterCache}, one more for each load.
     */
    public long version() {
        return version.serial();
    }

    boolean isClosed() {
        return closed.get();
    }

    Version handle() {
        return version;
    }

    /** Gives the version back; the last lease on a retired version frees its memory. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            version.release();
        }
    }

    @Override
    public String toString() {
        return "lease on " + version + (closed.get() ? " (closed)" : "");
    }
}
