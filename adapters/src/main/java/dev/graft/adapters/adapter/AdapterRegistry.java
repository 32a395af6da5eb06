package dev.graft.adapters.adapter;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The adapter types a process knows, by {@code peft_type}; rejects two types claiming one name. Immutable. */
public final class AdapterRegistry {
    private final Map<String, AdapterType> byPeftType;

    private AdapterRegistry(Map<String, AdapterType> byPeftType) {
        this.byPeftType = byPeftType;
    }

    public static AdapterRegistry of(Collection<? extends AdapterType> types) {
        Map<String, AdapterType> m = new LinkedHashMap<>();
        for (AdapterType t : types) {
            AdapterType previous = m.putIfAbsent(t.peftType(), t);
            if (previous != null) {
                throw new IllegalArgumentException("two adapter types read peft_type '" + t.peftType() + "': "
                        + previous.getClass().getName() + " and " + t.getClass().getName());
            }
        }
        return new AdapterRegistry(Map.copyOf(m));
    }

    public Optional<AdapterType> find(String peftType) {
        return Optional.ofNullable(peftType == null ? null : byPeftType.get(peftType));
    }

    /** Known {@code peft_type}s, sorted. */
    public List<String> peftTypes() {
        return byPeftType.keySet().stream().sorted().toList();
    }
}
