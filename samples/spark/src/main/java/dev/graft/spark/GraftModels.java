package dev.graft.spark;

import dev.graft.adapters.AdapterTypes;
import dev.graft.adapters.HeadTypes;
import dev.graft.adapters.adapter.AdaptedHead;
import dev.graft.adapters.compose.ComposedModel;
import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.spark.SparkFiles;

/**
 * The models of this JVM (a Spark executor, or the driver in local mode): one backbone per model and settings, and
 * one composed model per saved directory on it, opened by the first task that needs it and shared by every later
 * task and every concurrently running partition (both are thread-safe). They stay open while the JVM runs — a
 * Spark executor runs many jobs — and a shutdown hook closes them when it exits.
 *
 * <p>{@link #backbonesOpened()} and {@link #modelsOpened()} count how many were ever opened in this JVM, so a test
 * (or a user's monitoring) sees that tasks share them instead of reopening them.
 */
public final class GraftModels {
    /** A backbone: the embedded model's name or a model directory, its token limit (0: the model's) and GEMM threads. */
    public record BackboneKey(String model, int maxLength, int threads) implements java.io.Serializable {
    }

    /** A composed model (or a single saved head) at {@code dir}, on the backbone {@code backbone}. */
    public record ModelKey(String dir, BackboneKey backbone) implements java.io.Serializable {
    }

    private static final ConcurrentHashMap<BackboneKey, BertBackbone> BACKBONES = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<ModelKey, ComposedModel> MODELS = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<BackboneKey, ReentrantLock> GATES = new ConcurrentHashMap<>();
    private static final AtomicInteger BACKBONES_OPENED = new AtomicInteger();
    private static final AtomicInteger MODELS_OPENED = new AtomicInteger();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(GraftModels::closeAll, "graft-spark-close-models"));
    }

    private GraftModels() {
    }

    /** The backbone for {@code key}, opened on first use in this JVM. */
    public static BertBackbone backbone(BackboneKey key) {
        return BACKBONES.computeIfAbsent(key, k -> {
            try {
                BertBackbone.Builder b = Backbones.builder(resolveModel(k.model())).optThreads(k.threads());
                if (k.maxLength() > 0) {
                    b.optMaxLength(k.maxLength());
                }
                BertBackbone opened = b.build();
                BACKBONES_OPENED.incrementAndGet();
                return opened;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open the backbone '" + k.model() + "'", e);
            }
        });
    }

    /**
     * The composed model saved at {@code key.dir()} ({@code model.json}), or a one-head model of the head saved
     * there ({@code head_config.json}, with its adapter if one was saved beside it; the head is named after the
     * directory), on the backbone {@code key.backbone()}; opened on first use in this JVM.
     */
    public static ComposedModel model(ModelKey key) {
        return MODELS.computeIfAbsent(key, k -> {
            BertBackbone backbone = backbone(k.backbone());
            try {
                Path dir = resolveDirectory(k.dir());
                ComposedModel m;
                if (Files.isRegularFile(dir.resolve("model.json"))) {
                    m = ComposedModel.load(dir, backbone, HeadTypes.registry(), AdapterTypes.registry());
                } else {
                    AdaptedHead.Loaded h = AdaptedHead.load(dir, HeadTypes.registry(), AdapterTypes.registry(), backbone);
                    m = ComposedModel.builder().backbone(backbone).head(headName(dir), h.head(), h.adapter()).build();
                }
                MODELS_OPENED.incrementAndGet();
                return m;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load the model at '" + k.dir() + "'", e);
            }
        });
    }

    /**
     * The gate of a backbone with several GEMM threads: a batch holds it while it runs, so that the tasks of an
     * executor take turns at running one batch on all of the backbone's threads (the fastest way on one machine)
     * instead of running several batches at once on more threads than there are cores. A backbone with one thread
     * needs none: each task then runs its own batches on its own core.
     */
    static ReentrantLock gate(BackboneKey key) {
        return GATES.computeIfAbsent(key, k -> new ReentrantLock(true));
    }

    /** How many backbones this JVM has opened since it started. */
    public static int backbonesOpened() {
        return BACKBONES_OPENED.get();
    }

    /** How many composed models this JVM has loaded since it started. */
    public static int modelsOpened() {
        return MODELS_OPENED.get();
    }

    /**
     * An embedded model's name as it is; a path that exists here, absolute; otherwise the file of that name among
     * those added with {@code SparkContext.addFile} ({@link SparkFiles#get}) if it is there, else the path as given
     * (the backbone loader then says what is missing).
     */
    static String resolveModel(String model) {
        if (dev.graft.backbones.models.EmbeddedModels.names().contains(model)) {
            return model;
        }
        Path p = Path.of(model);
        if (Files.exists(p)) {
            return p.toAbsolutePath().toString();
        }
        Path shipped = shipped(p);
        return shipped != null ? shipped.toString() : model;
    }

    /** A directory that exists here, or the one of that name added with {@code SparkContext.addFile}. */
    static Path resolveDirectory(String dir) throws NoSuchFileException {
        Path p = Path.of(dir);
        if (Files.isDirectory(p)) {
            return p.toAbsolutePath();
        }
        Path shipped = shipped(p);
        if (shipped != null && Files.isDirectory(shipped)) {
            return shipped;
        }
        throw new NoSuchFileException(dir, null, "no such directory on this executor, nor among the files added with"
                + " SparkContext.addFile(path, recursive = true)" + (shipped != null ? " (looked at " + shipped + ")" : ""));
    }

    private static Path shipped(Path p) {
        if (p.getFileName() == null) {
            return null;
        }
        try {
            Path s = Path.of(SparkFiles.get(p.getFileName().toString()));
            return Files.exists(s) ? s : null;
        } catch (RuntimeException e) { // no SparkEnv in this JVM (no Spark job running): nothing was shipped
            return null;
        }
    }

    /** Closes the composed models, then the backbones (the JVM is exiting; nothing may use them any more). */
    static void closeAll() {
        List<RuntimeException> failures = new ArrayList<>();
        for (ComposedModel m : MODELS.values()) {
            try {
                m.close();
            } catch (RuntimeException e) { // a task still running at exit: its memory goes with the process
                failures.add(e);
            }
        }
        MODELS.clear();
        for (BertBackbone b : BACKBONES.values()) {
            try {
                b.close();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        BACKBONES.clear();
        for (RuntimeException e : failures) {
            System.err.println("graft-spark: at exit, " + e.getMessage());
        }
    }

    /** The name of the one head of a model loaded from a saved head: the directory's name, as a head name. */
    static String headName(Path dir) {
        Path name = dir.getFileName();
        String s = name == null ? "" : name.toString().replaceAll("[^A-Za-z0-9_.-]", "_");
        return s.isEmpty() ? "head" : s;
    }
}
