package dev.graft.adapters.nn;

/** Argument checks shared by the layers, with messages that name the layer and the sizes. */
final class Shapes {
    private Shapes() {
    }

    /** Checks that {@code input} holds {@code rows × in} floats and {@code output} (if given) {@code rows × out}. */
    static void check(String layer, float[] input, int rows, int in, float[] output, int out) {
        if (rows < 0) {
            throw new IllegalArgumentException(layer + ": rows must be non-negative, got " + rows);
        }
        if (input == null || input.length < (long) rows * in) {
            throw new IllegalArgumentException(layer + ": input must hold " + rows + " rows × " + in + " floats, got "
                    + (input == null ? "null" : input.length));
        }
        if (output != null && output.length < (long) rows * out) {
            throw new IllegalArgumentException(layer + ": output must hold " + rows + " rows × " + out + " floats, got "
                    + output.length);
        }
        if ((long) rows * Math.max(in, out) > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(layer + ": " + rows + " rows are too many for one batch");
        }
    }

    static void checkGrad(String layer, float[] gradOut, int rows, int out) {
        if (gradOut == null || gradOut.length < (long) rows * out) {
            throw new IllegalArgumentException(layer + ": gradient must hold " + rows + " rows × " + out + " floats, got "
                    + (gradOut == null ? "null" : gradOut.length));
        }
    }

    /** SplitMix64's finaliser: a well-mixed seed for sub-step {@code index} of a step seeded {@code seed}. */
    static long mix(long seed, long index) {
        long z = seed + (index + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
