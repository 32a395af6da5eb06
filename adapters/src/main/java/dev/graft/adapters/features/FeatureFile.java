package dev.graft.adapters.features;

import dev.graft.adapters.train.TrainingSet;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.TensorFileException;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import dev.graft.core.tensor.TensorFileReader;
import dev.graft.core.tensor.TensorFiles;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntBinaryOperator;

/**
 * A feature file read back memory-mapped: frozen backbone features, one row per text (pooled) or per word, with
 * the {@code (input, word)} position of every row. Nothing is copied at open; {@link #features} copies one row
 * out of the page cache. Closing releases the mapping.
 *
 * <p>Layout (Arrow IPC file, one record batch per extraction batch): column {@code features} is an
 * {@code arrow.fixed_shape_tensor<float32>[stages, hidden]}, column {@code position} an
 * {@code arrow.fixed_shape_tensor<int32>[2]} holding {@code (input index, word index)} (word 0 for pooled rows).
 */
public final class FeatureFile implements AutoCloseable {
    static final String FEATURES = "features";
    static final String POSITION = "position";

    private final Path path;
    private final boolean fromCache;
    private final TensorArena arena;
    private final List<MemorySegment> batches;
    private final int[] batchStart;
    private final int rowSize;
    private final int[] stagesHidden;
    private final int[] input;
    private final int[] word;

    private FeatureFile(Path path, boolean fromCache, TensorArena arena, List<MemorySegment> batches, int[] batchStart,
                        int[] stagesHidden, int[] input, int[] word) {
        this.path = path;
        this.fromCache = fromCache;
        this.arena = arena;
        this.batches = batches;
        this.batchStart = batchStart;
        this.stagesHidden = stagesHidden;
        this.rowSize = stagesHidden[0] * stagesHidden[1];
        this.input = input;
        this.word = word;
    }

    /** Maps a feature file. */
    public static FeatureFile open(Path file) throws IOException {
        return open(file, false);
    }

