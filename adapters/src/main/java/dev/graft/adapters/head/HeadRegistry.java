package dev.graft.adapters.head;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The head types a process knows, by name: how {@code head_config.json}'s {@code "type"} becomes a head. Immutable.
 * {@code dev.graft.adapters.HeadTypes.registry()} has Graft's four; the Guice module builds one from the {@code HeadType} multibinder so a
 * user's own type plugs in beside them.
 */
public final class HeadRegistry {
    private final Map<String, HeadType<?>> types;

    private HeadRegistry(Map<String, HeadType<?>> types) {
        this.types = types;
    }

    /** A registry of exactly these types; names must be unique. */
    public static HeadRegistry of(Collection<? extends HeadType<?>> types) {
        Map<String, HeadType<?>> byName = new LinkedHashMap<>();
        for (HeadType<?> t : types) {
            String name = t.name();
            if (name == null || !name.matches("[a-z][a-z0-9_-]*")) {
                throw new IllegalArgumentException("head type name '" + name + "' of " + t.getClass().getName()
                        + " must be lower-case letters, digits, '-' or '_'");
            }
            HeadType<?> previous = byName.putIfAbsent(name, t);
            if (previous != null && previous.getClass() != t.getClass()) {
                throw new IllegalArgumentException("two head types are named '" + name + "': "
                        + previous.getClass().getName() + " and " + t.getClass().getName());
            }
        }
        return new HeadRegistry(Map.copyOf(byName));
    }

    /** This registry plus {@code more}. */
    public HeadRegistry with(Collection<? extends HeadType<?>> more) {
        List<HeadType<?>> all = new java.util.ArrayList<>(types.values());
        all.addAll(more);
        return of(all);
    }

    public Optional<HeadType<?>> find(String name) {
        return name == null ? Optional.empty() : Optional.ofNullable(types.get(name.toLowerCase(Locale.ROOT)));
    }

    /** The type called {@code name}, or an exception listing the known ones. */
    public HeadType<?> get(String name) {
        return find(name).orElseThrow(() -> new IllegalArgumentException(
                "unknown head type '" + name + "' (known: " + String.join(", ", names()) + ")"));
    }

    public List<String> names() {
        return types.keySet().stream().sorted().toList();
    }

    @Override
    public String toString() {
        return "HeadRegistry" + names();
    }
}
