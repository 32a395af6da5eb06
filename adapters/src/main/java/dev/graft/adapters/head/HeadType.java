package dev.graft.adapters.head;

/**
 * A kind of head: its name (as written in {@code head_config.json}), its config record, and how to build a
 * freshly initialised head from a config. Graft's own types live one package each
 * ({@code dev.graft.adapters.classification}, …); a user's type implements this interface and is registered in
 * a {@link HeadRegistry} (with Guice: added to the {@code HeadType} multibinder).
 *
 * @param <C> the config record
 */
public interface HeadType<C extends HeadConfig> {

    /** Lower-case registry name, unique in a registry. */
    String name();

    Class<C> configClass();

    /**
     * A new head for {@code backbone}, parameters initialised from {@code seed}.
     *
     * @throws IllegalArgumentException when the config does not fit the backbone (a layer it does not have, …)
     */
    Head create(C config, BackboneInfo backbone, long seed);

    /** {@link #create} for a config whose type was checked at run time. */
    default Head createFrom(HeadConfig config, BackboneInfo backbone, long seed) {
        if (!configClass().isInstance(config)) {
            throw new IllegalArgumentException("head type " + name() + " needs a " + configClass().getSimpleName()
                    + ", got " + config.getClass().getSimpleName());
        }
        return create(configClass().cast(config), backbone, seed);
    }
}