    static FeatureFile open(Path file, boolean fromCache) throws IOException {
        TensorArena arena = TensorArena.root("features " + file.getFileName());
        try (TensorFileReader reader = TensorFiles.open(file, arena.allocator())) {
            List<MemorySegment> segments = new ArrayList<>();
            int[] starts = new int[reader.batchCount() + 1];
            int[] shape = null;
            int[] in = new int[1024];
            int[] w = new int[1024];
            int rows = 0;
            for (int b = 0; b < reader.batchCount(); b++) {
                reader.loadBatch(b);
                Tensor f = reader.tensor(FEATURES, arena);
                if (f.dtype() != DType.F32 || f.rank() != 3) {
                    throw new TensorFileException(file, FEATURES,
                            "holds " + f.describe() + ", expected f32 [rows, stages, hidden]", null);
                }
                int[] s = {f.dim(1), f.dim(2)};
                if (shape == null) {
                    shape = s;
                } else if (!Arrays.equals(shape, s)) {
                    throw new TensorFileException(file, FEATURES, "record batch " + b
                            + " has rows of " + Arrays.toString(s) + ", earlier batches " + Arrays.toString(shape), null);
                }
                int n = f.dim(0);
                Tensor pos = reader.tensor(POSITION, arena, DType.I32, 2);
                if (pos.dim(0) != n) {
                    throw new TensorFileException(file, POSITION, "record batch " + b + " has "
                            + pos.dim(0) + " positions for " + n + " feature rows", null);
                }
                int[] p = pos.toIntArray();
                if (rows + n > in.length) {
                    in = Arrays.copyOf(in, Math.max(rows + n, in.length * 2));
                    w = Arrays.copyOf(w, in.length);
                }
                for (int r = 0; r < n; r++) {
                    in[rows + r] = p[2 * r];
                    w[rows + r] = p[2 * r + 1];
                }
                segments.add(f.segment());
                starts[b] = rows;
                rows += n;
            }
            starts[reader.batchCount()] = rows;
            if (shape == null) {
                throw new TensorFileException(file, FEATURES, "the file has no record batches", null);
            }
            return new FeatureFile(file, fromCache, arena, segments, starts, shape, Arrays.copyOf(in, rows), Arrays.copyOf(w, rows));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** Whether the file came from the cache (no backbone pass was needed). */
    public boolean fromCache() {
        return fromCache;
    }

    public int rows() {
        return input.length;
    }

    /** Floats per row: stages × hidden. */
    public int rowSize() {
        return rowSize;
    }

    /** Stages per row (1, or numLayers + 1 for a mix). */
    public int stages() {
        return stagesHidden[0];
    }

    public int hidden() {
        return stagesHidden[1];
    }

    /** The input (text or sentence index) row {@code row} belongs to. */
    public int input(int row) {
        return input[row];
    }

    /** The word index of row {@code row} within its sentence (0 for pooled rows). */
    public int word(int row) {
        return word[row];
    }

    /** Copies row {@code row}'s features into {@code dst[offset, offset + rowSize())}. */
    public void features(int row, float[] dst, int offset) {
        int b = Arrays.binarySearch(batchStart, row);
        if (b < 0) {
            b = -b - 2;
        }
        while (batchStart[b + 1] == batchStart[b]) { // an empty record batch shares its start with the next
            b++;
        }
        MemorySegment.copy(batches.get(b), ValueLayout.JAVA_FLOAT, (long) (row - batchStart[b]) * rowSize * Float.BYTES,
                dst, offset, rowSize);
    }

    /** The first row holding a NaN or infinite feature, or -1 when every feature is finite (one pass over the file). */
    public int firstNonFiniteRow() {
        for (int b = 0; b < batches.size(); b++) {
            MemorySegment seg = batches.get(b);
            long n = (long) (batchStart[b + 1] - batchStart[b]) * rowSize;
            for (long k = 0; k < n; k++) {
                if (!Float.isFinite(seg.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, k))) {
                    return batchStart[b] + (int) (k / rowSize);
                }
            }
        }
        return -1;
    }

    /**
     * The rows whose input is selected, labelled by {@code label.applyAsInt(input, word)}, as a training set. Rows
     * whose label is negative are left out (words without a gold tag).
     *
     * @param inputs which inputs take part (null: all)
     */
    public TrainingSet trainingSet(boolean[] inputs, IntBinaryOperator label) {
        int[] picked = new int[rows()];
        int[] labels = new int[rows()];
        int n = 0;
        for (int r = 0; r < rows(); r++) {
            if (inputs == null || inputs[input[r]]) {
                int l = label.applyAsInt(input[r], word[r]);
                if (l >= 0) {
                    picked[n] = r;
                    labels[n++] = l;
                }
            }
        }
        return new Rows(Arrays.copyOf(picked, n), Arrays.copyOf(labels, n), null);
    }

    /**
     * The rows whose input is selected, with the regression target {@code target.applyAsDouble(input)} each (one
     * row per input: pooled features), as a training set for an MSE head.
     */
    public TrainingSet regressionSet(boolean[] inputs, java.util.function.IntToDoubleFunction target) {
        int[] picked = new int[rows()];
        float[] targets = new float[rows()];
        int n = 0;
        for (int r = 0; r < rows(); r++) {
            if (inputs == null || inputs[input[r]]) {
                picked[n] = r;
                targets[n++] = (float) target.applyAsDouble(input[r]);
            }
        }
        return new Rows(Arrays.copyOf(picked, n), null, Arrays.copyOf(targets, n));
    }

    /** Selected rows of this file with a class label (classification) or a target (regression) each. */
    private final class Rows implements TrainingSet {
        private final int[] rows;
        private final int[] labels;
        private final float[] targets;

        Rows(int[] rows, int[] labels, float[] targets) {
            this.rows = rows;
            this.labels = labels;
            this.targets = targets;
        }

        @Override
        public int size() {
            return rows.length;
        }

        @Override
        public int featureSize() {
            return rowSize;
        }

        @Override
        public void features(int row, float[] dst, int offset) {
            FeatureFile.this.features(rows[row], dst, offset);
        }

        @Override
        public int label(int row) {
            if (labels == null) {
                throw new UnsupportedOperationException("a regression set has targets, not class labels");
            }
            return labels[row];
        }

        @Override
        public float target(int row) {
            if (targets == null) {
                throw new UnsupportedOperationException("a classification set has class labels, not targets");
            }
            return targets[row];
        }
    }

    @Override
    public void close() {
        arena.close();
    }

    @Override
    public String toString() {
        return "FeatureFile(" + path + ", " + rows() + " rows of [" + stages() + ", " + hidden() + "]"
                + (fromCache ? ", from cache" : "") + ")";
    }
}
