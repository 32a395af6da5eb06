package dev.graft.adapters.nn;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a weights file can fill, so that rebuilding a saved head or adapter from its config never allocates more
 * than the file holds. A loader reads the file's header (names and shapes, a few hundred bytes), then builds the
 * network from the config inside {@link #during}: every {@link Parameter} made meanwhile claims its size here
 * <em>before</em> its arrays are allocated, and the claim that takes the total past the file's float count fails
 * at once. A config that says {@code hidden_size: 3000000} or {@code r: 100000} beside a 50 KB weights file is
 * then an {@link IllegalArgumentException} naming the parameter, its shape and what the file declares, in
 * milliseconds, instead of an {@link OutOfMemoryError} after half a minute.
 *
 * <p>The budget is the file's float count plus {@link #SLACK}: a config that disagrees with the file only a little
 * (a rank of 3 beside tensors of rank 2) is built and then reported by the loader's exact tensor-by-tensor check,
 * with its more specific message; one that needs more is stopped here. Either way a load never holds more than the
 * file's size plus 16 MB (twice that with the gradient buffers). Works for any head or adapter type whose
 * parameters are {@link Parameter}s, a user's own included.
 */
public final class ParameterBudget {
    /** Floats a config may claim beyond what the file holds (4 M floats, 16 MB). */
    public static final long SLACK = 1L << 22;
    private static final ScopedValue<ParameterBudget> CURRENT = ScopedValue.newInstance();

    private final Path file;
    private final Map<String, long[]> declared;
    private final long floats;
    private long claimed;

    private ParameterBudget(Path file, Map<String, long[]> declared) {
        this.file = Objects.requireNonNull(file, "file");
        this.declared = new LinkedHashMap<>();
        long total = 0;
        for (Map.Entry<String, long[]> e : declared.entrySet()) {
            long n = 1;
            for (long d : e.getValue()) {
                n = Math.multiplyExact(n, d);
            }
            total = Math.addExact(total, n);
            this.declared.put(e.getKey(), e.getValue().clone());
        }
        this.floats = total;
    }

    /**
     * The budget of {@code file}, whose tensors are {@code declared} (name → shape, from its header).
     *
     * @throws ArithmeticException when the shapes overflow a 64-bit count (the header reader rejects those first)
     */
    public static ParameterBudget of(Path file, Map<String, long[]> declared) {
        return new ParameterBudget(file, declared);
    }

    /** Runs {@code build} (which makes the network from a config) with every new {@link Parameter} charged here. */
    public <T, X extends Throwable> T during(ScopedValue.CallableOp<? extends T, X> build) throws X {
        return ScopedValue.where(CURRENT, this).call(build);
    }

    /** Floats the file holds in all. */
    public long floats() {
        return floats;
    }

    /** Called by {@link Parameter}'s constructor before it allocates {@code size} floats. */
    static void claim(String name, int[] shape, long size) {
        if (CURRENT.isBound()) {
            CURRENT.get().take(name, shape, size);
        }
    }

    private synchronized void take(String name, int[] shape, long size) {
        if (size > floats + SLACK - claimed) {
            long[] have = declared.get(name);
            throw new IllegalArgumentException("parameter '" + name + "' " + Arrays.toString(shape) + " (" + size
                    + " floats) cannot be filled from " + file.getFileName() + ": it holds " + floats + " floats in all"
                    + (claimed > 0 ? " (" + claimed + " claimed by the parameters before it)" : "") + ", and "
                    + (have == null ? "no tensor named '" + name + "'" : "'" + name + "' as " + Arrays.toString(have))
                    + "; the config and the weights file disagree (nothing was allocated for it)");
        }
        claimed += size;
    }
}
