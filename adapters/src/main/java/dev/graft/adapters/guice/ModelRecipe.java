package dev.graft.adapters.guice;

import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.head.HeadRegistry;
import dev.graft.backbones.BackboneRegistry;
import java.io.IOException;

/** How a named composed model is made from the injector's shared backbones and head types. */
@FunctionalInterface
public interface ModelRecipe {
    ComposedModel create(BackboneRegistry backbones, HeadRegistry headTypes) throws IOException;
}
