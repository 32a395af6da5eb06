package dev.graft.backbones.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The embedded models' files, read from the langchain4j model jars on the test classpath, and the shared data sets
 * under {@code graft.shared.dir}.
 */
public final class ModelResources {
    public static final String MINILM_TOKENIZER = "/all-minilm-l6-v2-tokenizer.json";
    public static final String BGE_TOKENIZER = "/bge-small-en-v1.5-tokenizer.json";
    public static final String E5_TOKENIZER = "/e5-small-v2-tokenizer.json";
    public static final String MINILM_ONNX = "/all-minilm-l6-v2.onnx";

    /** All three models: BERT uncased vocabulary, 512 positions. */
    public static final int VOCAB_SIZE = 30_522;
    public static final int MAX_POSITIONS = 512;

    private ModelResources() {
    }

    /** The bytes of a classpath resource; fails with the resource name if it is missing. */
    public static byte[] bytes(String resource) {
        try (InputStream in = open(resource)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + resource, e);
        }
    }

    /** Copies a classpath resource into {@code dir} under its own file name. */
    public static Path extract(String resource, Path dir) {
        Path target = dir.resolve(resource.substring(resource.lastIndexOf('/') + 1));
        try (InputStream in = open(resource)) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract resource " + resource, e);
        }
    }

    /** A file under the shared directory ({@code graft.shared.dir}, set by surefire), which must exist. */
    public static Path shared(String relative) {
        String dir = System.getProperty("graft.shared.dir");
        if (dir == null) {
            throw new IllegalStateException("system property graft.shared.dir is not set (surefire sets it)");
        }
        Path p = Path.of(dir).resolve(relative);
        if (!Files.exists(p)) {
            throw new IllegalStateException(p + " does not exist (graft.shared.dir=" + dir + ")");
        }
        return p;
    }

    private static InputStream open(String resource) {
        InputStream in = ModelResources.class.getResourceAsStream(resource);
        if (in == null) {
            throw new IllegalStateException("resource " + resource + " is not on the test classpath");
        }
        return in;
    }
}
