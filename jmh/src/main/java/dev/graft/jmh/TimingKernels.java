package dev.graft.jmh;

import dev.graft.core.kernels.Activation;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.parallel.ComputePool;
import java.lang.foreign.MemorySegment;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link Kernels} decorator that adds up, per {@link Stage}, the nanoseconds and GEMM flops spent in each
 * kernel call, for {@link BackboneProfile}. GEMMs are told apart by their shape in a BERT layer (hidden H,
 * intermediate I): n = k = H without accumulation is a Q/K/V projection (n = 3H: the three fused), with accumulation the attention output;
 * n = I the intermediate (GELU) projection; k = I the output projection; anything else is one of the per-head
 * attention products (B transposed: Q·Kᵀ, else P·V).
 *
 * <p>Times are per calling thread and summed, so stages that run inside pool tasks (the attention GEMMs with
 * more than one thread) add up CPU time, not wall time. Thread-safe.
 */
final class TimingKernels implements Kernels {
    /** Where a kernel call belongs in the encoder. */
    enum Stage {
        GEMM_QKV("GEMM Q/K/V projections", true),
        GEMM_ATTN_OUT("GEMM attention output", true),
        GEMM_INTERMEDIATE("GEMM intermediate (+GELU)", true),
        GEMM_OUTPUT("GEMM FFN output", true),
        GEMM_SCORES("attention GEMM Q·Kᵀ", false),
        SOFTMAX("attention softmax", false),
        GEMM_PV("attention GEMM P·V", false),
        LAYER_NORM("layerNorm", true),
        EMBED_ADD("embeddings add (pos + type)", true),
        OTHER_KERNEL("other kernels", true);

        final String label;
        /** Called on the encoder's thread (wall time), not inside attention's pool tasks. */
        final boolean topLevel;

        Stage(String label, boolean topLevel) {
            this.label = label;
            this.topLevel = topLevel;
        }
    }

    private final Kernels delegate;
    private final int hidden;
    private final int intermediate;
    private final Map<Stage, LongAdder> nanos = new EnumMap<>(Stage.class);
    private final Map<Stage, LongAdder> flops = new EnumMap<>(Stage.class);
    private final Map<Stage, LongAdder> calls = new EnumMap<>(Stage.class);

    TimingKernels(Kernels delegate, int hidden, int intermediate) {
        this.delegate = delegate;
        this.hidden = hidden;
        this.intermediate = intermediate;
        for (Stage s : Stage.values()) {
            nanos.put(s, new LongAdder());
            flops.put(s, new LongAdder());
            calls.put(s, new LongAdder());
        }
    }

    long nanos(Stage s) {
        return nanos.get(s).sum();
    }

    long flops(Stage s) {
        return flops.get(s).sum();
    }

    long calls(Stage s) {
        return calls.get(s).sum();
    }

    void reset() {
        for (Stage s : Stage.values()) {
            nanos.get(s).reset();
            flops.get(s).reset();
            calls.get(s).reset();
        }
    }

    private void record(Stage s, long t0, long flop) {
        nanos.get(s).add(System.nanoTime() - t0);
        flops.get(s).add(flop);
        calls.get(s).increment();
    }

    private Stage gemmStage(int n, int k, boolean bTransposed, boolean accumulate) {
        if (n == hidden && k == hidden) {
            return accumulate ? Stage.GEMM_ATTN_OUT : Stage.GEMM_QKV;
        }
        if (n == 3 * hidden && k == hidden && !accumulate) { // Q/K/V fused into one [H, 3H] pre-packed B
            return Stage.GEMM_QKV;
        }
        if (n == intermediate && k == hidden) {
            return Stage.GEMM_INTERMEDIATE;
        }
        if (n == hidden && k == intermediate) {
            return Stage.GEMM_OUTPUT;
        }
        return bTransposed ? Stage.GEMM_SCORES : Stage.GEMM_PV;
    }

    @Override
    public String name() {
        return "timed(" + delegate.name() + ")";
    }

    @Override
    public int threads() {
        return delegate.threads();
    }

    @Override
    public ComputePool pool() {
        return delegate.pool();
    }

    @Override
    public void gemm(int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                     boolean bTransposed, MemorySegment bias, long biasOff, Activation act, boolean accumulate,
                     MemorySegment c, long cOff, int ldc) {
        long t0 = System.nanoTime();
        delegate.gemm(m, n, k, a, aOff, lda, b, bOff, ldb, bTransposed, bias, biasOff, act, accumulate, c, cOff, ldc);
        record(gemmStage(n, k, bTransposed, accumulate), t0, 2L * m * n * k);
    }

    @Override
    public dev.graft.core.kernels.PackedB packB(int k, int n, MemorySegment b, long bOff, int ldb, boolean bTransposed,
                                                java.lang.foreign.SegmentAllocator allocator) {
        return delegate.packB(k, n, b, bOff, ldb, bTransposed, allocator);
    }

    @Override
    public void gemm(int m, MemorySegment a, long aOff, int lda, dev.graft.core.kernels.PackedB b,
                     MemorySegment bias, long biasOff, Activation act, boolean accumulate,
                     MemorySegment c, long cOff, int ldc) {
        long t0 = System.nanoTime();
        delegate.gemm(m, a, aOff, lda, b, bias, biasOff, act, accumulate, c, cOff, ldc);
        record(gemmStage(b.n(), b.k(), false, accumulate), t0, 2L * m * b.n() * b.k());
    }

    @Override
    public void layerNorm(int rows, int cols, MemorySegment x, long xOff, MemorySegment gamma, long gammaOff,
                          MemorySegment beta, long betaOff, float eps, MemorySegment out, long outOff) {
        long t0 = System.nanoTime();
        delegate.layerNorm(rows, cols, x, xOff, gamma, gammaOff, beta, betaOff, eps, out, outOff);
        record(Stage.LAYER_NORM, t0, 0);
    }

