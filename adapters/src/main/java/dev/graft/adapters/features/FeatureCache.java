package dev.graft.adapters.features;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.adapters.compose.BackbonePass;
import dev.graft.adapters.compose.Inputs;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.FeatureKind;
import dev.graft.adapters.head.FeatureRows;
import dev.graft.adapters.head.Json;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.core.Graft;
import dev.graft.core.fs.AtomicFiles;
import dev.graft.core.tensor.TensorArena;
import dev.graft.core.tensor.TensorColumns;
import dev.graft.core.tensor.TensorFileWriter;
import dev.graft.core.tensor.DType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.stream.IntStream;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Frozen backbone features, computed once and kept on disk as Arrow IPC files (see {@link FeatureFile} for the
 * layout), so training a head iterates over mapped memory instead of re-running the backbone — and a second
 * training run on the same data and backbone skips the backbone altogether.
 *
 * <p>A file's name is a SHA-256 over everything its content depends on: the backbone's weights hash and token
 * limit, the feature kind (pooling, layers), and every input text or word in order. A sidecar
 * {@code <key>.json} describes it and is written last, so a file without its sidecar (an interrupted extraction)
 * is never used. A file being written is a hidden temporary file ({@link dev.graft.core.fs.TempFiles}) until it
 * is complete: deleted when the JVM ends first (Ctrl-C), or by the next run if the JVM was killed.
 *
 * <p>Non-finite features are never cached: when the backbone gives an input NaN or infinite features, extraction
 * stops with a {@link NonFiniteFeaturesException} naming the input, and nothing is written. An entry written by an
 * older version that holds them is extracted again (and then refused the same way).
 */
public final class FeatureCache {
    private final Path dir;

    public FeatureCache(Path dir) {
        this.dir = dir;
    }

    /** {@code $graft.cache.dir/features}, or {@code ~/.cache/graft/features}. */
    public static FeatureCache defaultCache() {
        String base = System.getProperty("graft.cache.dir");
        Path root = base != null ? Path.of(base) : Path.of(System.getProperty("user.home"), ".cache", "graft");
        return new FeatureCache(root.resolve("features"));
    }

    public Path dir() {
        return dir;
    }

    /** Receives extraction progress: inputs done, inputs in all. */
    @FunctionalInterface
    public interface Progress {
        void update(int done, int total);

        Progress NONE = (done, total) -> { };
    }

    /**
     * The features of {@code inputs} ({@link Inputs.Texts} or {@link Inputs.Words}) of {@code kind}: from the
     * cache when present, otherwise extracted in batches of {@code batchSize} (inputs sorted by length, so
     * batches pad little), written, and then read back mapped.
     *
     * @throws NonFiniteFeaturesException when the backbone gives an input NaN or infinite features (nothing is
     *                                    cached then)
     */
    public FeatureFile features(BertBackbone backbone, Inputs inputs, FeatureKind kind, int batchSize, Progress progress)
            throws IOException {
        return features(backbone, inputs, kind, batchSize, progress, i -> null);
    }

    /**
     * Like {@link #features(BertBackbone, Inputs, FeatureKind, int, Progress)}, with where each input comes from
     * ({@code file:line}, or null when unknown) for the message of a {@link NonFiniteFeaturesException}.
     */
    public FeatureFile features(BertBackbone backbone, Inputs inputs, FeatureKind kind, int batchSize, Progress progress,
                                IntFunction<String> source) throws IOException {
        BackboneInfo info = BackboneInfo.of(backbone);
        String key = key(info, backbone.maxLength(), inputs, kind);
        Path file = dir.resolve(key + ".arrow");
        Path sidecar = dir.resolve(key + ".json");
        if (Files.isRegularFile(file) && Files.isRegularFile(sidecar)) {
            FeatureFile cached = FeatureFile.open(file, true);
            if (cached.firstNonFiniteRow() < 0) {
                return cached;
            }
            cached.close(); // written before non-finite features were refused: extract again, which says which input
            Files.deleteIfExists(sidecar);
            Files.deleteIfExists(file);
        }
        Files.createDirectories(dir);
        int rows = extract(backbone, info, inputs, kind, Math.max(1, batchSize), file, progress, source);
        ObjectNode meta = Json.mapper().createObjectNode();
        meta.set("backbone", Json.mapper().valueToTree(info));
        meta.put("max_length", backbone.maxLength());
        meta.put("kind", kind.toString());
        meta.put("inputs", inputs.size());
        meta.put("rows", rows);
        meta.put("graft_version", Graft.version());
        AtomicFiles.write(sidecar, Json.mapper().writeValueAsBytes(meta));
        return FeatureFile.open(file, false);
    }

