package dev.graft.adapters.live;

import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.adapter.Adapters;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One attached version of a named adapter: its hooks in Arrow memory, reference-counted. The owner (a
 * {@link LiveAdapters} registry while the version is current, an {@link AdapterCache} while it is resident) holds
 * one reference and each open {@link AdapterLease} one more; the memory is released exactly once, by whichever
 * {@link #release()} takes the count to zero. A count that reached zero never rises again ({@link #tryRetain()}
 * fails), so a lease can never be handed out on released memory.
 */
final class Version {
    private final String name;
    private final long serial;
    private final Adapter adapter;
    private final Adapters attached;
    private final String sha256;
    private final long bytes;
    private final Owner owner;
    /** The owner's reference plus one per open lease; 0 = released (terminal). */
    private final AtomicInteger refs = new AtomicInteger(1);

    /** What the owner of versions hears. */
    interface Owner {
        /** The version's memory was released (on the thread of the last {@link #release()}). */
        void freed(Version v);

        /** Only the owner's reference is left: no lease holds the version now. */
        default void idle(Version v) {
        }
    }

    Version(String name, long serial, Adapter adapter, Adapters attached, String sha256, Owner owner) {
        this.name = name;
        this.serial = serial;
        this.adapter = adapter;
        this.attached = attached;
        this.sha256 = sha256;
        this.bytes = attached.allocatedBytes();
        this.owner = owner;
    }

    /** Takes a reference unless the version was already released; true when it did. */
    boolean tryRetain() {
        while (true) {
            int r = refs.get();
            if (r == 0) {
                return false;
            }
            if (refs.compareAndSet(r, r + 1)) {
                return true;
            }
        }
    }

    /** Gives a reference back; the last one releases the hooks' memory and tells the owner. */
    void release() {
        int r = refs.decrementAndGet();
        if (r == 0) {
            try {
                attached.close();
            } finally {
                owner.freed(this);
            }
        } else if (r == 1) {
            owner.idle(this);
        } else if (r < 0) {
            throw new IllegalStateException("adapter '" + name + "' version " + serial + " released more often than retained");
        }
    }

    /** References held now (owner + leases); 0 once released. */
    int references() {
        return refs.get();
    }

    String name() {
        return name;
    }

    long serial() {
        return serial;
    }

    Adapter adapter() {
        return adapter;
    }

    Adapters attached() {
        return attached;
    }

    String sha256() {
        return sha256;
    }

    long bytes() {
        return bytes;
    }

    @Override
    public String toString() {
        return "'" + name + "' v" + serial + " (" + adapter.describe() + ", " + bytes + " bytes, sha256 "
                + sha256.substring(0, 12) + "…)";
    }
}
