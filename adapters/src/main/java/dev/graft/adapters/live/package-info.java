/**
 * Adapters that change while a service runs. {@link dev.graft.adapters.live.LiveAdapters} is a registry of named
 * adapters a running service adds, replaces and removes while calls are in flight;
 * {@link dev.graft.adapters.live.AdapterCache} keeps many adapters stored as PEFT directories in memory within a byte
 * budget (least recently used out, loaded on first use, one load per adapter however many calls ask at once). Both
 * hand out {@link dev.graft.adapters.live.AdapterLease}s: a call takes the versions it uses once, when it starts, and
 * keeps them, unchanged, until it ends; a replaced, removed or evicted version's Arrow memory is released when its
 * last lease closes (reference counting). {@link dev.graft.adapters.live.Leases} holds one call's leases and runs a
 * batch whose rows use different adapters. Depends on {@code adapter} (attaching, {@code PeftIO}) and on the
 * backbone's sites.
 */
package dev.graft.adapters.live;
