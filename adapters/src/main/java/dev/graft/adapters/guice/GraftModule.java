package dev.graft.adapters.guice;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.inject.AbstractModule;
import com.google.inject.Binder;
import com.google.inject.Inject;
import com.google.inject.Provider;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.TypeLiteral;
import com.google.inject.multibindings.Multibinder;
import com.google.inject.name.Names;
import dev.graft.adapters.AdapterTypes;
import dev.graft.adapters.HeadTypes;
import dev.graft.adapters.adapter.AdaptedHead;
import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.HeadIO;
import dev.graft.adapters.head.HeadRegistry;
import dev.graft.adapters.head.HeadType;
import dev.graft.adapters.head.Json;
import dev.graft.backbones.BackboneRegistry;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.core.kernels.Kernels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Graft for a Guice application. Binds, as singletons: the {@link Kernels} (one compute pool for the process), the
 * {@link BackboneRegistry} (each backbone opened once, shared), the {@link HeadRegistry} built from a
 * {@code Set<HeadType<?>>} multibinder holding Graft's head types — add your own with
 * {@link #headTypes(Binder)}{@code .addBinding().to(MyHeadType.class)} from any module — and every named
 * {@link ComposedModel}, injectable as {@code @Named("support") ComposedModel}.
 *
 * <pre>{@code
 * Injector injector = Guice.createInjector(GraftModule.builder()
 *         .threads(2)
 *         .savedModel("support", Path.of("models/support"))
 *         .build());
 * ComposedModel support = injector.getInstance(Key.get(ComposedModel.class, Names.named("support")));
 * }</pre>
 *
 * <p>Guice has no shutdown hook: close the {@link BackboneRegistry} (it closes the backbones) and the kernels when
 * the application stops.
 */
public final class GraftModule extends AbstractModule {
    private final int threads;
    private final int maxLength;
    private final Map<String, ModelRecipe> models;

    private GraftModule(Builder b) {
        this.threads = b.threads;
        this.maxLength = b.maxLength;
        this.models = Map.copyOf(b.models);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The head-type multibinder: {@code headTypes(binder()).addBinding().to(MyHeadType.class)}. */
    public static Multibinder<HeadType<?>> headTypes(Binder binder) {
        return Multibinder.newSetBinder(binder, new TypeLiteral<HeadType<?>>() { });
    }

    @Override
    protected void configure() {
        Multibinder<HeadType<?>> types = headTypes(binder());
        for (HeadType<?> t : HeadTypes.builtIn()) {
            types.addBinding().toInstance(t);
        }
        models.forEach((name, recipe) -> bind(ComposedModel.class).annotatedWith(Names.named(name))
                .toProvider(new ModelProvider(name, recipe)).in(Singleton.class));
    }

    @Provides
    @Singleton
    Kernels kernels() {
        return Kernels.create(threads);
    }

    @Provides
    @Singleton
    BackboneRegistry backbones(Kernels kernels) {
        return new BackboneRegistry(kernels, maxLength);
    }

    @Provides
    @Singleton
    HeadRegistry headRegistry(Set<HeadType<?>> types) {
        return HeadRegistry.of(types);
    }

    /** Makes one named model, once, from the injector's registries. */
    private static final class ModelProvider implements Provider<ComposedModel> {
        private final String name;
        private final ModelRecipe recipe;
        @Inject
        private BackboneRegistry backbones;
        @Inject
        private HeadRegistry headTypes;

        ModelProvider(String name, ModelRecipe recipe) {
            this.name = name;
            this.recipe = recipe;
        }

        @Override
        public ComposedModel get() {
            try {
                return recipe.create(backbones, headTypes);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot make composed model '" + name + "': " + e.getMessage(), e);
            }
        }
    }

    /** Settings and named models. */
    public static final class Builder {
        private int threads = Runtime.getRuntime().availableProcessors();
        private int maxLength;
        private final Map<String, ModelRecipe> models = new LinkedHashMap<>();

        private Builder() {
        }

        /** Compute threads of the shared kernels. Default: all processors. */
        public Builder threads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be ≥ 1, got " + threads);
            }
            this.threads = threads;
            return this;
        }

        /** Token limit per input for every backbone (0: each model's own). */
        public Builder maxLength(int maxLength) {
            this.maxLength = maxLength;
            return this;
        }

        /** A model made by {@code recipe}, bound as {@code @Named(name) ComposedModel}. */
        public Builder model(String name, ModelRecipe recipe) {
            Objects.requireNonNull(recipe, "recipe");
            if (models.putIfAbsent(Objects.requireNonNull(name, "name"), recipe) != null) {
                throw new IllegalArgumentException("composed model '" + name + "' is bound twice");
            }
            return this;
        }

        /**
         * A model saved with {@link ComposedModel#save}, on the backbone named in its provenance, with the adapters
         * saved beside its heads.
         */
        public Builder savedModel(String name, Path dir) {
            return model(name, (backbones, types) -> {
                JsonNode root = Json.mapper().readTree(dir.resolve("model.json").toFile());
                String backbone = root.path("provenance").path("backbone").path("name").asText();
                return ComposedModel.load(dir, backbones.get(backbone), types);
            });
        }

        /**
         * A model of saved heads ({@code name → head directory}) on the backbone they were trained on; a head saved
         * with its adapter ({@link AdaptedHead}) reads the backbone through it (Graft's built-in adapter types).
         */
        public Builder headsModel(String name, Map<String, Path> headDirs) {
            Map<String, Path> dirs = new LinkedHashMap<>(headDirs);
            return model(name, (backbones, types) -> {
                ComposedModel.Builder b = ComposedModel.builder();
                BertBackbone backbone = null;
                for (Map.Entry<String, Path> e : dirs.entrySet()) {
                    HeadIO.Loaded head = HeadIO.load(e.getValue(), types);
                    if (backbone == null) {
                        backbone = backbones.get(head.head().backbone().name());
                        b.backbone(backbone);
                    }
                    HeadIO.checkFits(e.getValue().toString(), head.head(), BackboneInfo.of(backbone));
                    b.head(e.getKey(), head.head(), AdaptedHead.loadAdapter(e.getValue(), head, AdapterTypes.registry(), backbone));
                }
                return b.build();
            });
        }

        public GraftModule build() {
            return new GraftModule(this);
        }
    }
}
