package dev.graft.core.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The scalar reference of the backward kernels of {@link Kernels} (training through the frozen backbone), with the
 * argument checks every implementation shares. Reductions accumulate in double, as in {@link ScalarKernels}.
 *
 * <p>{@link #keeps} defines dropout's mask once for every implementation: a 32-bit integer hash (Chris Wellons'
 * "lowbias32" finaliser) of the element index mixed with the seed, compared against {@code rate · 2²⁴}. Integer
 * arithmetic only, so a vector implementation reproduces it bit for bit.
 */
public final class ScalarBackward {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private ScalarBackward() {
    }

    /** The hash dropout's mask is built from: mixes (seed, index) into 32 well-spread bits. */
    public static int hash(long seed, long index) {
        int x = (int) index ^ Integer.rotateLeft((int) (index >>> 32), 16);
        x ^= (int) seed;
        x *= 0x9E3779B9;
        x ^= (int) (seed >>> 32);
        x ^= x >>> 16;
        x *= 0x7FEB352D;
        x ^= x >>> 15;
        x *= 0x846CA68B;
        x ^= x >>> 16;
        return x;
    }

    /** The dropout threshold of {@code rate}: an element is dropped when its hash's top 24 bits are below it. */
    public static int threshold(float rate) {
        if (!(rate >= 0f && rate < 1f)) {
            throw new IllegalArgumentException("dropout rate must be in [0, 1), was " + rate);
        }
        return (int) (rate * (1 << 24));
    }

    /** Whether dropout with {@code rate} keeps element {@code index} under {@code seed}. */
    public static boolean keeps(long seed, long index, float rate) {
        return (hash(seed, index) >>> 8) >= threshold(rate);
    }

    /** Derivative of an activation at x. */
    public static double derivative(Activation act, float x) {
        return switch (act) {
            case NONE -> 1.0;
            case RELU -> x > 0 ? 1.0 : 0.0;
            case TANH -> {
                double t = Math.tanh(x);
                yield 1.0 - t * t;
            }
            case GELU -> {
                double xc = Math.max(-ScalarMath.GELU_CLAMP, Math.min(ScalarMath.GELU_CLAMP, x));
                double cdf = 0.5 * (1.0 + ScalarMath.erf(xc * ScalarMath.INV_SQRT2));
                yield cdf + xc * ScalarMath.INV_SQRT_2PI * Math.exp(-0.5 * xc * xc);
            }
        };
    }

    public static void activationBackward(Activation act, long n, MemorySegment x, long xOff, MemorySegment dy,
                                          long dyOff, MemorySegment dx, long dxOff) {
        KernelArgs.activationBackward(act, n, x, xOff, dy, dyOff, dx, dxOff);
        for (long i = 0; i < n; i++) {
            double d = derivative(act, x.getAtIndex(F32, xOff + i));
            dx.setAtIndex(F32, dxOff + i, (float) (dy.getAtIndex(F32, dyOff + i) * d));
        }
    }

    public static void layerNormBackward(int rows, int cols, MemorySegment x, long xOff, MemorySegment gamma,
                                         long gammaOff, float eps, MemorySegment dy, long dyOff, MemorySegment dx,
                                         long dxOff) {
        KernelArgs.layerNormBackward(rows, cols, x, xOff, gamma, gammaOff, dy, dyOff, dx, dxOff);
        for (int r = 0; r < rows; r++) {
            long xr = xOff + (long) r * cols;
            long dyr = dyOff + (long) r * cols;
            long dxr = dxOff + (long) r * cols;
            double mean = ScalarKernels.rowMean(cols, x, xr);           // the forward's row statistics
            double rstd = ScalarKernels.rowRstd(cols, x, xr, mean, eps);
            double sumG = 0;
            double sumGx = 0;
            for (int j = 0; j < cols; j++) {
                double g = (double) dy.getAtIndex(F32, dyr + j) * gamma.getAtIndex(F32, gammaOff + j);
                sumG += g;
                sumGx += g * (x.getAtIndex(F32, xr + j) - mean) * rstd;
            }
            double meanG = sumG / cols;
            double meanGx = sumGx / cols;
            for (int j = 0; j < cols; j++) {
                double g = (double) dy.getAtIndex(F32, dyr + j) * gamma.getAtIndex(F32, gammaOff + j);
                double xhat = (x.getAtIndex(F32, xr + j) - mean) * rstd;
                dx.setAtIndex(F32, dxr + j, (float) (rstd * (g - meanG - xhat * meanGx)));
            }
        }
    }

    public static void softmaxBackward(int rows, int cols, MemorySegment y, long yOff, int ldy, float scale,
                                       MemorySegment dy, long dyOff, int lddy) {
        KernelArgs.softmaxBackward(rows, cols, y, yOff, ldy, dy, dyOff, lddy);
        for (int r = 0; r < rows; r++) {
            long yr = yOff + (long) r * ldy;
            long dr = dyOff + (long) r * lddy;
            double dot = 0;
            for (int j = 0; j < cols; j++) {
                dot += (double) dy.getAtIndex(F32, dr + j) * y.getAtIndex(F32, yr + j);
            }
            for (int j = 0; j < cols; j++) {
                double p = y.getAtIndex(F32, yr + j);
                dy.setAtIndex(F32, dr + j, (float) (scale * p * (dy.getAtIndex(F32, dr + j) - dot)));
            }
        }
    }

    public static void dropout(long n, MemorySegment x, long xOff, float rate, long seed, long index0,
                               MemorySegment out, long outOff) {
        KernelArgs.dropout(n, x, xOff, rate, out, outOff);
        int threshold = threshold(rate);
        float keepScale = 1f / (1f - rate);
        for (long i = 0; i < n; i++) {
            boolean keep = (hash(seed, index0 + i) >>> 8) >= threshold;
            out.setAtIndex(F32, outOff + i, keep ? x.getAtIndex(F32, xOff + i) * keepScale : 0f);
        }
    }

    public static void columnSums(int rows, int cols, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff,
                                  int ldb, boolean accumulate, MemorySegment out, long outOff) {
        KernelArgs.columnSums(rows, cols, a, aOff, lda, b, bOff, ldb, out, outOff);
        for (int j = 0; j < cols; j++) {
            double s = accumulate ? out.getAtIndex(F32, outOff + j) : 0;
            for (int r = 0; r < rows; r++) {
                double v = a.getAtIndex(F32, aOff + (long) r * lda + j);
                s += b == null ? v : v * b.getAtIndex(F32, bOff + (long) r * ldb + j);
            }
            out.setAtIndex(F32, outOff + j, (float) s);
        }
    }

    public static void transpose(int rows, int cols, MemorySegment x, long xOff, int ldx, MemorySegment out,
                                 long outOff, int ldOut) {
        KernelArgs.transpose(rows, cols, x, xOff, ldx, out, outOff, ldOut);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                out.setAtIndex(F32, outOff + (long) j * ldOut + i, x.getAtIndex(F32, xOff + (long) i * ldx + j));
            }
        }
    }

    public static void multiply(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out,
                                long outOff) {
        KernelArgs.multiply(n, a, aOff, b, bOff, out, outOff);
        for (long i = 0; i < n; i++) {
            out.setAtIndex(F32, outOff + i, a.getAtIndex(F32, aOff + i) * b.getAtIndex(F32, bOff + i));
        }
    }
}
