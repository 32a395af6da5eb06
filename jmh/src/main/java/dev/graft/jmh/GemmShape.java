package dev.graft.jmh;

/**
 * A GEMM problem {@code C[m×n] = A[m×k]·B}, written {@code "MxNxK"} in benchmark parameters.
 *
 * @param m rows of A and C (tokens)
 * @param n columns of C (output features)
 * @param k the reduced dimension (input features)
 */
public record GemmShape(int m, int n, int k) {
    public GemmShape {
        if (m < 1 || n < 1 || k < 1) {
            throw new IllegalArgumentException("GEMM shape sizes must be >= 1: " + m + "x" + n + "x" + k);
        }
    }

    /** Parses {@code "4096x384x1536"} (M×N×K). */
    public static GemmShape parse(String s) {
        String[] p = s.split("x");
        if (p.length != 3) {
            throw new IllegalArgumentException("GEMM shape must be MxNxK, was '" + s + "'");
        }
        return new GemmShape(Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2]));
    }

    /** Floating-point operations of one product: 2·M·N·K (a multiply and an add per term). */
    public double flops() {
        return 2.0 * m * n * k;
    }
}