    @Override
    public void gelu(long n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        long t0 = System.nanoTime();
        delegate.gelu(n, x, xOff, out, outOff);
        record(Stage.OTHER_KERNEL, t0, 0);
    }

    @Override
    public void add(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        long t0 = System.nanoTime();
        delegate.add(n, a, aOff, b, bOff, out, outOff);
        record(Stage.EMBED_ADD, t0, 0);
    }

    @Override
    public void onlineSoftmax(int rows, int cols, MemorySegment x, long xOff, int ldx, float scale,
                              MemorySegment keyMask, long maskOff, MemorySegment rowMax, long maxOff,
                              MemorySegment rowSum, long sumOff, MemorySegment acc, long accOff, int ldAcc, int accCols) {
        long t0 = System.nanoTime();
        delegate.onlineSoftmax(rows, cols, x, xOff, ldx, scale, keyMask, maskOff, rowMax, maxOff, rowSum, sumOff,
                acc, accOff, ldAcc, accCols);
        record(Stage.SOFTMAX, t0, 0);
    }

    @Override
    public void divideRows(int rows, int cols, MemorySegment x, long xOff, int ldx, MemorySegment divisors, long dOff,
                           MemorySegment out, long outOff, int ldOut) {
        long t0 = System.nanoTime();
        delegate.divideRows(rows, cols, x, xOff, ldx, divisors, dOff, out, outOff, ldOut);
        record(Stage.SOFTMAX, t0, 0);
    }

    @Override
    public void maskBand(int rows, int cols, MemorySegment x, long xOff, int ld, long offset, long lo, long hi, int step) {
        long t0 = System.nanoTime();
        delegate.maskBand(rows, cols, x, xOff, ld, offset, lo, hi, step);
        record(Stage.SOFTMAX, t0, 0);
    }

    @Override
    public void keepTopK(int rows, int cols, MemorySegment x, long xOff, int ld, int k, MemorySegment keyMask, long maskOff) {
        long t0 = System.nanoTime();
        delegate.keepTopK(rows, cols, x, xOff, ld, k, keyMask, maskOff);
        record(Stage.SOFTMAX, t0, 0);
    }

    @Override
    public void softmax(int rows, int cols, MemorySegment x, long xOff, int ld, float scale, MemorySegment keyMask,
                        long maskOff) {
        long t0 = System.nanoTime();
        delegate.softmax(rows, cols, x, xOff, ld, scale, keyMask, maskOff);
        record(Stage.SOFTMAX, t0, 0);
    }

    @Override
    public void meanPool(int batch, int tokens, int hiddenSize, MemorySegment x, long xOff, MemorySegment mask,
                         long maskOff, MemorySegment out, long outOff) {
        long t0 = System.nanoTime();
        delegate.meanPool(batch, tokens, hiddenSize, x, xOff, mask, maskOff, out, outOff);
        record(Stage.OTHER_KERNEL, t0, 0);
    }

    @Override
    public void l2Normalize(int rows, int cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        long t0 = System.nanoTime();
        delegate.l2Normalize(rows, cols, x, xOff, out, outOff);
        record(Stage.OTHER_KERNEL, t0, 0);
    }

    @Override
    public void close() {
        delegate.close();
    }

    // Backward kernels: not timed (the profile is of inference); forwarded as they are.

    @Override
    public void activationBackward(Activation act, long n, MemorySegment x, long xOff, MemorySegment dy, long dyOff,
                                   MemorySegment dx, long dxOff) {
        delegate.activationBackward(act, n, x, xOff, dy, dyOff, dx, dxOff);
    }

    @Override
    public void layerNormBackward(int rows, int cols, MemorySegment x, long xOff, MemorySegment gamma, long gammaOff,
                                  float eps, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        delegate.layerNormBackward(rows, cols, x, xOff, gamma, gammaOff, eps, dy, dyOff, dx, dxOff);
    }

    @Override
    public void softmaxBackward(int rows, int cols, MemorySegment y, long yOff, int ldy, float scale, MemorySegment dy,
                                long dyOff, int lddy) {
        delegate.softmaxBackward(rows, cols, y, yOff, ldy, scale, dy, dyOff, lddy);
    }

    @Override
    public void dropout(long n, MemorySegment x, long xOff, float rate, long seed, long index0, MemorySegment out,
                        long outOff) {
        delegate.dropout(n, x, xOff, rate, seed, index0, out, outOff);
    }

    @Override
    public void columnSums(int rows, int cols, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                           boolean accumulate, MemorySegment out, long outOff) {
        delegate.columnSums(rows, cols, a, aOff, lda, b, bOff, ldb, accumulate, out, outOff);
    }

    @Override
    public void transpose(int rows, int cols, MemorySegment x, long xOff, int ldx, MemorySegment out, long outOff,
                          int ldOut) {
        delegate.transpose(rows, cols, x, xOff, ldx, out, outOff, ldOut);
    }

    @Override
    public void multiply(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out,
                         long outOff) {
        delegate.multiply(n, a, aOff, b, bOff, out, outOff);
    }

    @Override
    public void sgmv(int segments, int[] starts, int in, int out, MemorySegment x, long xOff, int ldx,
                     MemorySegment[] a, MemorySegment[] bt, int[] ranks, float[] scales,
                     MemorySegment y, long yOff, int ldy, MemorySegment t, long tOff) {
        delegate.sgmv(segments, starts, in, out, x, xOff, ldx, a, bt, ranks, scales, y, yOff, ldy, t, tOff);
    }
}
