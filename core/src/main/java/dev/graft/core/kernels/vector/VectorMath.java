package dev.graft.core.kernels.vector;

import dev.graft.core.kernels.Activation;
import dev.graft.core.kernels.ScalarMath;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Activation math and softmax exponentials over rows of floats, shared by the GEMM epilogue and the element-wise
 * kernels, plus the constants of the fixed-order lane sums every kernel of this package uses (and the species,
 * byte order and element layouts {@link VectorBackward} shares).
 *
 * <h2>Same bits in every execution mode</h2>
 * A Vector API method runs either as a C2 intrinsic or as its Java fallback (interpreter, C1, a C2 call site
 * that was not inlined), and the JIT picks per call site and may change its mind (new threads, deopts,
 * recompilation). Two kinds of operations give different bits in the two modes, so they are not used here:
 * <ul>
 *   <li>{@code lanewise(EXP / TANH / …)}: SVML when intrinsified, a per-lane {@code Math}/{@code StrictMath}
 *       call in the fallback; the two differ in the last bit.</li>
 *   <li>{@code reduceLanes(ADD)} on floats: C2 adds the lanes in a tree (it marks Vector API reductions as not
 *       needing strict order), the fallback left to right.</li>
 * </ul>
 * Instead every kernel is built from operations that IEEE 754 rounds exactly in every mode — lane-wise add,
 * sub, mul, div, fma, min/max, compares, blends, rearranges, integer bit operations — so a result depends only on
 * the inputs, never on how the code was compiled. Concretely:
 * <ul>
 *   <li><b>exp</b> is Cody–Waite range reduction {@code x = n·ln2 + r}, {@code |r| ≤ ln2/2}, a degree-7 Taylor
 *       polynomial {@code q = e^r - 1} (truncation 5e-9 relative) and {@code e^x = 2^n + 2^n·q} in one fma, with
 *       2^n built from the exponent bits: within 1 ulp of {@code Math.exp}; exactly 0 below -87.34 (the smallest
 *       normal float; so e^-∞ = 0), saturating at e^88 ≈ 1.65e38 above 88; NaN stays NaN.</li>
 *   <li><b>tanh</b> is {@code expm1(2|x|) / (expm1(2|x|) + 2)} with the sign of x, expm1 from the same pieces
 *       ({@code 2^n·q + (2^n - 1)} in one fma), so it keeps its relative accuracy near 0.</li>
 *   <li><b>GELU</b> is {@code x - x/2·erfc(|x|/√2)} with erfc from Abramowitz &amp; Stegun 7.1.26 (the polynomial
 *       {@code ScalarMath} uses) times the exp above; inputs clamped to ±20 so that infinities do not become
 *       NaN.</li>
 *   <li><b>Lane sums</b> are a butterfly: {@code v + v.rearrange(i ^ d)} for d = L/2, …, 1, then lane 0 — the
 *       same tree in every mode. Sums of four vectors at once (the NT dot products) first interleave them with
 *       blends ({@link #HIGH_HALF}, {@link #HIGH_QUARTER}), which is the same number of rearranges as one
 *       sum. MAX/MIN reductions are order-independent and stay {@code reduceLanes}.</li>
 *   <li>Scalar tails use {@code Math.exp} / {@code Math.fma} / {@link ScalarMath}, which HotSpot computes with
 *       the same code in every tier.</li>
 * </ul>
 *
 * <h2>No vector crosses a call</h2>
 * A vector passed to or returned from a method that C2 did not inline is boxed (allocated). So the public
 * surface here is loops over arrays or segments with scalar parameters: if C2 inlines one, fine; if not (its
 * caller is too big, the site is cold), it is a plain call. The exp steps are written out in each loop rather
 * than in a helper for the same reason; the lane-sum steps likewise at each use, with the shuffles and masks
 * defined here.
 */
final class VectorMath {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());
    /** Lanes per vector. */
    static final int L = S.length();
    /** The byte order of every tensor, and its unaligned element layouts. */
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    // Butterfly shuffles of the fixed-order lane sums: SWAP_d maps lane i to lane i ^ d (null when d ≥ L: every
    // use is guarded by L > d, a constant the JIT folds).
    static final VectorShuffle<Float> SWAP_32 = swap(32);
    static final VectorShuffle<Float> SWAP_16 = swap(16);
    static final VectorShuffle<Float> SWAP_8 = swap(8);
    static final VectorShuffle<Float> SWAP_4 = swap(4);
    static final VectorShuffle<Float> SWAP_2 = swap(2);
    static final VectorShuffle<Float> SWAP_1 = swap(1);
    /** Half and quarter distances of the four-vector sum; lane i ^ HALF / ^ QUARTER. */
    static final int HALF = L / 2;
    static final int QUARTER = L / 4;
    static final VectorShuffle<Float> SWAP_HALF = swap(HALF);
    static final VectorShuffle<Float> SWAP_QUARTER = swap(QUARTER);
    /** Lanes whose index has the HALF bit set (the upper half). */
    static final VectorMask<Float> HIGH_HALF = VectorMask.fromLong(S, bitSet(HALF));
    /** Lanes whose index has the QUARTER bit set. */
    static final VectorMask<Float> HIGH_QUARTER = VectorMask.fromLong(S, bitSet(QUARTER));

    // exp
    static final float LOG2E = 1.44269504088896341f;
    /** ln2 = LN2_HI + LN2_LO; LN2_HI has 9 significant bits, so n·LN2_HI is exact for |n| ≤ 128 (Cody–Waite). */
    static final float LN2_HI = 0.693359375f;
    static final float LN2_LO = -2.12194440e-4f;
    /** 1.5·2^23: x·log2e + ROUND rounds to an integer n, held in the low mantissa bits of the sum. */
    static final float ROUND = 12582912f;
    /** Below this e^x is under the smallest normal float: returned as exactly 0 (so e^-∞ = 0). */
    static final float EXP_LO = -87.33654f;
    /** Above this e^x saturates at e^88 ≈ 1.65e38 (2^n stays a normal float). */
    static final float EXP_HI = 88f;
    /** 127 in the exponent field: (n << 23) + BIAS is the bit pattern of 2^n. */
    static final int BIAS = 127 << 23;
    // q = e^r - 1 = r·(1 + r·(1/2 + r·(1/6 + r·(1/24 + r·(1/120 + r·(1/720 + r/5040)))))), Horner with fmas
    static final float E7 = 1f / 5040;
    static final float E6 = 1f / 720;
    static final FloatVector E5 = FloatVector.broadcast(S, 1f / 120);
    static final FloatVector E4 = FloatVector.broadcast(S, 1f / 24);
    static final FloatVector E3 = FloatVector.broadcast(S, 1f / 6);
    static final FloatVector E2 = FloatVector.broadcast(S, 1f / 2);
    static final FloatVector ONE = FloatVector.broadcast(S, 1f);
    static final FloatVector MINUS_LN2_LO = FloatVector.broadcast(S, -LN2_LO);
    static final FloatVector ZERO = FloatVector.zero(S);

    // GELU / erfc (A&S 7.1.26): ScalarMath's constants rounded to float (constant expressions, folded by javac)
    static final float P = (float) ScalarMath.ERFC_P;
    static final float A1 = (float) ScalarMath.ERFC_A1;
    static final float A2 = (float) ScalarMath.ERFC_A2;
    static final float A3 = (float) ScalarMath.ERFC_A3;
    static final float A4 = (float) ScalarMath.ERFC_A4;
    static final float A5 = (float) ScalarMath.ERFC_A5;
    static final FloatVector VA1 = FloatVector.broadcast(S, A1);
    static final FloatVector VA2 = FloatVector.broadcast(S, A2);
    static final FloatVector VA3 = FloatVector.broadcast(S, A3);
    static final float INV_SQRT2 = (float) ScalarMath.INV_SQRT2;
    static final float GELU_CLAMP = (float) ScalarMath.GELU_CLAMP;
    /** 1/√(2π) (GELU's derivative). */
    static final float INV_SQRT_2PI = (float) ScalarMath.INV_SQRT_2PI;
    /** tanh(x) is 1 in float for |x| ≥ 9.01; 2|x| is clamped to 40 so that e^{2|x|} stays finite. */
    static final float TANH_CLAMP = 40f;

    static {
        if (L < 4 || L > 64) {
            throw new IllegalStateException("vector kernels need 4 to 64 float lanes, the platform has " + L);
        }
    }

    private VectorMath() {
    }

    private static VectorShuffle<Float> swap(int d) {
        return d >= L ? null : VectorShuffle.fromOp(S, i -> i ^ d);
    }

    private static long bitSet(int d) {
        long bits = 0;
        for (int i = 0; i < L; i++) {
            if ((i & d) != 0) {
                bits |= 1L << i;
            }
        }
        return bits;
    }

    // ------------------------------------------------------------------------------------------------ softmax

    /**
     * x ← e^(x·scale - max) over one row of {@code cols} floats (byte offset {@code xb}); returns their sum. Whole
     * vectors through the polynomial exp, the last {@code cols % L} columns through {@code Math.exp}; the sum is
     * the vector lanes' butterfly sum plus the tail added left to right.
     */
    static float expRow(int cols, MemorySegment x, long xb, float scale, float max) {
        FloatVector sum = FloatVector.zero(S); // not ZERO: a loop phi that starts from a constant box stays boxed
        int j = 0;
        for (int bound = cols - L; j <= bound; j += L) {
            long o = xb + (long) j * Float.BYTES;
            FloatVector v = FloatVector.fromMemorySegment(S, x, o, LE).fma(scale, -max);
            // e^v (see the class comment)
            FloatVector xc = v.max(EXP_LO).min(EXP_HI);
            FloatVector t = xc.fma(LOG2E, ROUND);
            FloatVector n = t.sub(ROUND);
            FloatVector r = n.fma(MINUS_LN2_LO, xc.sub(n.mul(LN2_HI)));
            FloatVector q = r.fma(E7, E6).fma(r, E5).fma(r, E4).fma(r, E3).fma(r, E2).fma(r, ONE).mul(r);
            FloatVector p = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).add(BIAS).reinterpretAsFloats();
            FloatVector e = q.fma(p, p).blend(ZERO, v.compare(VectorOperators.LT, EXP_LO));
            e.intoMemorySegment(x, o, LE);
            sum = sum.add(e);
        }
        float tail = 0f; // scalar tail: masked memory access can compile to allocating code
        for (; j < cols; j++) {
            long o = xb + (long) j * Float.BYTES;
            float e = (float) Math.exp(Math.fma(x.get(F32, o), scale, -max));
            x.set(F32, o, e);
            tail += e;
        }
        // fixed-order lane sum (see the class comment)
        if (L > 32) sum = sum.add(sum.rearrange(SWAP_32));
        if (L > 16) sum = sum.add(sum.rearrange(SWAP_16));
        if (L > 8) sum = sum.add(sum.rearrange(SWAP_8));
        if (L > 4) sum = sum.add(sum.rearrange(SWAP_4));
        sum = sum.add(sum.rearrange(SWAP_2));
        sum = sum.add(sum.rearrange(SWAP_1));
        return sum.lane(0) + tail;
    }

    /**
     * {@link #expRow} over the columns whose i32 key mask (byte offset {@code mb}) is non-zero, exactly 0 in the
     * others. A loop of its own rather than a branch in {@link #expRow}'s: vectors merged from two paths make C2
     * box them.
     */
    static float expRowMasked(int cols, MemorySegment x, long xb, float scale, float max, MemorySegment mask, long mb) {
        FloatVector sum = FloatVector.zero(S); // not ZERO: a loop phi that starts from a constant box stays boxed
        int j = 0;
        for (int bound = cols - L; j <= bound; j += L) {
            long o = (long) j * Float.BYTES;
            VectorMask<Float> drop = IntVector.fromMemorySegment(I, mask, mb + o, LE).compare(VectorOperators.EQ, 0).cast(S);
            FloatVector v = FloatVector.fromMemorySegment(S, x, xb + o, LE).fma(scale, -max);
            // e^v (see the class comment)
            FloatVector xc = v.max(EXP_LO).min(EXP_HI);
            FloatVector t = xc.fma(LOG2E, ROUND);
            FloatVector n = t.sub(ROUND);
            FloatVector r = n.fma(MINUS_LN2_LO, xc.sub(n.mul(LN2_HI)));
            FloatVector q = r.fma(E7, E6).fma(r, E5).fma(r, E4).fma(r, E3).fma(r, E2).fma(r, ONE).mul(r);
            FloatVector p = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).add(BIAS).reinterpretAsFloats();
            FloatVector e = q.fma(p, p).blend(ZERO, v.compare(VectorOperators.LT, EXP_LO).or(drop));
            e.intoMemorySegment(x, xb + o, LE);
            sum = sum.add(e);
        }
        float tail = 0f; // scalar tail: masked memory access can compile to allocating code
        for (; j < cols; j++) {
            long o = (long) j * Float.BYTES;
            float e = mask.get(I32, mb + o) == 0 ? 0f : (float) Math.exp(Math.fma(x.get(F32, xb + o), scale, -max));
            x.set(F32, xb + o, e);
            tail += e;
        }
        // fixed-order lane sum (see the class comment)
        if (L > 32) sum = sum.add(sum.rearrange(SWAP_32));
        if (L > 16) sum = sum.add(sum.rearrange(SWAP_16));
        if (L > 8) sum = sum.add(sum.rearrange(SWAP_8));
        if (L > 4) sum = sum.add(sum.rearrange(SWAP_4));
        sum = sum.add(sum.rearrange(SWAP_2));
        sum = sum.add(sum.rearrange(SWAP_1));
        return sum.lane(0) + tail;
    }

    // ------------------------------------------------------------------------------------------------- GELU

    /** out ← GELU(x) over n floats; byte offsets; in place allowed. Whole vectors, then {@link ScalarMath#gelu}. */
    static void gelu(long n, MemorySegment x, long xb, MemorySegment out, long ob) {
        long i = 0;
        for (long bound = n - L; i <= bound; i += L) {
            long o = i * Float.BYTES;
            FloatVector v = FloatVector.fromMemorySegment(S, x, xb + o, LE);
            // GELU(v) (see the class comment)
            FloatVector vc = v.max(-GELU_CLAMP).min(GELU_CLAMP);
            FloatVector z = vc.abs().mul(INV_SQRT2);
            FloatVector a = z.fma(P, 1f);
            a = ONE.div(a);
            FloatVector poly = a.fma(A5, A4).fma(a, VA3).fma(a, VA2).fma(a, VA1).mul(a);
            FloatVector w = z.mul(z).neg();                     // e^w, w ≤ 0
            FloatVector wc = w.max(EXP_LO);
            FloatVector t = wc.fma(LOG2E, ROUND);
            FloatVector m = t.sub(ROUND);
            FloatVector r = m.fma(MINUS_LN2_LO, wc.sub(m.mul(LN2_HI)));
            FloatVector q = r.fma(E7, E6).fma(r, E5).fma(r, E4).fma(r, E3).fma(r, E2).fma(r, ONE).mul(r);
            FloatVector p = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).add(BIAS).reinterpretAsFloats();
            FloatVector e = q.fma(p, p).blend(ZERO, w.compare(VectorOperators.LT, EXP_LO));
            FloatVector h = vc.mul(0.5f).mul(poly.mul(e));      // x/2 · erfc(|x|/√2)
            v.sub(h).blend(h, v.compare(VectorOperators.LT, 0f)).intoMemorySegment(out, ob + o, LE);
        }
        for (; i < n; i++) {
            long o = i * Float.BYTES;
            out.set(F32, ob + o, ScalarMath.gelu(x.get(F32, xb + o)));
        }
    }

    /** a[off …] ← GELU over n floats in place: whole vectors, then {@link ScalarMath}. Same math as the segment one. */
    static void gelu(float[] arr, int off, int n) {
        int i = 0;
        for (int bound = n - L; i <= bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, arr, off + i);
            // GELU(v) (see the class comment)
            FloatVector vc = v.max(-GELU_CLAMP).min(GELU_CLAMP);
            FloatVector z = vc.abs().mul(INV_SQRT2);
            FloatVector a = z.fma(P, 1f);
            a = ONE.div(a);
            FloatVector poly = a.fma(A5, A4).fma(a, VA3).fma(a, VA2).fma(a, VA1).mul(a);
            FloatVector w = z.mul(z).neg();                     // e^w, w ≤ 0
            FloatVector wc = w.max(EXP_LO);
            FloatVector t = wc.fma(LOG2E, ROUND);
            FloatVector m = t.sub(ROUND);
            FloatVector r = m.fma(MINUS_LN2_LO, wc.sub(m.mul(LN2_HI)));
            FloatVector q = r.fma(E7, E6).fma(r, E5).fma(r, E4).fma(r, E3).fma(r, E2).fma(r, ONE).mul(r);
            FloatVector p = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).add(BIAS).reinterpretAsFloats();
            FloatVector e = q.fma(p, p).blend(ZERO, w.compare(VectorOperators.LT, EXP_LO));
            FloatVector h = vc.mul(0.5f).mul(poly.mul(e));      // x/2 · erfc(|x|/√2)
            v.sub(h).blend(h, v.compare(VectorOperators.LT, 0f)).intoArray(arr, off + i);
        }
        for (; i < n; i++) {
            arr[off + i] = ScalarMath.apply(Activation.GELU, arr[off + i]);
        }
    }

    // ------------------------------------------------------------------------------------------ tanh, relu

    /** a[off …] ← tanh over n floats in place: whole vectors, then {@link ScalarMath}. */
    static void tanh(float[] arr, int off, int n) {
        int i = 0;
        for (int bound = n - L; i <= bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, arr, off + i);
            FloatVector y = v.abs().mul(2f).min(TANH_CLAMP);  // NaN stays NaN
            // expm1(y) = 2^n·q + (2^n - 1) (see the class comment)
            FloatVector t = y.fma(LOG2E, ROUND);
            FloatVector m = t.sub(ROUND);
            FloatVector r = m.fma(MINUS_LN2_LO, y.sub(m.mul(LN2_HI)));
            FloatVector q = r.fma(E7, E6).fma(r, E5).fma(r, E4).fma(r, E3).fma(r, E2).fma(r, ONE).mul(r);
            FloatVector p = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).add(BIAS).reinterpretAsFloats();
            FloatVector em1 = q.fma(p, p.sub(1f));
            FloatVector th = em1.div(em1.add(2f));              // tanh|x|
            IntVector sign = v.reinterpretAsInts().and(Integer.MIN_VALUE);
            th.reinterpretAsInts().or(sign).reinterpretAsFloats().intoArray(arr, off + i); // with the sign of x
        }
        for (; i < n; i++) {
            arr[off + i] = ScalarMath.apply(Activation.TANH, arr[off + i]);
        }
    }

    /** a[off …] ← max(0, x) over n floats in place. */
    static void relu(float[] arr, int off, int n) {
        int i = 0;
        for (int bound = n - L; i <= bound; i += L) {
            FloatVector.fromArray(S, arr, off + i).max(0f).intoArray(arr, off + i);
        }
        for (; i < n; i++) {
            arr[off + i] = ScalarMath.apply(Activation.RELU, arr[off + i]);
        }
    }
}