    private static int extract(BertBackbone backbone, BackboneInfo info, Inputs inputs, FeatureKind kind, int batchSize,
                               Path file, Progress progress, IntFunction<String> source) throws IOException {
        int n = inputs.size();
        int[] order = IntStream.range(0, n).boxed()
                .sorted(Comparator.<Integer>comparingInt(i -> length(inputs, i)).thenComparingInt(i -> i))
                .mapToInt(Integer::intValue).toArray();
        int stages = kind.layers().stages(info.numLayers()).length;
        boolean words = kind instanceof FeatureKind.WordTokens;
        int[] lastStage = kind.layers().stages(info.numLayers());
        boolean allLayers = stages > 1 || lastStage[0] != info.numLayers();
        Schema schema = new Schema(List.of(
                TensorColumns.field(FeatureFile.FEATURES, DType.F32, stages, info.hiddenSize()),
                TensorColumns.field(FeatureFile.POSITION, DType.I32, 2)));
        int rows = 0;
        try (TensorArena arena = TensorArena.root("feature-extraction");
             TensorFileWriter writer = TensorFileWriter.create(file, schema, arena.allocator())) {
            for (int from = 0; from < n; from += batchSize) {
                int[] idx = java.util.Arrays.copyOfRange(order, from, Math.min(n, from + batchSize));
                try (BackbonePass pass = BackbonePass.run(backbone, info, subset(inputs, idx), words, allLayers, arena);
                     TensorArena batch = arena.child("batch")) {
                    FeatureRows r = pass.rows(kind);
                    requireFinite(r, idx, inputs, source);
                    int[] position = new int[2 * r.rows()];
                    for (int i = 0; i < idx.length; i++) {
                        for (int w = 0; w < r.rowsOf(i); w++) {
                            int row = r.starts()[i] + w;
                            position[2 * row] = idx[i];
                            position[2 * row + 1] = w;
                        }
                    }
                    Map<String, dev.graft.core.tensor.Tensor> columns = new LinkedHashMap<>();
                    columns.put(FeatureFile.FEATURES, batch.copyOf(r.data(), r.rows(), stages, info.hiddenSize()));
                    columns.put(FeatureFile.POSITION, batch.copyOf(position, r.rows(), 2));
                    writer.write(columns);
                    rows += r.rows();
                }
                progress.update(Math.min(n, from + batchSize), n);
            }
            writer.commit();
        }
        return rows;
    }

    /** Refuses a batch with a NaN or infinite feature, naming the first input that has one. */
    private static void requireFinite(FeatureRows r, int[] idx, Inputs inputs, IntFunction<String> source) {
        float[] data = r.data();
        int rowSize = r.rowSize();
        for (int k = 0; k < data.length; k++) {
            if (!Float.isFinite(data[k])) {
                int row = k / rowSize;
                int i = 0;
                while (r.starts()[i + 1] <= row) {
                    i++;
                }
                throw new NonFiniteFeaturesException(idx[i], source.apply(idx[i]), preview(inputs, idx[i]), data[k],
                        row - r.starts()[i], k % rowSize);
            }
        }
    }

    private static String preview(Inputs inputs, int i) {
        String s = switch (inputs) {
            case Inputs.Texts t -> t.texts().get(i);
            case Inputs.Words w -> String.join(" ", w.sentences().get(i));
            case Inputs.Pairs p -> p.first().get(i) + " / " + p.second().get(i);
        };
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    private static int length(Inputs inputs, int i) {
        return switch (inputs) {
            case Inputs.Texts t -> t.texts().get(i).length();
            case Inputs.Words w -> w.sentences().get(i).stream().mapToInt(s -> s.length() + 1).sum();
            case Inputs.Pairs p -> p.first().get(i).length() + p.second().get(i).length();
        };
    }

    private static Inputs subset(Inputs inputs, int[] idx) {
        return switch (inputs) {
            case Inputs.Texts t -> new Inputs.Texts(pick(t.texts(), idx));
            case Inputs.Words w -> new Inputs.Words(pick(w.sentences(), idx));
            case Inputs.Pairs p -> new Inputs.Pairs(pick(p.first(), idx), pick(p.second(), idx));
        };
    }

    private static <T> List<T> pick(List<T> list, int[] idx) {
        List<T> out = new ArrayList<>(idx.length);
        for (int i : idx) {
            out.add(list.get(i));
        }
        return out;
    }

    /** The version of what a cache file holds; part of every key, so a change of layout never reuses old files. */
    static final String FORMAT = "graft-features-v2";

    /** The cache key: SHA-256 of the format, the backbone, token limit, feature kind and inputs, hex. */
    static String key(BackboneInfo info, int maxLength, Inputs inputs, FeatureKind kind) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        // The layout's version: v2 keeps word rows only for the words the backbone saw (none past the token limit),
        // so a v1 file, which has a stand-in row for every word, is never read as a v2 one.
        update(md, FORMAT);
        update(md, info.sha256());
        update(md, Integer.toString(maxLength));
        update(md, kind.toString());
        switch (inputs) {
            case Inputs.Texts t -> t.texts().forEach(s -> update(md, "T" + s));
            case Inputs.Words w -> w.sentences().forEach(s -> update(md, "W" + String.join("\u001f", s)));
            case Inputs.Pairs p -> {
                for (int i = 0; i < p.size(); i++) {
                    update(md, "P" + p.first().get(i) + "\u001f" + p.second().get(i));
                }
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static void update(MessageDigest md, String s) {
        md.update(s.getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0x1e);
    }
}
