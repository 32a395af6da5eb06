package dev.graft.core.kernels.vector;

import static dev.graft.core.kernels.vector.VectorMath.BIAS;
import static dev.graft.core.kernels.vector.VectorMath.E2;
import static dev.graft.core.kernels.vector.VectorMath.E3;
import static dev.graft.core.kernels.vector.VectorMath.E4;
import static dev.graft.core.kernels.vector.VectorMath.E5;
import static dev.graft.core.kernels.vector.VectorMath.E6;
import static dev.graft.core.kernels.vector.VectorMath.E7;
import static dev.graft.core.kernels.vector.VectorMath.EXP_LO;
import static dev.graft.core.kernels.vector.VectorMath.F32;
import static dev.graft.core.kernels.vector.VectorMath.HALF;
import static dev.graft.core.kernels.vector.VectorMath.HIGH_HALF;
import static dev.graft.core.kernels.vector.VectorMath.HIGH_QUARTER;
import static dev.graft.core.kernels.vector.VectorMath.I;
import static dev.graft.core.kernels.vector.VectorMath.I32;
import static dev.graft.core.kernels.vector.VectorMath.INV_SQRT_2PI;
import static dev.graft.core.kernels.vector.VectorMath.L;
import static dev.graft.core.kernels.vector.VectorMath.LE;
import static dev.graft.core.kernels.vector.VectorMath.LN2_HI;
import static dev.graft.core.kernels.vector.VectorMath.LOG2E;
import static dev.graft.core.kernels.vector.VectorMath.MINUS_LN2_LO;
import static dev.graft.core.kernels.vector.VectorMath.ONE;
import static dev.graft.core.kernels.vector.VectorMath.QUARTER;
import static dev.graft.core.kernels.vector.VectorMath.ROUND;
import static dev.graft.core.kernels.vector.VectorMath.SWAP_1;
import static dev.graft.core.kernels.vector.VectorMath.SWAP_16;
import static dev.graft.core.kernels.vector.VectorMath.SWAP_2;
import static dev.graft.core.kernels.vector.VectorMath.SWAP_32;
import static dev.graft.core.kernels.vector.VectorMath.SWAP_4;
import static dev.graft.core.kernels.vector.VectorMath.SWAP_8;
import static dev.graft.core.kernels.vector.VectorMath.SWAP_HALF;
import static dev.graft.core.kernels.vector.VectorMath.SWAP_QUARTER;
import static dev.graft.core.kernels.vector.VectorMath.ZERO;

