package dev.graft.adapters.live;

import java.util.Collection;

/** Where a call gets the adapters it uses: {@link LiveAdapters} (a registry) or {@link AdapterCache} (from disk). */
public interface AdapterSource {

    /**
     * A lease on the version of {@code name} that is current now; it stays valid until closed.
     *
     * @throws UnknownAdapterException naming {@code name} and the known ones
     */
    AdapterLease acquire(String name);

    /**
     * Leases on every adapter of {@code names} (repeats taken once), for one call: all or none — when one cannot be
     * had, those already taken are given back and the error is thrown.
     */
    Leases acquireAll(Collection<String> names);
}
