package dev.graft.adapters;

import dev.graft.adapters.adapter.AdapterRegistry;
import dev.graft.adapters.adapter.AdapterType;
import dev.graft.adapters.bottleneck.BottleneckType;
import dev.graft.adapters.ia3.Ia3Type;
import dev.graft.adapters.lora.LoraType;
import java.util.List;

/** Graft's own adapter types, one package each. A new built-in type is one new package plus one line here. */
public final class AdapterTypes {
    private AdapterTypes() {
    }

    /** lora (LORA), ia3 (IA3), bottleneck (GRAFT_BOTTLENECK). */
    public static List<AdapterType> builtIn() {
        return List.of(new LoraType(), new Ia3Type(), new BottleneckType());
    }

    /** A registry of the built-in types. */
    public static AdapterRegistry registry() {
        return AdapterRegistry.of(builtIn());
    }
}