import dev.graft.core.kernels.Activation;
import dev.graft.core.kernels.ScalarBackward;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The loops of the backward (training) kernels of {@link VectorKernels}; {@code ScalarBackward} is their reference.
 * Every method takes segments, <em>byte</em> offsets and scalars (arguments already checked by the caller); vectors
 * stay in the locals of one method, tails are scalar (no masked loads or stores), so nothing is allocated per call
 * once C2 has compiled them. Like {@link VectorMath}, everything is built from operations IEEE 754 rounds the same
 * in every execution mode — lane-wise add/mul/fma/div, compares, blends, integer ops, the butterfly lane sums — so
 * results are the same bits interpreted, C1- or C2-compiled.
 *
 * <ul>
 *   <li><b>activationBackward</b>. GELU': {@code Φ(x) + x·φ(x)}, both from one exponential {@code e = exp(-x²/2)}:
 *       {@code Φ(-|x|) = erfc(|x|/√2)/2} with erfc from the Abramowitz &amp; Stegun polynomial {@link VectorMath}
 *       and {@code ScalarMath} use (so Φ carries the same 1.5e-7 approximation error as GELU itself), and
 *       {@code φ(x) = e/√(2π)}; inputs clamped to ±20 as in GELU. TANH': {@code 1 − tanh²(x) = 4E/(E + 1)²} with
 *       {@code E = e^{2|x|}} from the polynomial exp ({@code 2|x|} clamped to 40), which keeps its relative accuracy
 *       where {@code 1 − tanh²} would cancel. RELU' and NONE give exactly the scalar reference's bits. Tails use
 *       {@code ScalarBackward.derivative}.</li>
 *   <li><b>layerNormBackward</b>: three sweeps over a row (which sits in L1): Σx for a first mean m₀; then, with
 *       {@code d = x − m₀} and {@code g = dy·γ}, the four sums Σd, Σd², Σg, Σg·d at once (one four-vector butterfly
 *       sum); then {@code dx = rstd·((g − mean(g)) − ((x − m₀) − δ)·rstd²·mean(g·(x − mean)))}, δ = Σd/n the
 *       correction of m₀. Working around m₀ keeps the digits of rows whose mean is large next to their spread
 *       (the corrected two-pass scheme of {@code layerNorm}). The per-row scalars are computed in double.</li>
 *   <li><b>columnSums</b> accumulates in float, in a fixed order: rows in blocks of {@value #COLUMN_BLOCK}, each
 *       block summed in row order, the block sums added to {@code out} in order. The blocking keeps the rounding
 *       error growing with {@code 64 + rows/64} rather than {@code rows}, and the order is the same every run and
 *       for every execution mode (it is not the scalar reference's one-by-one double sum).</li>
 *   <li><b>dropout</b> evaluates {@code ScalarBackward.hash} on L indices at once with 32-bit integer lane
 *       arithmetic (bit for bit the scalar hash); a vector whose indices straddle a multiple of 2³² (their high
 *       words differ) is done element by element.</li>
 *   <li><b>transpose</b> is a plain blocked copy ({@value #TILE_ROWS}×{@value #TILE} tiles, as raw 32-bit words
 *       so that every bit pattern is copied exactly).</li>
 * </ul>
 */
final class VectorBackward {
    private static final VectorSpecies<Float> F = VectorMath.S;
    private static final long VB = (long) L * Float.BYTES;
    /** Rows per block of columnSums' partial sums. */
    static final int COLUMN_BLOCK = 64;
    /** Columns of x per tile of transpose. */
    static final int TILE = 64;
    /** Rows of x per tile of transpose: one cache line of out per column. */
    static final int TILE_ROWS = 16;
    /** 0, 1, …, L − 1: the lane offsets of dropout's element indices. */
    private static final IntVector IOTA = IntVector.zero(I).addIndex(1);

    private VectorBackward() {
    }

    // ------------------------------------------------------------------------------------ activationBackward

    /** dx ← dy ⊙ act'(x) over n floats; in place allowed (dx may be dy). */
    static void activation(Activation act, long n, MemorySegment x, long xb, MemorySegment dy, long dyb,
                           MemorySegment dx, long dxb) {
        switch (act) {
            case NONE -> copy(n, dy, dyb, dx, dxb);
            case RELU -> relu(n, x, xb, dy, dyb, dx, dxb);
            case TANH -> tanh(n, x, xb, dy, dyb, dx, dxb);
            case GELU -> gelu(n, x, xb, dy, dyb, dx, dxb);
        }
    }

    /** out ← x over n floats (NONE: dx = dy · 1). */
    private static void copy(long n, MemorySegment x, long xb, MemorySegment out, long ob) {
        long i = 0;
        for (long bound = n - L; i <= bound; i += L) {
            long o = i * Float.BYTES;
            FloatVector.fromMemorySegment(F, x, xb + o, LE).intoMemorySegment(out, ob + o, LE);
        }
        for (; i < n; i++) {
            long o = i * Float.BYTES;
            out.set(F32, ob + o, x.get(F32, xb + o));
        }
    }

    /** dx ← dy · (x &gt; 0 ? 1 : 0), the reference's bits (dy · 0 keeps dy's sign and NaN). */
    private static void relu(long n, MemorySegment x, long xb, MemorySegment dy, long dyb, MemorySegment dx, long dxb) {
        long i = 0;
        for (long bound = n - L; i <= bound; i += L) {
            long o = i * Float.BYTES;
            FloatVector v = FloatVector.fromMemorySegment(F, x, xb + o, LE);
            FloatVector g = FloatVector.fromMemorySegment(F, dy, dyb + o, LE);
            g.mul(ZERO.blend(ONE, v.compare(VectorOperators.GT, 0f))).intoMemorySegment(dx, dxb + o, LE);
        }
        tail(Activation.RELU, i, n, x, xb, dy, dyb, dx, dxb);
    }

    /** dx ← dy · (1 − tanh²x) = dy · 4E/(E + 1)², E = e^{2|x|}. */
    private static void tanh(long n, MemorySegment x, long xb, MemorySegment dy, long dyb, MemorySegment dx, long dxb) {
        long i = 0;
        for (long bound = n - L; i <= bound; i += L) {
            long o = i * Float.BYTES;
            FloatVector v = FloatVector.fromMemorySegment(F, x, xb + o, LE);
            FloatVector y = v.abs().mul(2f).min(VectorMath.TANH_CLAMP); // NaN stays NaN
            // E = e^y, y in [0, 40] (VectorMath's exp without its underflow guard)
            FloatVector t = y.fma(LOG2E, ROUND);
            FloatVector m = t.sub(ROUND);
            FloatVector r = m.fma(MINUS_LN2_LO, y.sub(m.mul(LN2_HI)));
            FloatVector q = r.fma(E7, E6).fma(r, E5).fma(r, E4).fma(r, E3).fma(r, E2).fma(r, ONE).mul(r);
            FloatVector p = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).add(BIAS).reinterpretAsFloats();
            FloatVector e = q.fma(p, p);
            FloatVector e1 = e.add(1f);
            FloatVector d = e.mul(4f).div(e1.mul(e1));
            FloatVector.fromMemorySegment(F, dy, dyb + o, LE).mul(d).intoMemorySegment(dx, dxb + o, LE);
        }
        tail(Activation.TANH, i, n, x, xb, dy, dyb, dx, dxb);
    }

    /** dx ← dy · (Φ(x) + x·φ(x)). */
    private static void gelu(long n, MemorySegment x, long xb, MemorySegment dy, long dyb, MemorySegment dx, long dxb) {
        long i = 0;
        for (long bound = n - L; i <= bound; i += L) {
            long o = i * Float.BYTES;
            FloatVector v = FloatVector.fromMemorySegment(F, x, xb + o, LE);
            FloatVector vc = v.max(-VectorMath.GELU_CLAMP).min(VectorMath.GELU_CLAMP);
            FloatVector z = vc.abs().mul(VectorMath.INV_SQRT2);
            FloatVector a = ONE.div(z.fma(VectorMath.P, 1f));
            FloatVector poly = a.fma(VectorMath.A5, VectorMath.A4).fma(a, VectorMath.VA3).fma(a, VectorMath.VA2)
                    .fma(a, VectorMath.VA1).mul(a);
            FloatVector w = z.mul(z).neg();                          // e = e^w = exp(-x²/2), w ≤ 0
            FloatVector wc = w.max(EXP_LO);
            FloatVector t = wc.fma(LOG2E, ROUND);
            FloatVector m = t.sub(ROUND);
            FloatVector r = m.fma(MINUS_LN2_LO, wc.sub(m.mul(LN2_HI)));
            FloatVector q = r.fma(E7, E6).fma(r, E5).fma(r, E4).fma(r, E3).fma(r, E2).fma(r, ONE).mul(r);
            FloatVector p = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).add(BIAS).reinterpretAsFloats();
            FloatVector e = q.fma(p, p).blend(ZERO, w.compare(VectorOperators.LT, EXP_LO));
            FloatVector h = poly.mul(e).mul(0.5f);                   // Φ(-|x|) = erfc(|x|/√2) / 2
            FloatVector cdf = ONE.sub(h).blend(h, vc.compare(VectorOperators.LT, 0f));
            FloatVector d = vc.mul(INV_SQRT_2PI).fma(e, cdf);        // Φ(x) + x·φ(x)
            FloatVector.fromMemorySegment(F, dy, dyb + o, LE).mul(d).intoMemorySegment(dx, dxb + o, LE);
        }
        tail(Activation.GELU, i, n, x, xb, dy, dyb, dx, dxb);
    }

    /** Elements [from, n) through the scalar reference's derivative. */
    private static void tail(Activation act, long from, long n, MemorySegment x, long xb, MemorySegment dy, long dyb,
                             MemorySegment dx, long dxb) {
        for (long i = from; i < n; i++) {
            long o = i * Float.BYTES;
            double d = ScalarBackward.derivative(act, x.get(F32, xb + o));
            dx.set(F32, dxb + o, (float) (dy.get(F32, dyb + o) * d));
        }
    }

    // ------------------------------------------------------------------------------------- layerNormBackward

    /** One row of layerNormBackward (cols ≥ 1); in place allowed (dx may be dy). */
    static void layerNormRow(int cols, MemorySegment x, long xb, MemorySegment gamma, long gb, float eps,
                             MemorySegment dy, long dyb, MemorySegment dx, long dxb) {
        float mean0 = sum(cols, x, xb) / cols;
        // Σd, Σd², Σg, Σg·d with d = x - mean0, g = dy·γ; two vectors per step to hide the add latency
        FloatVector c0 = FloatVector.zero(F);
        FloatVector c1 = c0;
        FloatVector s0 = c0;
        FloatVector s1 = c0;
        FloatVector g0 = c0;
        FloatVector g1 = c0;
        FloatVector p0 = c0;
        FloatVector p1 = c0;
        int j = 0;
        for (int bound = cols - 2 * L; j <= bound; j += 2 * L) {
            long o = (long) j * Float.BYTES;
            FloatVector d0 = FloatVector.fromMemorySegment(F, x, xb + o, LE).sub(mean0);
            FloatVector d1 = FloatVector.fromMemorySegment(F, x, xb + o + VB, LE).sub(mean0);
            FloatVector e0 = FloatVector.fromMemorySegment(F, dy, dyb + o, LE)
                    .mul(FloatVector.fromMemorySegment(F, gamma, gb + o, LE));
            FloatVector e1 = FloatVector.fromMemorySegment(F, dy, dyb + o + VB, LE)
                    .mul(FloatVector.fromMemorySegment(F, gamma, gb + o + VB, LE));
            c0 = c0.add(d0);
            c1 = c1.add(d1);
            s0 = d0.fma(d0, s0);
            s1 = d1.fma(d1, s1);
            g0 = g0.add(e0);
            g1 = g1.add(e1);
            p0 = e0.fma(d0, p0);
            p1 = e1.fma(d1, p1);
        }
        for (int bound = cols - L; j <= bound; j += L) {
            long o = (long) j * Float.BYTES;
            FloatVector d0 = FloatVector.fromMemorySegment(F, x, xb + o, LE).sub(mean0);
            FloatVector e0 = FloatVector.fromMemorySegment(F, dy, dyb + o, LE)
                    .mul(FloatVector.fromMemorySegment(F, gamma, gb + o, LE));
            c0 = c0.add(d0);
            s0 = d0.fma(d0, s0);
            g0 = g0.add(e0);
            p0 = e0.fma(d0, p0);
        }
        float tc = 0f; // scalar tail: masked memory access can compile to allocating code
        float ts = 0f;
        float tg = 0f;
        float tp = 0f;
        for (; j < cols; j++) {
            long o = (long) j * Float.BYTES;
            float d = x.get(F32, xb + o) - mean0;
            float e = dy.get(F32, dyb + o) * gamma.get(F32, gb + o);
            tc += d;
            ts = Math.fma(d, d, ts);
            tg += e;
            tp = Math.fma(e, d, tp);
        }
        // four fixed-order lane sums at once (VectorMath): Σd in lane 0, Σd² in HALF, Σg in QUARTER, Σg·d in HALF+QUARTER
        FloatVector c = c0.add(c1);
        FloatVector s = s0.add(s1);
        FloatVector g = g0.add(g1);
        FloatVector p = p0.add(p1);
        FloatVector h01 = c.blend(s, HIGH_HALF).add(s.blend(c, HIGH_HALF).rearrange(SWAP_HALF));
        FloatVector h23 = g.blend(p, HIGH_HALF).add(p.blend(g, HIGH_HALF).rearrange(SWAP_HALF));
        FloatVector h = h01.blend(h23, HIGH_QUARTER).add(h23.blend(h01, HIGH_QUARTER).rearrange(SWAP_QUARTER));
        if (L > 32) h = h.add(h.rearrange(SWAP_8));
        if (L > 16) h = h.add(h.rearrange(SWAP_4));
        if (L > 8) h = h.add(h.rearrange(SWAP_2));
        if (L > 4) h = h.add(h.rearrange(SWAP_1));
        double sumD = h.lane(0) + tc;
        double sumDD = h.lane(HALF) + ts;
        double sumG = h.lane(QUARTER) + tg;
        double sumGD = h.lane(HALF + QUARTER) + tp;

        double delta = sumD / cols;                                  // mean = mean0 + delta
        double variance = Math.max(0.0, sumDD / cols - delta * delta);
        double rstd = 1.0 / Math.sqrt(variance + eps);
        double meanG = sumG / cols;
        double cov = (sumGD - delta * sumG) / cols;                  // mean(g·(x - mean))
        // dx = rstd·(g - mean(g) - x̂·mean(g·x̂)) = rstd·((g - mean(g)) - (x - mean)·rstd²·cov)
        layerNormOut(cols, x, xb, mean0, (float) delta, (float) meanG, (float) (rstd * rstd * cov), (float) rstd,
                gamma, gb, dy, dyb, dx, dxb);
    }

    /**
     * dx ← ((dy·γ − meanG) − ((x − mean0) − delta)·c)·rstd over one row. {@code g − mean(g)} comes first so that
     * where it cancels (a gradient constant along the row) the result does too.
     */
    private static void layerNormOut(int cols, MemorySegment x, long xb, float mean0, float delta, float meanG,
                                     float c, float rstd, MemorySegment gamma, long gb, MemorySegment dy, long dyb,
                                     MemorySegment dx, long dxb) {
        float nc = -c;
        FloatVector vnc = FloatVector.broadcast(F, nc);
        int j = 0;
        for (int bound = cols - L; j <= bound; j += L) {
            long o = (long) j * Float.BYTES;
            FloatVector dm = FloatVector.fromMemorySegment(F, x, xb + o, LE).sub(mean0).sub(delta);
            FloatVector e = FloatVector.fromMemorySegment(F, dy, dyb + o, LE)
                    .mul(FloatVector.fromMemorySegment(F, gamma, gb + o, LE));
            dm.fma(vnc, e.sub(meanG)).mul(rstd).intoMemorySegment(dx, dxb + o, LE);
        }
        for (; j < cols; j++) {
            long o = (long) j * Float.BYTES;
            float dm = x.get(F32, xb + o) - mean0 - delta;
            float e = dy.get(F32, dyb + o) * gamma.get(F32, gb + o);
            dx.set(F32, dxb + o, Math.fma(dm, nc, e - meanG) * rstd);
        }
    }

    /** Σ x over one row: four accumulators, the butterfly lane sum, then the scalar tail. */
    private static float sum(int cols, MemorySegment x, long xb) {
        FloatVector s0 = FloatVector.zero(F);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        int j = 0;
        for (int bound = cols - 4 * L; j <= bound; j += 4 * L) {
            long o = xb + (long) j * Float.BYTES;
            s0 = s0.add(FloatVector.fromMemorySegment(F, x, o, LE));
            s1 = s1.add(FloatVector.fromMemorySegment(F, x, o + VB, LE));
            s2 = s2.add(FloatVector.fromMemorySegment(F, x, o + 2 * VB, LE));
            s3 = s3.add(FloatVector.fromMemorySegment(F, x, o + 3 * VB, LE));
        }
        for (int bound = cols - L; j <= bound; j += L) {
            s0 = s0.add(FloatVector.fromMemorySegment(F, x, xb + (long) j * Float.BYTES, LE));
        }
        float tail = 0f;
        for (; j < cols; j++) {
            tail += x.get(F32, xb + (long) j * Float.BYTES);
        }
        FloatVector v = s0.add(s1).add(s2.add(s3));
        if (L > 32) v = v.add(v.rearrange(SWAP_32));
        if (L > 16) v = v.add(v.rearrange(SWAP_16));
        if (L > 8) v = v.add(v.rearrange(SWAP_8));
        if (L > 4) v = v.add(v.rearrange(SWAP_4));
        v = v.add(v.rearrange(SWAP_2));
        v = v.add(v.rearrange(SWAP_1));
        return v.lane(0) + tail;
    }

    // --------------------------------------------------------------------------------------- softmaxBackward

    /** One row: dy ← scale · y ⊙ (dy − Σ dy·y), in place on dy. */
    static void softmaxRow(int cols, MemorySegment y, long yb, float scale, MemorySegment dy, long dyb) {
        float dot = dot(cols, y, yb, dy, dyb);
        int j = 0;
        for (int bound = cols - L; j <= bound; j += L) {
            long o = (long) j * Float.BYTES;
            FloatVector p = FloatVector.fromMemorySegment(F, y, yb + o, LE);
            FloatVector g = FloatVector.fromMemorySegment(F, dy, dyb + o, LE);
            p.mul(scale).mul(g.sub(dot)).intoMemorySegment(dy, dyb + o, LE);
        }
        for (; j < cols; j++) {
            long o = (long) j * Float.BYTES;
            dy.set(F32, dyb + o, y.get(F32, yb + o) * scale * (dy.get(F32, dyb + o) - dot));
        }
    }

    /** Σ a·b over one row: four accumulators, the butterfly lane sum, then the scalar tail. */
    private static float dot(int cols, MemorySegment a, long ab, MemorySegment b, long bb) {
        FloatVector s0 = FloatVector.zero(F);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        int j = 0;
        for (int bound = cols - 4 * L; j <= bound; j += 4 * L) {
            long o = (long) j * Float.BYTES;
            s0 = FloatVector.fromMemorySegment(F, a, ab + o, LE).fma(FloatVector.fromMemorySegment(F, b, bb + o, LE), s0);
            s1 = FloatVector.fromMemorySegment(F, a, ab + o + VB, LE)
                    .fma(FloatVector.fromMemorySegment(F, b, bb + o + VB, LE), s1);
            s2 = FloatVector.fromMemorySegment(F, a, ab + o + 2 * VB, LE)
                    .fma(FloatVector.fromMemorySegment(F, b, bb + o + 2 * VB, LE), s2);
            s3 = FloatVector.fromMemorySegment(F, a, ab + o + 3 * VB, LE)
                    .fma(FloatVector.fromMemorySegment(F, b, bb + o + 3 * VB, LE), s3);
        }
        for (int bound = cols - L; j <= bound; j += L) {
            long o = (long) j * Float.BYTES;
            s0 = FloatVector.fromMemorySegment(F, a, ab + o, LE).fma(FloatVector.fromMemorySegment(F, b, bb + o, LE), s0);
        }
        float tail = 0f;
        for (; j < cols; j++) {
            long o = (long) j * Float.BYTES;
            tail = Math.fma(a.get(F32, ab + o), b.get(F32, bb + o), tail);
        }
        FloatVector v = s0.add(s1).add(s2.add(s3));
        if (L > 32) v = v.add(v.rearrange(SWAP_32));
        if (L > 16) v = v.add(v.rearrange(SWAP_16));
        if (L > 8) v = v.add(v.rearrange(SWAP_8));
        if (L > 4) v = v.add(v.rearrange(SWAP_4));
        v = v.add(v.rearrange(SWAP_2));
        v = v.add(v.rearrange(SWAP_1));
        return v.lane(0) + tail;
    }

    // ----------------------------------------------------------------------------------------------- dropout

    /** out ← keeps(seed, index0 + i) ? x · 1/(1 − rate) : 0 over n floats; rate already checked; in place allowed. */
    static void dropout(long n, MemorySegment x, long xb, float rate, long seed, long index0, MemorySegment out,
                        long ob) {
        int threshold = ScalarBackward.threshold(rate);
        float keepScale = 1f / (1f - rate);
        int seedLo = (int) seed;
        int seedHi = (int) (seed >>> 32);
        long i = 0;
        for (long bound = n - L; i <= bound; i += L) {
            long o = i * Float.BYTES;
            long index = index0 + i;
            int lo = (int) index;
            if (Integer.compareUnsigned(lo, -L) > 0) { // lo + L - 1 carries into the high word: lanes differ there
                dropoutScalar(L, x, xb + o, keepScale, threshold, seed, index, out, ob + o);
                continue;
            }
            // ScalarBackward.hash on lanes lo, lo + 1, …, all with the high word of index
            int c = Integer.rotateLeft((int) (index >>> 32), 16) ^ seedLo;
            IntVector h = IOTA.add(lo).lanewise(VectorOperators.XOR, c).mul(0x9E3779B9).lanewise(VectorOperators.XOR, seedHi);
            h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16)).mul(0x7FEB352D);
            h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 15)).mul(0x846CA68B);
            h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16));
            VectorMask<Float> keep = h.lanewise(VectorOperators.LSHR, 8).compare(VectorOperators.GE, threshold).cast(F);
            FloatVector v = FloatVector.fromMemorySegment(F, x, xb + o, LE).mul(keepScale);
            ZERO.blend(v, keep).intoMemorySegment(out, ob + o, LE);
        }
        dropoutScalar(n - i, x, xb + i * Float.BYTES, keepScale, threshold, seed, index0 + i, out, ob + i * Float.BYTES);
    }

    private static void dropoutScalar(long n, MemorySegment x, long xb, float keepScale, int threshold, long seed,
                                      long index0, MemorySegment out, long ob) {
        for (long i = 0; i < n; i++) {
            long o = i * Float.BYTES;
            boolean keep = (ScalarBackward.hash(seed, index0 + i) >>> 8) >= threshold;
            out.set(F32, ob + o, keep ? x.get(F32, xb + o) * keepScale : 0f);
        }
    }

    // -------------------------------------------------------------------------------------------- columnSums

    /** out[j] (+)= Σ_r a[r, j] (· b[r, j]); row strides in bytes; see the class comment for the summation order. */
    static void columnSums(int rows, int cols, MemorySegment a, long ab, long aRow, MemorySegment b, long bb,
                           long bRow, boolean accumulate, MemorySegment out, long ob) {
        if (!accumulate) {
            VectorKernels.zero(cols, out, ob);
        }
        for (int r0 = 0; r0 < rows; r0 += COLUMN_BLOCK) {
            int count = Math.min(COLUMN_BLOCK, rows - r0);
            if (b == null) {
                sumBlock(count, cols, a, ab + r0 * aRow, aRow, out, ob);
            } else {
                dotBlock(count, cols, a, ab + r0 * aRow, aRow, b, bb + r0 * bRow, bRow, out, ob);
            }
        }
    }

    /** out[j] += Σ over count rows of a[r, j]. */
    private static void sumBlock(int count, int cols, MemorySegment a, long ab, long aRow, MemorySegment out, long ob) {
        int j = 0;
        for (int bound = cols - 4 * L; j <= bound; j += 4 * L) {
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = s0;
            FloatVector s2 = s0;
            FloatVector s3 = s0;
            long o = ab + (long) j * Float.BYTES;
            for (int r = 0; r < count; r++, o += aRow) {
                s0 = s0.add(FloatVector.fromMemorySegment(F, a, o, LE));
                s1 = s1.add(FloatVector.fromMemorySegment(F, a, o + VB, LE));
                s2 = s2.add(FloatVector.fromMemorySegment(F, a, o + 2 * VB, LE));
                s3 = s3.add(FloatVector.fromMemorySegment(F, a, o + 3 * VB, LE));
            }
            long p = ob + (long) j * Float.BYTES;
            FloatVector.fromMemorySegment(F, out, p, LE).add(s0).intoMemorySegment(out, p, LE);
            FloatVector.fromMemorySegment(F, out, p + VB, LE).add(s1).intoMemorySegment(out, p + VB, LE);
            FloatVector.fromMemorySegment(F, out, p + 2 * VB, LE).add(s2).intoMemorySegment(out, p + 2 * VB, LE);
            FloatVector.fromMemorySegment(F, out, p + 3 * VB, LE).add(s3).intoMemorySegment(out, p + 3 * VB, LE);
        }
        for (int bound = cols - L; j <= bound; j += L) {
            FloatVector s = FloatVector.zero(F);
            long o = ab + (long) j * Float.BYTES;
            for (int r = 0; r < count; r++, o += aRow) {
                s = s.add(FloatVector.fromMemorySegment(F, a, o, LE));
            }
            long p = ob + (long) j * Float.BYTES;
            FloatVector.fromMemorySegment(F, out, p, LE).add(s).intoMemorySegment(out, p, LE);
        }
        for (; j < cols; j++) { // the same operations as a lane
            float s = 0f;
            long o = ab + (long) j * Float.BYTES;
            for (int r = 0; r < count; r++, o += aRow) {
                s += a.get(F32, o);
            }
            long p = ob + (long) j * Float.BYTES;
            out.set(F32, p, out.get(F32, p) + s);
        }
    }

    /** out[j] += Σ over count rows of a[r, j]·b[r, j] (fused multiply-adds). */
    private static void dotBlock(int count, int cols, MemorySegment a, long ab, long aRow, MemorySegment b, long bb,
                                 long bRow, MemorySegment out, long ob) {
        int j = 0;
        for (int bound = cols - 4 * L; j <= bound; j += 4 * L) {
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = s0;
            FloatVector s2 = s0;
            FloatVector s3 = s0;
            long o = ab + (long) j * Float.BYTES;
            long q = bb + (long) j * Float.BYTES;
            for (int r = 0; r < count; r++, o += aRow, q += bRow) {
                s0 = FloatVector.fromMemorySegment(F, a, o, LE).fma(FloatVector.fromMemorySegment(F, b, q, LE), s0);
                s1 = FloatVector.fromMemorySegment(F, a, o + VB, LE).fma(FloatVector.fromMemorySegment(F, b, q + VB, LE), s1);
                s2 = FloatVector.fromMemorySegment(F, a, o + 2 * VB, LE)
                        .fma(FloatVector.fromMemorySegment(F, b, q + 2 * VB, LE), s2);
                s3 = FloatVector.fromMemorySegment(F, a, o + 3 * VB, LE)
                        .fma(FloatVector.fromMemorySegment(F, b, q + 3 * VB, LE), s3);
            }
            long p = ob + (long) j * Float.BYTES;
            FloatVector.fromMemorySegment(F, out, p, LE).add(s0).intoMemorySegment(out, p, LE);
            FloatVector.fromMemorySegment(F, out, p + VB, LE).add(s1).intoMemorySegment(out, p + VB, LE);
            FloatVector.fromMemorySegment(F, out, p + 2 * VB, LE).add(s2).intoMemorySegment(out, p + 2 * VB, LE);
            FloatVector.fromMemorySegment(F, out, p + 3 * VB, LE).add(s3).intoMemorySegment(out, p + 3 * VB, LE);
        }
        for (int bound = cols - L; j <= bound; j += L) {
            FloatVector s = FloatVector.zero(F);
            long o = ab + (long) j * Float.BYTES;
            long q = bb + (long) j * Float.BYTES;
            for (int r = 0; r < count; r++, o += aRow, q += bRow) {
                s = FloatVector.fromMemorySegment(F, a, o, LE).fma(FloatVector.fromMemorySegment(F, b, q, LE), s);
            }
            long p = ob + (long) j * Float.BYTES;
            FloatVector.fromMemorySegment(F, out, p, LE).add(s).intoMemorySegment(out, p, LE);
        }
        for (; j < cols; j++) { // the same operations as a lane
            float s = 0f;
            long o = ab + (long) j * Float.BYTES;
            long q = bb + (long) j * Float.BYTES;
            for (int r = 0; r < count; r++, o += aRow, q += bRow) {
                s = Math.fma(a.get(F32, o), b.get(F32, q), s);
            }
            long p = ob + (long) j * Float.BYTES;
            out.set(F32, p, out.get(F32, p) + s);
        }
    }

    // ----------------------------------------------------------------------------------- transpose, multiply

    /**
     * out[j, i] ← x[i, j]; row strides in bytes. Tiles of {@value #TILE_ROWS} rows of x by {@value #TILE} columns:
     * within a tile each row of out gets {@value #TILE_ROWS} consecutive words (a whole cache line) in one go, while
     * the tile's rows of x stay in L1. (Walking a row of x instead would touch {@value #TILE} lines of out at once,
     * which with a power-of-two stride all fall into the same cache set.)
     */
    static void transpose(int rows, int cols, MemorySegment x, long xb, long xRow, MemorySegment out, long ob,
                          long outRow) {
        for (int j0 = 0; j0 < cols; j0 += TILE) {
            int j1 = Math.min(cols, j0 + TILE);
            for (int i0 = 0; i0 < rows; i0 += TILE_ROWS) {
                int count = Math.min(TILE_ROWS, rows - i0);
                for (int j = j0; j < j1; j++) {
                    long src = xb + i0 * xRow + (long) j * Integer.BYTES;
                    long dst = ob + j * outRow + (long) i0 * Integer.BYTES;
                    for (int i = 0; i < count; i++, src += xRow) {
                        out.set(I32, dst + (long) i * Integer.BYTES, x.get(I32, src));
                    }
                }
            }
        }
    }

    /** out ← a ⊙ b over n floats; in place allowed. */
    static void multiply(long n, MemorySegment a, long ab, MemorySegment b, long bb, MemorySegment out, long ob) {
        long i = 0;
        for (long bound = n - L; i <= bound; i += L) {
            long o = i * Float.BYTES;
            FloatVector.fromMemorySegment(F, a, ab + o, LE)
                    .mul(FloatVector.fromMemorySegment(F, b, bb + o, LE))
                    .intoMemorySegment(out, ob + o, LE);
        }
        for (; i < n; i++) {
            long o = i * Float.BYTES;
            out.set(F32, ob + o, a.get(F32, ab + o) * b.get(F32, bb + o));
        }
    }
}
