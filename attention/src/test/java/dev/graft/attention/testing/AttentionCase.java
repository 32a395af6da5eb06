package dev.graft.attention.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.attention.AttentionKernel;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.util.Arrays;
import java.util.Random;

/**
 * A random multi-head attention problem and the plain reference that every kernel is checked against.
 *
 * <p>Layout as a backbone passes it: Q, K and V are column blocks of one fused buffer (row stride
 * {@code 3·H + 5}, H = heads · d), the output has row stride {@code H + 3} and starts at element 2; everything the
 * kernel must not write holds a sentinel, checked after every run.
 *
 * <p>The reference ({@link #reference}) is written as plain loops from the definition: for every sequence, head and
 * query i (padded queries included), the scores {@code q_i · k_j · scale} of the keys j the pattern allows and the
 * padding mask keeps, optionally only the k largest of them, a softmax in double, and the weighted sum of values;
 * a query with no key gets zeros.
 */
public final class AttentionCase implements AutoCloseable {
    private static final float SENTINEL = -555.5f;

    /** Which key (query i, key j) of sequence b, head h a pattern allows, before padding. */
    @FunctionalInterface
    public interface Allowed {
        boolean test(int b, int h, int i, int j);
    }

    /** How the padding mask looks. */
    public enum Mask {
        /** no mask (null) */
        NONE,
        /** ones then zeros, random lengths (one sequence full, one empty when batch ≥ 3) */
        RIGHT_PADDED,
        /** random zeros anywhere (one sequence all zeros when batch ≥ 3) */
        HOLES
    }

    public final int batch;
    public final int tokens;
    public final int heads;
    public final int d;
    public final float scale;
    public final int width;
    public final int ld;
    public final int ldOut;
    public final int outOff = 2;
    private final float[] qkv;
    private final int[] mask;
    private final TensorArena arena;
    private final Tensor qkvT;
    private final Tensor maskT;
    private final Tensor outT;

    private AttentionCase(Random random, int batch, int tokens, int heads, int d, Mask kind, float range, boolean dyadic) {
        this.batch = batch;
        this.tokens = tokens;
        this.heads = heads;
        this.d = d;
        this.scale = (float) (1 / Math.sqrt(d));
        this.width = heads * d;
        this.ld = 3 * width + 5;
        this.ldOut = width + 3;
        int rows = batch * tokens;
        qkv = new float[Math.max(1, rows * ld)];
        for (int i = 0; i < qkv.length; i++) {
            qkv[i] = (random.nextFloat() * 2 - 1) * range;
        }
        if (dyadic) { // multiples of 1/8: every dot product is exact in float, so score order (and ties) is exact
            for (int i = 0; i < qkv.length; i++) {
                qkv[i] = Math.round(qkv[i] * 8) / 8f;
            }
        }
        for (int r = 0; r < rows; r++) { // values in [-1, 1]
            for (int c = 2 * width; c < 3 * width; c++) {
                qkv[r * ld + c] /= range;
            }
        }
        mask = switch (kind) {
            case NONE -> null;
            case RIGHT_PADDED -> {
                int[] m = new int[rows];
                for (int b = 0; b < batch; b++) {
                    int len = b == 0 ? tokens : b == 2 ? 0 : random.nextInt(tokens + 1);
                    Arrays.fill(m, b * tokens, b * tokens + len, 1);
                }
                yield m;
            }
            case HOLES -> {
                int[] m = new int[rows];
                for (int i = 0; i < rows; i++) {
                    m[i] = i / Math.max(1, tokens) == 2 || random.nextDouble() < 0.3 ? 0 : 1;
                }
                yield m;
            }
        };
        arena = TensorArena.root("attention-case");
        qkvT = arena.copyOf(qkv, qkv.length);
        maskT = mask == null ? null : arena.copyOf(mask.length == 0 ? new int[1] : mask, Math.max(1, mask.length));
        outT = arena.allocateUninitialized(DType.F32, outOff + (long) Math.max(1, rows) * ldOut + 7);
    }

    /** Q and K uniform in [-range, range], V in [-1, 1]. */
    public static AttentionCase random(long seed, int batch, int tokens, int heads, int d, Mask mask, float range) {
        return new AttentionCase(new Random(seed), batch, tokens, heads, d, mask, range, false);
    }

    /**
     * Q and K multiples of 1/8 in [-2, 2], so that scores are exact whatever the summation order: a top-k choice
     * cannot differ between kernel and reference by rounding (exact ties are possible, and defined).
     */
    public static AttentionCase dyadic(long seed, int batch, int tokens, int heads, int d, Mask mask) {
        return new AttentionCase(new Random(seed), batch, tokens, heads, d, mask, 2f, true);
    }

    public static AttentionCase random(long seed, int batch, int tokens, int heads, int d, Mask mask) {
        return random(seed, batch, tokens, heads, d, mask, 1.5f);
    }

    /** Whether key j of sequence b is real (mask 1, or no mask). */
    public boolean kept(int b, int j) {
        return mask == null || mask[b * tokens + j] != 0;
    }

    /** One past the last real key of sequence b. */
    public int keys(int b) {
        int last = -1;
        for (int j = 0; j < tokens; j++) {
            if (kept(b, j)) {
                last = j;
            }
        }
        return last + 1;
    }

    /** Runs the kernel; returns the output as [batch · tokens, heads · d], after checking nothing else was written. */
    public float[] run(AttentionKernel kernel) {
        fillOut();
        kernel.attend(batch, tokens, heads, d, scale, qkvT.segment(), 0, qkvT.segment(), width, qkvT.segment(), 2L * width, ld,
                maskT == null ? null : maskT.segment(), 0, outT.segment(), outOff, ldOut);
        float[] all = outT.toFloatArray();
        int rows = batch * tokens;
        float[] out = new float[rows * width];
        for (int i = 0; i < all.length; i++) {
            int rel = i - outOff;
            boolean inside = rel >= 0 && rel / ldOut < rows && rel % ldOut < width;
            if (inside) {
                out[(rel / ldOut) * width + rel % ldOut] = all[i];
            } else {
                assertThat(all[i]).as("output element %s outside the result rows", i).isEqualTo(SENTINEL);
            }
        }
        return out;
    }

    private void fillOut() {
        for (long i = 0; i < outT.elementCount(); i++) {
            outT.setFloat(i, SENTINEL);
        }
    }

    /** The masked-dense reference; {@code topK > 0} keeps only the k largest allowed scores of each query. */
    public double[] reference(Allowed allowed, int topK) {
        double[] out = new double[batch * tokens * width];
        double[] s = new double[tokens];
        boolean[] in = new boolean[tokens];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < tokens; i++) {
                    int row = b * tokens + i;
                    // 1. the full row of scores, and which keys the pattern and the padding mask allow
                    int count = 0;
                    for (int j = 0; j < tokens; j++) {
                        in[j] = allowed.test(b, h, i, j) && kept(b, j);
                        double dot = 0;
                        for (int c = 0; c < d; c++) {
                            dot += (double) q(row, h, c) * k(b * tokens + j, h, c);
                        }
                        s[j] = (float) ((float) dot) * (double) scale; // the kernels round the dot product to float
                        count += in[j] ? 1 : 0;
                    }
                    // 2. top-k: only scores >= the k-th largest allowed one stay
                    if (topK > 0 && count > topK) {
                        double[] sorted = new double[count];
                        int n = 0;
                        for (int j = 0; j < tokens; j++) {
                            if (in[j]) {
                                sorted[n++] = s[j];
                            }
                        }
                        Arrays.sort(sorted);
                        double kth = sorted[count - topK];
                        for (int j = 0; j < tokens; j++) {
                            in[j] &= s[j] >= kth;
                        }
                    }
                    // 3. softmax over the allowed keys, 4. weighted sum of their values
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < tokens; j++) {
                        if (in[j]) {
                            max = Math.max(max, s[j]);
                        }
                    }
                    double z = 0;
                    double[] o = new double[d];
                    for (int j = 0; j < tokens; j++) {
                        if (in[j]) {
                            double p = Math.exp(s[j] - max);
                            z += p;
                            for (int c = 0; c < d; c++) {
                                o[c] += p * v(b * tokens + j, h, c);
                            }
                        }
                    }
                    for (int c = 0; c < d; c++) {
                        out[row * width + h * d + c] = z == 0 ? 0 : o[c] / z;
                    }
                }
            }
        }
        return out;
    }

    /** Dense attention's reference. */
    public double[] dense() {
        return reference((b, h, i, j) -> true, 0);
    }

    private float q(int row, int h, int c) {
        return qkv[row * ld + h * d + c];
    }

    private float k(int row, int h, int c) {
        return qkv[row * ld + width + h * d + c];
    }

    private float v(int row, int h, int c) {
        return qkv[row * ld + 2 * width + h * d + c];
    }

    /** max |got − want|. */
    public static double maxAbsDiff(float[] got, double[] want) {
        assertThat(got).hasSize(want.length);
        double max = 0;
        for (int i = 0; i < got.length; i++) {
            double e = Math.abs(got[i] - want[i]);
            if (Double.isNaN(e)) {
                return Double.NaN;
            }
            max = Math.max(max, e);
        }
        return max;
    }

    @Override
    public void close() {
        arena.close();
        assertThat(arena.allocatedBytes()).isZero();
    }
}
