package dev.graft.core.kernels.vector;

import dev.graft.core.kernels.Activation;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The pieces {@link VectorGemm} is built from: packing of B into contiguous panels, the register-blocked
 * micro-kernels, the small-m kernels that read B in place, and the fused epilogue (bias, activation, accumulate).
 *
 * <p>A is never packed: the micro-kernel broadcasts its MR rows straight from the segment (six sequential
 * streams, which the hardware prefetcher follows); measured on Zen 4 this runs as fast as an interleaved packed
 * copy, and saves the copy.
 *
 * <p>Every kernel keeps its accumulators in locals of one method and writes the raw sums to a small per-thread
 * {@code tile} array (row stride {@link #NR}); {@link #epilogue} then finishes a tile. That split keeps each
 * method small enough for C2 to keep all vectors in registers, and no method takes a vector argument: the
 * activations are {@link VectorMath}'s loops over a tile row. Lane sums use {@link VectorMath}'s fixed order, so
 * a result has the same bits however the JIT compiled the code.
 *
 * <p>The vector width is chosen here, once: {@link #S} is the platform's preferred float species (16 lanes on
 * AVX-512), and every block size derives from its length {@link #L}.
 */
final class GemmKernels {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Lanes per vector. */
    static final int L = S.length();
    /** Bytes per vector. */
    static final long VBYTES = (long) L * Float.BYTES;
    /** Rows of the packed micro-kernel. */
    static final int MR = 6;
    /** Columns of the packed micro-kernel (four vectors); also the width of a packed B panel and of a tile. */
    static final int NR = 4 * L;
    /** Rows of a strip of the pre-packed small-m path ({@link #kernel12x2} + {@link #kernel4x2}, or {@link #kernel8x2}). */
    static final int MR_SMALL = 16;
    /** Size of the per-thread tile array: MR_SMALL (≥ MR) rows of NR. */
    static final int TILE_SIZE = MR_SMALL * NR;

    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    private GemmKernels() {
    }

    /**
     * Width, in floats, of a packed B panel whose real width is {@code cols}: NR (4 vectors), or 2 vectors or 1 for
     * a narrow last panel (or a narrow B: a LoRA rank, a few labels), so that little work goes to zero padding.
     */
    static int panelWidth(int cols) {
        return cols > 2 * L ? NR : cols > L ? 2 * L : L;
    }

    /**
     * Packs the k rows [p0, p0+kc) × columns [col0, col0+cols) of a row-major B ([k×n]) into one panel of
     * {@code w} floats per k step at {@code bp[base...]}, zero-filling the columns past {@code cols}.
     */
    static void packB(MemorySegment b, long bOff, int ldb, int p0, int kc, int col0, int cols, int w,
                      float[] bp, int base) {
        int full = cols - cols % L;
        for (int p = 0; p < kc; p++) {
            long src = (bOff + (long) (p0 + p) * ldb + col0) * Float.BYTES;
            int dst = base + p * w;
            int j = 0;
            for (; j < full; j += L) {
                FloatVector.fromMemorySegment(S, b, src + (long) j * Float.BYTES, LE).intoArray(bp, dst + j);
            }
            for (; j < cols; j++) {
                bp[dst + j] = b.get(F32, src + (long) j * Float.BYTES);
            }
            for (; j < w; j++) {
                bp[dst + j] = 0f;
            }
        }
    }

    /**
     * Packs columns [p0, p0+kc) of rows [col0, col0+cols) of a transposed B ([n×k], PyTorch layout) into one panel
     * of {@code w} floats per k step — a transpose — zero-filling the columns past {@code cols}. With 16 lanes the
     * bulk goes through {@link #transpose16} in 16×16 blocks; edges (and other vector widths) move scalar by scalar.
     */
    static void packBTransposed(MemorySegment b, long bOff, int ldb, int p0, int kc, int col0, int cols, int w,
                                float[] bp, int base) {
        int jFull = 0;
        int pFull = 0;
        long ldbBytes = (long) ldb * Float.BYTES;
        if (L == 16) {
            jFull = cols - cols % 16;
            pFull = kc - kc % 16;
            for (int j = 0; j < jFull; j += 16) {
                long row = (bOff + (long) (col0 + j) * ldb + p0) * Float.BYTES;
                for (int p = 0; p < pFull; p += 16) {
                    transpose16(b, row + (long) p * Float.BYTES, ldbBytes, bp, base + p * w + j, w);
                }
            }
        }
        for (int j = 0; j < cols; j++) { // what the blocks did not cover: the k tail of every row, the last rows
            long src = (bOff + (long) (col0 + j) * ldb + p0) * Float.BYTES;
            int dst = base + j;
            for (int p = j < jFull ? pFull : 0; p < kc; p++) {
                bp[dst + p * w] = b.get(F32, src + (long) p * Float.BYTES);
            }
        }
        for (int j = cols; j < w; j++) {
            for (int p = 0; p < kc; p++) {
                bp[base + p * w + j] = 0f;
            }
        }
    }

    /**
     * Copies k steps [p0, p0+kc) of the one-vector slabs {@code col0/L ...} of a pre-packed B (slab s at byte
     * {@code s·k·VBYTES}) into one panel of {@code w} floats per k step at {@code bp[base...]} — the layout
     * {@link #packB} makes — so that large products run the array-based micro-kernel unchanged. Sequential reads.
     */
    static void packFromSlabs(MemorySegment slabs, int k, int p0, int kc, int col0, int w, float[] bp, int base) {
        int nSlabs = w / L;
        long slabBytes = (long) k * VBYTES;
        long first = (long) (col0 / L) * slabBytes + (long) p0 * VBYTES;
        for (int v = 0; v < nSlabs; v++) {
            long src = first + v * slabBytes;
            int dst = base + v * L;
            for (int p = 0; p < kc; p++) {
                FloatVector.fromMemorySegment(S, slabs, src + (long) p * VBYTES, LE).intoArray(bp, dst + p * w);
            }
        }
    }

    /**
     * Packs the m rows of A (element index {@code aOff}, row stride {@code lda}) k-major in strips of
     * {@link #MR_SMALL} rows: {@code ap[s·16·k + p·16 + r] = A[16s + r, p]}, zeros for the rows past m.
     */
    static void packA16(MemorySegment a, long aOff, int lda, int m, int k, float[] ap) {
        int strips = (m + MR_SMALL - 1) / MR_SMALL;
        long ldaBytes = (long) lda * Float.BYTES;
        for (int s = 0; s < strips; s++) {
            int base = s * MR_SMALL * k;
            if (L == MR_SMALL && (s + 1) * MR_SMALL <= m) { // a full strip: 16×16 block transposes, scalar k tail
                long row0 = (aOff + (long) s * MR_SMALL * lda) * Float.BYTES;
                int pFull = k - k % 16;
                for (int p = 0; p < pFull; p += 16) {
                    transpose16(a, row0 + (long) p * Float.BYTES, ldaBytes, ap, base + p * MR_SMALL, MR_SMALL);
                }
                for (int r = 0; r < MR_SMALL; r++) {
                    long src = row0 + r * ldaBytes;
                    for (int p = pFull; p < k; p++) {
                        ap[base + p * MR_SMALL + r] = a.get(F32, src + (long) p * Float.BYTES);
                    }
                }
                continue;
            }
            for (int r = 0; r < MR_SMALL; r++) {
                int row = s * MR_SMALL + r;
                if (row < m) {
                    long src = (aOff + (long) row * lda) * Float.BYTES;
                    for (int p = 0; p < k; p++) {
                        ap[base + p * MR_SMALL + r] = a.get(F32, src + (long) p * Float.BYTES);
                    }
                } else {
                    for (int p = 0; p < k; p++) {
                        ap[base + p * MR_SMALL + r] = 0f;
                    }
                }
            }
        }
    }

    // Index vectors of the butterfly transpose: for distance d, LO takes lane l from the first row when bit d of l
    // is clear, else lane l-d of the second; HI takes lane l+d of the first, else lane l of the second.
    private static final FloatVector LO8 = butterfly(8, false);
    private static final FloatVector HI8 = butterfly(8, true);
    private static final FloatVector LO4 = butterfly(4, false);
    private static final FloatVector HI4 = butterfly(4, true);
    private static final FloatVector LO2 = butterfly(2, false);
    private static final FloatVector HI2 = butterfly(2, true);
    private static final FloatVector LO1 = butterfly(1, false);
    private static final FloatVector HI1 = butterfly(1, true);

    private static FloatVector butterfly(int d, boolean hi) {
        float[] idx = new float[L];
        for (int l = 0; l < L; l++) {
            boolean first = (l & d) == 0;
            idx[l] = hi ? (first ? l + d : L + l) : (first ? l : L + l - d);
        }
        return FloatVector.fromArray(S, idx, 0);
    }

    /**
     * Transposes one 16×16 block (AVX-512 width): rows {@code rowByte0 + i·ldbBytes} of B (16 floats each, along k)
     * become 16 packed k-steps of 16 columns at {@code bp[dst + i·w]}. Four butterfly stages of two-vector
     * permutes ({@code selectFrom}, one vpermt2ps each): 64 permutes per 256 floats instead of 256 scalar moves.
     */
    static void transpose16(MemorySegment b, long rowByte0, long ldbBytes, float[] bp, int dst, int w) {
        FloatVector r0 = FloatVector.fromMemorySegment(S, b, rowByte0, LE);
        FloatVector r1 = FloatVector.fromMemorySegment(S, b, rowByte0 + 1 * ldbBytes, LE);
        FloatVector r2 = FloatVector.fromMemorySegment(S, b, rowByte0 + 2 * ldbBytes, LE);
        FloatVector r3 = FloatVector.fromMemorySegment(S, b, rowByte0 + 3 * ldbBytes, LE);
        FloatVector r4 = FloatVector.fromMemorySegment(S, b, rowByte0 + 4 * ldbBytes, LE);
        FloatVector r5 = FloatVector.fromMemorySegment(S, b, rowByte0 + 5 * ldbBytes, LE);
        FloatVector r6 = FloatVector.fromMemorySegment(S, b, rowByte0 + 6 * ldbBytes, LE);
        FloatVector r7 = FloatVector.fromMemorySegment(S, b, rowByte0 + 7 * ldbBytes, LE);
        FloatVector r8 = FloatVector.fromMemorySegment(S, b, rowByte0 + 8 * ldbBytes, LE);
        FloatVector r9 = FloatVector.fromMemorySegment(S, b, rowByte0 + 9 * ldbBytes, LE);
        FloatVector r10 = FloatVector.fromMemorySegment(S, b, rowByte0 + 10 * ldbBytes, LE);
        FloatVector r11 = FloatVector.fromMemorySegment(S, b, rowByte0 + 11 * ldbBytes, LE);
        FloatVector r12 = FloatVector.fromMemorySegment(S, b, rowByte0 + 12 * ldbBytes, LE);
        FloatVector r13 = FloatVector.fromMemorySegment(S, b, rowByte0 + 13 * ldbBytes, LE);
        FloatVector r14 = FloatVector.fromMemorySegment(S, b, rowByte0 + 14 * ldbBytes, LE);
        FloatVector r15 = FloatVector.fromMemorySegment(S, b, rowByte0 + 15 * ldbBytes, LE);
        FloatVector t;
        // distance 8
        t = LO8.selectFrom(r0, r8);
        r8 = HI8.selectFrom(r0, r8);
        r0 = t;
        t = LO8.selectFrom(r1, r9);
        r9 = HI8.selectFrom(r1, r9);
        r1 = t;
        t = LO8.selectFrom(r2, r10);
        r10 = HI8.selectFrom(r2, r10);
        r2 = t;
        t = LO8.selectFrom(r3, r11);
        r11 = HI8.selectFrom(r3, r11);
        r3 = t;
        t = LO8.selectFrom(r4, r12);
        r12 = HI8.selectFrom(r4, r12);
        r4 = t;
        t = LO8.selectFrom(r5, r13);
        r13 = HI8.selectFrom(r5, r13);
        r5 = t;
        t = LO8.selectFrom(r6, r14);
        r14 = HI8.selectFrom(r6, r14);
        r6 = t;
        t = LO8.selectFrom(r7, r15);
        r15 = HI8.selectFrom(r7, r15);
        r7 = t;
        // distance 4
        t = LO4.selectFrom(r0, r4);
        r4 = HI4.selectFrom(r0, r4);
        r0 = t;
        t = LO4.selectFrom(r1, r5);
        r5 = HI4.selectFrom(r1, r5);
        r1 = t;
        t = LO4.selectFrom(r2, r6);
        r6 = HI4.selectFrom(r2, r6);
        r2 = t;
        t = LO4.selectFrom(r3, r7);
        r7 = HI4.selectFrom(r3, r7);
        r3 = t;
        t = LO4.selectFrom(r8, r12);
        r12 = HI4.selectFrom(r8, r12);
        r8 = t;
        t = LO4.selectFrom(r9, r13);
        r13 = HI4.selectFrom(r9, r13);
        r9 = t;
        t = LO4.selectFrom(r10, r14);
        r14 = HI4.selectFrom(r10, r14);
        r10 = t;
        t = LO4.selectFrom(r11, r15);
        r15 = HI4.selectFrom(r11, r15);
        r11 = t;
        // distance 2
        t = LO2.selectFrom(r0, r2);
        r2 = HI2.selectFrom(r0, r2);
        r0 = t;
        t = LO2.selectFrom(r1, r3);
        r3 = HI2.selectFrom(r1, r3);
        r1 = t;
        t = LO2.selectFrom(r4, r6);
        r6 = HI2.selectFrom(r4, r6);
        r4 = t;
        t = LO2.selectFrom(r5, r7);
        r7 = HI2.selectFrom(r5, r7);
        r5 = t;
        t = LO2.selectFrom(r8, r10);
        r10 = HI2.selectFrom(r8, r10);
        r8 = t;
        t = LO2.selectFrom(r9, r11);
        r11 = HI2.selectFrom(r9, r11);
        r9 = t;
        t = LO2.selectFrom(r12, r14);
        r14 = HI2.selectFrom(r12, r14);
        r12 = t;
        t = LO2.selectFrom(r13, r15);
        r15 = HI2.selectFrom(r13, r15);
        r13 = t;
        // distance 1
        t = LO1.selectFrom(r0, r1);
        r1 = HI1.selectFrom(r0, r1);
        r0 = t;
        t = LO1.selectFrom(r2, r3);
        r3 = HI1.selectFrom(r2, r3);
        r2 = t;
        t = LO1.selectFrom(r4, r5);
        r5 = HI1.selectFrom(r4, r5);
        r4 = t;
        t = LO1.selectFrom(r6, r7);
        r7 = HI1.selectFrom(r6, r7);
        r6 = t;
        t = LO1.selectFrom(r8, r9);
        r9 = HI1.selectFrom(r8, r9);
        r8 = t;
        t = LO1.selectFrom(r10, r11);
        r11 = HI1.selectFrom(r10, r11);
        r10 = t;
        t = LO1.selectFrom(r12, r13);
        r13 = HI1.selectFrom(r12, r13);
        r12 = t;
        t = LO1.selectFrom(r14, r15);
        r15 = HI1.selectFrom(r14, r15);
        r14 = t;
        r0.intoArray(bp, dst);
        r1.intoArray(bp, dst + 1 * w);
        r2.intoArray(bp, dst + 2 * w);
        r3.intoArray(bp, dst + 3 * w);
        r4.intoArray(bp, dst + 4 * w);
        r5.intoArray(bp, dst + 5 * w);
        r6.intoArray(bp, dst + 6 * w);
        r7.intoArray(bp, dst + 7 * w);
        r8.intoArray(bp, dst + 8 * w);
        r9.intoArray(bp, dst + 9 * w);
        r10.intoArray(bp, dst + 10 * w);
        r11.intoArray(bp, dst + 11 * w);
        r12.intoArray(bp, dst + 12 * w);
        r13.intoArray(bp, dst + 13 * w);
        r14.intoArray(bp, dst + 14 * w);
        r15.intoArray(bp, dst + 15 * w);
    }


    /** What the epilogue does with a tile of raw sums. */
    static final int ADD_BIAS = 1;
    /** Add C's current contents before the activation (a later k block, or accumulate without activation). */
    static final int ADD_C = 2;
    /** Apply the activation (the last k block). */
    static final int ACTIVATE = 4;
    /** Add C's contents after the activation (accumulate with an activation; one k block only). */
    static final int ADD_C_AFTER = 8;

    /**
     * Finishes {@code rows} × {@code width} sums of {@code tile} (starting at {@code tileCol} of each NR-wide row)
     * into C (element index {@code cIdx} of the first), as {@code flags} says; {@code biasIdx} is the element
     * index of the bias of the first column.
     *
     * <p>Each step is its own pass over the tile (which sits in L1), each pass a small method with one straight
     * path: C2 compiles them once and keeps every vector in a register. A single loop with a branch per flag and a
     * switch on the activation merged vectors from different paths, and C2 kept deoptimising it (each new
     * flag/activation combination hit an uncommon trap) and boxing vectors in between.
     */
    static void epilogue(float[] tile, int tileCol, int rows, int width,
                         MemorySegment c, long cIdx, int ldc,
                         MemorySegment bias, long biasIdx, Activation act, int flags) {
        if ((flags & ADD_BIAS) != 0) {
            addRow(tile, tileCol, rows, width, bias, biasIdx);
        }
        if ((flags & ADD_C) != 0) {
            addMatrix(tile, tileCol, rows, width, c, cIdx, ldc);
        }
        if ((flags & ACTIVATE) != 0) {
            switch (act) {
                case GELU -> gelu(tile, tileCol, rows, width);
                case TANH -> tanh(tile, tileCol, rows, width);
                case RELU -> relu(tile, tileCol, rows, width);
                case NONE -> { }
            }
        }
        if ((flags & ADD_C_AFTER) != 0) {
            addMatrix(tile, tileCol, rows, width, c, cIdx, ldc);
        }
        store(tile, tileCol, rows, width, c, cIdx, ldc);
    }

    /** tile[r][j] += x[xIdx + j] for every row. */
    private static void addRow(float[] tile, int tileCol, int rows, int width, MemorySegment x, long xIdx) {
        int full = width - width % L;
        long xb = xIdx * Float.BYTES;
        for (int r = 0; r < rows; r++) {
            int t = r * NR + tileCol;
            int j = 0;
            for (; j < full; j += L) {
                FloatVector.fromArray(S, tile, t + j)
                        .add(FloatVector.fromMemorySegment(S, x, xb + (long) j * Float.BYTES, LE))
                        .intoArray(tile, t + j);
            }
            for (; j < width; j++) {
                tile[t + j] += x.get(F32, xb + (long) j * Float.BYTES);
            }
        }
    }

    /** tile[r][j] += C[r][j]. */
    private static void addMatrix(float[] tile, int tileCol, int rows, int width, MemorySegment c, long cIdx, int ldc) {
        int full = width - width % L;
        for (int r = 0; r < rows; r++) {
            int t = r * NR + tileCol;
            long cb = (cIdx + (long) r * ldc) * Float.BYTES;
            int j = 0;
            for (; j < full; j += L) {
                FloatVector.fromArray(S, tile, t + j)
                        .add(FloatVector.fromMemorySegment(S, c, cb + (long) j * Float.BYTES, LE))
                        .intoArray(tile, t + j);
            }
            for (; j < width; j++) {
                tile[t + j] += c.get(F32, cb + (long) j * Float.BYTES);
            }
        }
    }

    /** C[r][j] = tile[r][j]. */
    private static void store(float[] tile, int tileCol, int rows, int width, MemorySegment c, long cIdx, int ldc) {
        int full = width - width % L;
        for (int r = 0; r < rows; r++) {
            int t = r * NR + tileCol;
            long cb = (cIdx + (long) r * ldc) * Float.BYTES;
            int j = 0;
            for (; j < full; j += L) {
                FloatVector.fromArray(S, tile, t + j).intoMemorySegment(c, cb + (long) j * Float.BYTES, LE);
            }
            for (; j < width; j++) {
                c.set(F32, cb + (long) j * Float.BYTES, tile[t + j]);
            }
        }
    }

    private static void gelu(float[] tile, int tileCol, int rows, int width) {
        for (int r = 0; r < rows; r++) {
            VectorMath.gelu(tile, r * NR + tileCol, width);
        }
    }

    private static void tanh(float[] tile, int tileCol, int rows, int width) {
        for (int r = 0; r < rows; r++) {
            VectorMath.tanh(tile, r * NR + tileCol, width);
        }
    }

    private static void relu(float[] tile, int tileCol, int rows, int width) {
        for (int r = 0; r < rows; r++) {
            VectorMath.relu(tile, r * NR + tileCol, width);
        }
    }

    /**
     * The 6×4L register-blocked micro-kernel: 6 rows of A read in place (byte offsets of A[row, p0] in
     * {@code a}) times one packed B panel (4 vectors per k step): 24 accumulators over {@code kc} k steps;
     * writes the raw sums to {@code tile} (row stride NR).
     */
    static void kernel6x4(MemorySegment a, long a0, long a1, long a2, long a3, long a4, long a5, float[] bp, int bBase, int kc, float[] tile) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = zero, c01 = zero, c02 = zero, c03 = zero;
        FloatVector c10 = zero, c11 = zero, c12 = zero, c13 = zero;
        FloatVector c20 = zero, c21 = zero, c22 = zero, c23 = zero;
        FloatVector c30 = zero, c31 = zero, c32 = zero, c33 = zero;
        FloatVector c40 = zero, c41 = zero, c42 = zero, c43 = zero;
        FloatVector c50 = zero, c51 = zero, c52 = zero, c53 = zero;
        for (int p = 0; p < kc; p++) {
            int bi = bBase + p * 4 * L;
            long po = (long) p * Float.BYTES;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector b2 = FloatVector.fromArray(S, bp, bi + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, bp, bi + 3 * L);
            FloatVector x0 = FloatVector.broadcast(S, a.get(F32, a0 + po));
            c00 = x0.fma(b0, c00);
            c01 = x0.fma(b1, c01);
            c02 = x0.fma(b2, c02);
            c03 = x0.fma(b3, c03);
            FloatVector x1 = FloatVector.broadcast(S, a.get(F32, a1 + po));
            c10 = x1.fma(b0, c10);
            c11 = x1.fma(b1, c11);
            c12 = x1.fma(b2, c12);
            c13 = x1.fma(b3, c13);
            FloatVector x2 = FloatVector.broadcast(S, a.get(F32, a2 + po));
            c20 = x2.fma(b0, c20);
            c21 = x2.fma(b1, c21);
            c22 = x2.fma(b2, c22);
            c23 = x2.fma(b3, c23);
            FloatVector x3 = FloatVector.broadcast(S, a.get(F32, a3 + po));
            c30 = x3.fma(b0, c30);
            c31 = x3.fma(b1, c31);
            c32 = x3.fma(b2, c32);
            c33 = x3.fma(b3, c33);
            FloatVector x4 = FloatVector.broadcast(S, a.get(F32, a4 + po));
            c40 = x4.fma(b0, c40);
            c41 = x4.fma(b1, c41);
            c42 = x4.fma(b2, c42);
            c43 = x4.fma(b3, c43);
            FloatVector x5 = FloatVector.broadcast(S, a.get(F32, a5 + po));
            c50 = x5.fma(b0, c50);
            c51 = x5.fma(b1, c51);
            c52 = x5.fma(b2, c52);
            c53 = x5.fma(b3, c53);
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, 0 + L);
        c02.intoArray(tile, 0 + 2 * L);
        c03.intoArray(tile, 0 + 3 * L);
        c10.intoArray(tile, 1 * NR);
        c11.intoArray(tile, 1 * NR + L);
        c12.intoArray(tile, 1 * NR + 2 * L);
        c13.intoArray(tile, 1 * NR + 3 * L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c22.intoArray(tile, 2 * NR + 2 * L);
        c23.intoArray(tile, 2 * NR + 3 * L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        c32.intoArray(tile, 3 * NR + 2 * L);
        c33.intoArray(tile, 3 * NR + 3 * L);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + L);
        c42.intoArray(tile, 4 * NR + 2 * L);
        c43.intoArray(tile, 4 * NR + 3 * L);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + L);
        c52.intoArray(tile, 5 * NR + 2 * L);
        c53.intoArray(tile, 5 * NR + 3 * L);
    }

    /**
     * The 6×2L register-blocked micro-kernel: 6 rows of A read in place (byte offsets of A[row, p0] in
     * {@code a}) times one packed B panel (2 vectors per k step): 12 accumulators over {@code kc} k steps;
     * writes the raw sums to {@code tile} (row stride NR).
     */
    static void kernel6x2(MemorySegment a, long a0, long a1, long a2, long a3, long a4, long a5, float[] bp, int bBase, int kc, float[] tile) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = zero, c01 = zero;
        FloatVector c10 = zero, c11 = zero;
        FloatVector c20 = zero, c21 = zero;
        FloatVector c30 = zero, c31 = zero;
        FloatVector c40 = zero, c41 = zero;
        FloatVector c50 = zero, c51 = zero;
        for (int p = 0; p < kc; p++) {
            int bi = bBase + p * 2 * L;
            long po = (long) p * Float.BYTES;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector x0 = FloatVector.broadcast(S, a.get(F32, a0 + po));
            c00 = x0.fma(b0, c00);
            c01 = x0.fma(b1, c01);
            FloatVector x1 = FloatVector.broadcast(S, a.get(F32, a1 + po));
            c10 = x1.fma(b0, c10);
            c11 = x1.fma(b1, c11);
            FloatVector x2 = FloatVector.broadcast(S, a.get(F32, a2 + po));
            c20 = x2.fma(b0, c20);
            c21 = x2.fma(b1, c21);
            FloatVector x3 = FloatVector.broadcast(S, a.get(F32, a3 + po));
            c30 = x3.fma(b0, c30);
            c31 = x3.fma(b1, c31);
            FloatVector x4 = FloatVector.broadcast(S, a.get(F32, a4 + po));
            c40 = x4.fma(b0, c40);
            c41 = x4.fma(b1, c41);
            FloatVector x5 = FloatVector.broadcast(S, a.get(F32, a5 + po));
            c50 = x5.fma(b0, c50);
            c51 = x5.fma(b1, c51);
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, 0 + L);
        c10.intoArray(tile, 1 * NR);
        c11.intoArray(tile, 1 * NR + L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + L);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + L);
    }

    /**
     * The 6×1L register-blocked micro-kernel: 6 rows of A read in place (byte offsets of A[row, p0] in
     * {@code a}) times one packed B panel (1 vectors per k step): 6 accumulators over {@code kc} k steps;
     * writes the raw sums to {@code tile} (row stride NR).
     */
    static void kernel6x1(MemorySegment a, long a0, long a1, long a2, long a3, long a4, long a5, float[] bp, int bBase, int kc, float[] tile) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = zero;
        FloatVector c10 = zero;
        FloatVector c20 = zero;
        FloatVector c30 = zero;
        FloatVector c40 = zero;
        FloatVector c50 = zero;
        for (int p = 0; p < kc; p++) {
            int bi = bBase + p * L;
            long po = (long) p * Float.BYTES;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector x0 = FloatVector.broadcast(S, a.get(F32, a0 + po));
            c00 = x0.fma(b0, c00);
            FloatVector x1 = FloatVector.broadcast(S, a.get(F32, a1 + po));
            c10 = x1.fma(b0, c10);
            FloatVector x2 = FloatVector.broadcast(S, a.get(F32, a2 + po));
            c20 = x2.fma(b0, c20);
            FloatVector x3 = FloatVector.broadcast(S, a.get(F32, a3 + po));
            c30 = x3.fma(b0, c30);
            FloatVector x4 = FloatVector.broadcast(S, a.get(F32, a4 + po));
            c40 = x4.fma(b0, c40);
            FloatVector x5 = FloatVector.broadcast(S, a.get(F32, a5 + po));
            c50 = x5.fma(b0, c50);
        }
        c00.intoArray(tile, 0);
        c10.intoArray(tile, 1 * NR);
        c20.intoArray(tile, 2 * NR);
        c30.intoArray(tile, 3 * NR);
        c40.intoArray(tile, 4 * NR);
        c50.intoArray(tile, 5 * NR);
    }

    /**
     * Small-m kernel, B not transposed and not packed: 4 row(s) of A (element index of A[row, 0] each) times 4
     * vectors of B read straight from its segment ({@code bIdx} = element index of B[0, col0]); raw sums to tile.
     */
    static void directNN4(MemorySegment a, long a0, long a1, long a2, long a3, MemorySegment b, long bIdx, int ldb, int k, float[] tile) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = zero, c01 = zero, c02 = zero, c03 = zero;
        FloatVector c10 = zero, c11 = zero, c12 = zero, c13 = zero;
        FloatVector c20 = zero, c21 = zero, c22 = zero, c23 = zero;
        FloatVector c30 = zero, c31 = zero, c32 = zero, c33 = zero;
        for (int p = 0; p < k; p++) {
            long bo = (bIdx + (long) p * ldb) * Float.BYTES;
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, bo, LE);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, bo + VBYTES, LE);
            FloatVector b2 = FloatVector.fromMemorySegment(S, b, bo + 2 * VBYTES, LE);
            FloatVector b3 = FloatVector.fromMemorySegment(S, b, bo + 3 * VBYTES, LE);
            FloatVector x0 = FloatVector.broadcast(S, a.get(F32, (a0 + p) * Float.BYTES));
            c00 = x0.fma(b0, c00);
            c01 = x0.fma(b1, c01);
            c02 = x0.fma(b2, c02);
            c03 = x0.fma(b3, c03);
            FloatVector x1 = FloatVector.broadcast(S, a.get(F32, (a1 + p) * Float.BYTES));
            c10 = x1.fma(b0, c10);
            c11 = x1.fma(b1, c11);
            c12 = x1.fma(b2, c12);
            c13 = x1.fma(b3, c13);
            FloatVector x2 = FloatVector.broadcast(S, a.get(F32, (a2 + p) * Float.BYTES));
            c20 = x2.fma(b0, c20);
            c21 = x2.fma(b1, c21);
            c22 = x2.fma(b2, c22);
            c23 = x2.fma(b3, c23);
            FloatVector x3 = FloatVector.broadcast(S, a.get(F32, (a3 + p) * Float.BYTES));
            c30 = x3.fma(b0, c30);
            c31 = x3.fma(b1, c31);
            c32 = x3.fma(b2, c32);
            c33 = x3.fma(b3, c33);
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, 0 + L);
        c02.intoArray(tile, 0 + 2 * L);
        c03.intoArray(tile, 0 + 3 * L);
        c10.intoArray(tile, 1 * NR);
        c11.intoArray(tile, 1 * NR + L);
        c12.intoArray(tile, 1 * NR + 2 * L);
        c13.intoArray(tile, 1 * NR + 3 * L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c22.intoArray(tile, 2 * NR + 2 * L);
        c23.intoArray(tile, 2 * NR + 3 * L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        c32.intoArray(tile, 3 * NR + 2 * L);
        c33.intoArray(tile, 3 * NR + 3 * L);
    }

    /**
     * Small-m kernel, B not transposed and not packed: 1 row(s) of A (element index of A[row, 0] each) times 4
     * vectors of B read straight from its segment ({@code bIdx} = element index of B[0, col0]); raw sums to tile.
     */
    static void directNN1(MemorySegment a, long a0, MemorySegment b, long bIdx, int ldb, int k, float[] tile) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = zero, c01 = zero, c02 = zero, c03 = zero;
        for (int p = 0; p < k; p++) {
            long bo = (bIdx + (long) p * ldb) * Float.BYTES;
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, bo, LE);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, bo + VBYTES, LE);
            FloatVector b2 = FloatVector.fromMemorySegment(S, b, bo + 2 * VBYTES, LE);
            FloatVector b3 = FloatVector.fromMemorySegment(S, b, bo + 3 * VBYTES, LE);
            FloatVector x0 = FloatVector.broadcast(S, a.get(F32, (a0 + p) * Float.BYTES));
            c00 = x0.fma(b0, c00);
            c01 = x0.fma(b1, c01);
            c02 = x0.fma(b2, c02);
            c03 = x0.fma(b3, c03);
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, 0 + L);
        c02.intoArray(tile, 0 + 2 * L);
        c03.intoArray(tile, 0 + 3 * L);
    }

    /**
     * Small-m kernel, B transposed ([n×k]) and not packed: dot products of 4 row(s) of A with 4 rows of B along k
     * (element indices of each row's first float), vectors along k, scalar k tail; C[r][j] to tile[tIdx + r·NR + j].
     */
    static void dotNT4x4(MemorySegment a, long a0, long a1, long a2, long a3, MemorySegment b, long b0, long b1, long b2, long b3, int k, float[] tile, int tIdx) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = zero, c01 = zero, c02 = zero, c03 = zero;
        FloatVector c10 = zero, c11 = zero, c12 = zero, c13 = zero;
        FloatVector c20 = zero, c21 = zero, c22 = zero, c23 = zero;
        FloatVector c30 = zero, c31 = zero, c32 = zero, c33 = zero;
        int kv = S.loopBound(k);
        int p = 0;
        for (; p < kv; p += L) {
            long po = (long) p * Float.BYTES;
            FloatVector y0 = FloatVector.fromMemorySegment(S, b, b0 * Float.BYTES + po, LE);
            FloatVector y1 = FloatVector.fromMemorySegment(S, b, b1 * Float.BYTES + po, LE);
            FloatVector y2 = FloatVector.fromMemorySegment(S, b, b2 * Float.BYTES + po, LE);
            FloatVector y3 = FloatVector.fromMemorySegment(S, b, b3 * Float.BYTES + po, LE);
            FloatVector x0 = FloatVector.fromMemorySegment(S, a, a0 * Float.BYTES + po, LE);
            c00 = x0.fma(y0, c00);
            c01 = x0.fma(y1, c01);
            c02 = x0.fma(y2, c02);
            c03 = x0.fma(y3, c03);
            FloatVector x1 = FloatVector.fromMemorySegment(S, a, a1 * Float.BYTES + po, LE);
            c10 = x1.fma(y0, c10);
            c11 = x1.fma(y1, c11);
            c12 = x1.fma(y2, c12);
            c13 = x1.fma(y3, c13);
            FloatVector x2 = FloatVector.fromMemorySegment(S, a, a2 * Float.BYTES + po, LE);
            c20 = x2.fma(y0, c20);
            c21 = x2.fma(y1, c21);
            c22 = x2.fma(y2, c22);
            c23 = x2.fma(y3, c23);
            FloatVector x3 = FloatVector.fromMemorySegment(S, a, a3 * Float.BYTES + po, LE);
            c30 = x3.fma(y0, c30);
            c31 = x3.fma(y1, c31);
            c32 = x3.fma(y2, c32);
            c33 = x3.fma(y3, c33);
        }
        float s00 = 0f, s01 = 0f, s02 = 0f, s03 = 0f;
        float s10 = 0f, s11 = 0f, s12 = 0f, s13 = 0f;
        float s20 = 0f, s21 = 0f, s22 = 0f, s23 = 0f;
        float s30 = 0f, s31 = 0f, s32 = 0f, s33 = 0f;
        for (; p < k; p++) { // k tail, scalar (masked loads are not reliably allocation-free)
            long po = (long) p * Float.BYTES;
            float y0 = b.get(F32, b0 * Float.BYTES + po);
            float y1 = b.get(F32, b1 * Float.BYTES + po);
            float y2 = b.get(F32, b2 * Float.BYTES + po);
            float y3 = b.get(F32, b3 * Float.BYTES + po);
            float x0 = a.get(F32, a0 * Float.BYTES + po);
            s00 += x0 * y0;
            s01 += x0 * y1;
            s02 += x0 * y2;
            s03 += x0 * y3;
            float x1 = a.get(F32, a1 * Float.BYTES + po);
            s10 += x1 * y0;
            s11 += x1 * y1;
            s12 += x1 * y2;
            s13 += x1 * y3;
            float x2 = a.get(F32, a2 * Float.BYTES + po);
            s20 += x2 * y0;
            s21 += x2 * y1;
            s22 += x2 * y2;
            s23 += x2 * y3;
            float x3 = a.get(F32, a3 * Float.BYTES + po);
            s30 += x3 * y0;
            s31 += x3 * y1;
            s32 += x3 * y2;
            s33 += x3 * y3;
        }
        // fixed-order lane sums of four vectors at once (VectorMath): interleave them so that lanes [0, Q) of h
        // hold partial sums of the first, [H, H+Q) the second, [Q, 2Q) the third, [H+Q, L) the fourth, then
        // finish each quarter with the butterfly
        FloatVector h01;
        FloatVector h23;
        FloatVector h;
        h01 = c00.blend(c01, VectorMath.HIGH_HALF).add(c01.blend(c00, VectorMath.HIGH_HALF).rearrange(VectorMath.SWAP_HALF));
        h23 = c02.blend(c03, VectorMath.HIGH_HALF).add(c03.blend(c02, VectorMath.HIGH_HALF).rearrange(VectorMath.SWAP_HALF));
        h = h01.blend(h23, VectorMath.HIGH_QUARTER).add(h23.blend(h01, VectorMath.HIGH_QUARTER).rearrange(VectorMath.SWAP_QUARTER));
        if (L > 32) h = h.add(h.rearrange(VectorMath.SWAP_8));
        if (L > 16) h = h.add(h.rearrange(VectorMath.SWAP_4));
        if (L > 8) h = h.add(h.rearrange(VectorMath.SWAP_2));
        if (L > 4) h = h.add(h.rearrange(VectorMath.SWAP_1));
        tile[tIdx + 0] = h.lane(0) + s00;
        tile[tIdx + 1] = h.lane(VectorMath.HALF) + s01;
        tile[tIdx + 2] = h.lane(VectorMath.QUARTER) + s02;
        tile[tIdx + 3] = h.lane(VectorMath.HALF + VectorMath.QUARTER) + s03;
        h01 = c10.blend(c11, VectorMath.HIGH_HALF).add(c11.blend(c10, VectorMath.HIGH_HALF).rearrange(VectorMath.SWAP_HALF));
        h23 = c12.blend(c13, VectorMath.HIGH_HALF).add(c13.blend(c12, VectorMath.HIGH_HALF).rearrange(VectorMath.SWAP_HALF));
        h = h01.blend(h23, VectorMath.HIGH_QUARTER).add(h23.blend(h01, VectorMath.HIGH_QUARTER).rearrange(VectorMath.SWAP_QUARTER));
        if (L > 32) h = h.add(h.rearrange(VectorMath.SWAP_8));
        if (L > 16) h = h.add(h.rearrange(VectorMath.SWAP_4));
        if (L > 8) h = h.add(h.rearrange(VectorMath.SWAP_2));
        if (L > 4) h = h.add(h.rearrange(VectorMath.SWAP_1));
        tile[tIdx + 1 * NR + 0] = h.lane(0) + s10;
        tile[tIdx + 1 * NR + 1] = h.lane(VectorMath.HALF) + s11;
        tile[tIdx + 1 * NR + 2] = h.lane(VectorMath.QUARTER) + s12;
        tile[tIdx + 1 * NR + 3] = h.lane(VectorMath.HALF + VectorMath.QUARTER) + s13;
        h01 = c20.blend(c21, VectorMath.HIGH_HALF).add(c21.blend(c20, VectorMath.HIGH_HALF).rearrange(VectorMath.SWAP_HALF));
        h23 = c22.blend(c23, VectorMath.HIGH_HALF).add(c23.blend(c22, VectorMath.HIGH_HALF).rearrange(VectorMath.SWAP_HALF));
        h = h01.blend(h23, VectorMath.HIGH_QUARTER).add(h23.blend(h01, VectorMath.HIGH_QUARTER).rearrange(VectorMath.SWAP_QUARTER));
        if (L > 32) h = h.add(h.rearrange(VectorMath.SWAP_8));
        if (L > 16) h = h.add(h.rearrange(VectorMath.SWAP_4));
        if (L > 8) h = h.add(h.rearrange(VectorMath.SWAP_2));
        if (L > 4) h = h.add(h.rearrange(VectorMath.SWAP_1));
        tile[tIdx + 2 * NR + 0] = h.lane(0) + s20;
        tile[tIdx + 2 * NR + 1] = h.lane(VectorMath.HALF) + s21;
        tile[tIdx + 2 * NR + 2] = h.lane(VectorMath.QUARTER) + s22;
        tile[tIdx + 2 * NR + 3] = h.lane(VectorMath.HALF + VectorMath.QUARTER) + s23;
        h01 = c30.blend(c31, VectorMath.HIGH_HALF).add(c31.blend(c30, VectorMath.HIGH_HALF).rearrange(VectorMath.SWAP_HALF));
        h23 = c32.blend(c33, VectorMath.HIGH_HALF).add(c33.blend(c32, VectorMath.HIGH_HALF).rearrange(VectorMath.SWAP_HALF));
        h = h01.blend(h23, VectorMath.HIGH_QUARTER).add(h23.blend(h01, VectorMath.HIGH_QUARTER).rearrange(VectorMath.SWAP_QUARTER));
        if (L > 32) h = h.add(h.rearrange(VectorMath.SWAP_8));
        if (L > 16) h = h.add(h.rearrange(VectorMath.SWAP_4));
        if (L > 8) h = h.add(h.rearrange(VectorMath.SWAP_2));
        if (L > 4) h = h.add(h.rearrange(VectorMath.SWAP_1));
        tile[tIdx + 3 * NR + 0] = h.lane(0) + s30;
        tile[tIdx + 3 * NR + 1] = h.lane(VectorMath.HALF) + s31;
        tile[tIdx + 3 * NR + 2] = h.lane(VectorMath.QUARTER) + s32;
        tile[tIdx + 3 * NR + 3] = h.lane(VectorMath.HALF + VectorMath.QUARTER) + s33;
    }

    /**
     * Small-m kernel, B transposed ([n×k]) and not packed: dot products of 1 row(s) of A with 4 rows of B along k
     * (element indices of each row's first float), vectors along k, scalar k tail; C[r][j] to tile[tIdx + r·NR + j].
     */
    static void dotNT1x4(MemorySegment a, long a0, MemorySegment b, long b0, long b1, long b2, long b3, int k, float[] tile, int tIdx) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = zero, c01 = zero, c02 = zero, c03 = zero;
        int kv = S.loopBound(k);
        int p = 0;
        for (; p < kv; p += L) {
            long po = (long) p * Float.BYTES;
            FloatVector y0 = FloatVector.fromMemorySegment(S, b, b0 * Float.BYTES + po, LE);
            FloatVector y1 = FloatVector.fromMemorySegment(S, b, b1 * Float.BYTES + po, LE);
            FloatVector y2 = FloatVector.fromMemorySegment(S, b, b2 * Float.BYTES + po, LE);
            FloatVector y3 = FloatVector.fromMemorySegment(S, b, b3 * Float.BYTES + po, LE);
            FloatVector x0 = FloatVector.fromMemorySegment(S, a, a0 * Float.BYTES + po, LE);
            c00 = x0.fma(y0, c00);
            c01 = x0.fma(y1, c01);
            c02 = x0.fma(y2, c02);
            c03 = x0.fma(y3, c03);
        }
        float s00 = 0f, s01 = 0f, s02 = 0f, s03 = 0f;
        for (; p < k; p++) { // k tail, scalar (masked loads are not reliably allocation-free)
            long po = (long) p * Float.BYTES;
            float y0 = b.get(F32, b0 * Float.BYTES + po);
            float y1 = b.get(F32, b1 * Float.BYTES + po);
            float y2 = b.get(F32, b2 * Float.BYTES + po);
            float y3 = b.get(F32, b3 * Float.BYTES + po);
            float x0 = a.get(F32, a0 * Float.BYTES + po);
            s00 += x0 * y0;
            s01 += x0 * y1;
            s02 += x0 * y2;
            s03 += x0 * y3;
        }
        // fixed-order lane sums of four vectors at once (VectorMath): interleave them so that lanes [0, Q) of h
        // hold partial sums of the first, [H, H+Q) the second, [Q, 2Q) the third, [H+Q, L) the fourth, then
        // finish each quarter with the butterfly
        FloatVector h01;
        FloatVector h23;
        FloatVector h;
        h01 = c00.blend(c01, VectorMath.HIGH_HALF).add(c01.blend(c00, VectorMath.HIGH_HALF).rearrange(VectorMath.SWAP_HALF));
        h23 = c02.blend(c03, VectorMath.HIGH_HALF).add(c03.blend(c02, VectorMath.HIGH_HALF).rearrange(VectorMath.SWAP_HALF));
        h = h01.blend(h23, VectorMath.HIGH_QUARTER).add(h23.blend(h01, VectorMath.HIGH_QUARTER).rearrange(VectorMath.SWAP_QUARTER));
        if (L > 32) h = h.add(h.rearrange(VectorMath.SWAP_8));
        if (L > 16) h = h.add(h.rearrange(VectorMath.SWAP_4));
        if (L > 8) h = h.add(h.rearrange(VectorMath.SWAP_2));
        if (L > 4) h = h.add(h.rearrange(VectorMath.SWAP_1));
        tile[tIdx + 0] = h.lane(0) + s00;
        tile[tIdx + 1] = h.lane(VectorMath.HALF) + s01;
        tile[tIdx + 2] = h.lane(VectorMath.QUARTER) + s02;
        tile[tIdx + 3] = h.lane(VectorMath.HALF + VectorMath.QUARTER) + s03;
    }

    /**
     * The pre-packed small-m micro-kernel: 8 rows of A packed k-major ({@code ap[aBase + p·16 + r]}, r &lt; 8, the
     * layout of {@link #packA16}) times two slabs of a pre-packed B read sequentially ({@code bByte}: the first
     * slab, {@code slabBytes} apart): 16 accumulators, 2 loads and 8 broadcasts per 16 FMAs. Raw sums to
     * {@code tile[tIdx + r·NR + (0 | L) + j]}. (Measured on Zen 4 against a 16×1 variant, which loads each B vector
     * only once per 16 rows: this one runs 20–40 % faster, hot and cold — the 16×1 loop is bound by its broadcasts.)
     */
    static void kernel8x2(float[] ap, int aBase, MemorySegment bp, long bByte, long slabBytes, int k, float[] tile, int tIdx) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = zero, c01 = zero;
        FloatVector c10 = zero, c11 = zero;
        FloatVector c20 = zero, c21 = zero;
        FloatVector c30 = zero, c31 = zero;
        FloatVector c40 = zero, c41 = zero;
        FloatVector c50 = zero, c51 = zero;
        FloatVector c60 = zero, c61 = zero;
        FloatVector c70 = zero, c71 = zero;
        for (int p = 0; p < k; p++) {
            long bo = bByte + (long) p * VBYTES;
            FloatVector b0 = FloatVector.fromMemorySegment(S, bp, bo, LE);
            FloatVector b1 = FloatVector.fromMemorySegment(S, bp, bo + slabBytes, LE);
            int ai = aBase + p * 16;
            FloatVector x0 = FloatVector.broadcast(S, ap[ai + 0]);
            c00 = x0.fma(b0, c00);
            c01 = x0.fma(b1, c01);
            FloatVector x1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = x1.fma(b0, c10);
            c11 = x1.fma(b1, c11);
            FloatVector x2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = x2.fma(b0, c20);
            c21 = x2.fma(b1, c21);
            FloatVector x3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = x3.fma(b0, c30);
            c31 = x3.fma(b1, c31);
            FloatVector x4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = x4.fma(b0, c40);
            c41 = x4.fma(b1, c41);
            FloatVector x5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = x5.fma(b0, c50);
            c51 = x5.fma(b1, c51);
            FloatVector x6 = FloatVector.broadcast(S, ap[ai + 6]);
            c60 = x6.fma(b0, c60);
            c61 = x6.fma(b1, c61);
            FloatVector x7 = FloatVector.broadcast(S, ap[ai + 7]);
            c70 = x7.fma(b0, c70);
            c71 = x7.fma(b1, c71);
        }
        c00.intoArray(tile, tIdx + 0 * NR);
        c01.intoArray(tile, tIdx + 0 * NR + L);
        c10.intoArray(tile, tIdx + 1 * NR);
        c11.intoArray(tile, tIdx + 1 * NR + L);
        c20.intoArray(tile, tIdx + 2 * NR);
        c21.intoArray(tile, tIdx + 2 * NR + L);
        c30.intoArray(tile, tIdx + 3 * NR);
        c31.intoArray(tile, tIdx + 3 * NR + L);
        c40.intoArray(tile, tIdx + 4 * NR);
        c41.intoArray(tile, tIdx + 4 * NR + L);
        c50.intoArray(tile, tIdx + 5 * NR);
        c51.intoArray(tile, tIdx + 5 * NR + L);
        c60.intoArray(tile, tIdx + 6 * NR);
        c61.intoArray(tile, tIdx + 6 * NR + L);
        c70.intoArray(tile, tIdx + 7 * NR);
        c71.intoArray(tile, tIdx + 7 * NR + L);
    }

    /**
     * {@link #kernel8x2} for 12 rows of the strip ({@code ap[aBase + p·16 + r]}, r &lt; 12): 24 accumulators,
     * 2 loads and 12 broadcasts per 24 FMAs. Rows 0–11 of a 16-row strip in the pass that streams the pair from
     * memory: 1.5× the FMAs per byte of B of an 8-row pass, so less of it waits on memory, and the pass that re-reads
     * the pair from cache ({@link #kernel4x2}, rows 12–15) is a third as long.
     */
    static void kernel12x2(float[] ap, int aBase, MemorySegment bp, long bByte, long slabBytes, int k, float[] tile, int tIdx) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector c0_0 = zero, c0_1 = zero;
        FloatVector c1_0 = zero, c1_1 = zero;
        FloatVector c2_0 = zero, c2_1 = zero;
        FloatVector c3_0 = zero, c3_1 = zero;
        FloatVector c4_0 = zero, c4_1 = zero;
        FloatVector c5_0 = zero, c5_1 = zero;
        FloatVector c6_0 = zero, c6_1 = zero;
        FloatVector c7_0 = zero, c7_1 = zero;
        FloatVector c8_0 = zero, c8_1 = zero;
        FloatVector c9_0 = zero, c9_1 = zero;
        FloatVector c10_0 = zero, c10_1 = zero;
        FloatVector c11_0 = zero, c11_1 = zero;
        for (int p = 0; p < k; p++) {
            long bo = bByte + (long) p * VBYTES;
            FloatVector b0 = FloatVector.fromMemorySegment(S, bp, bo, LE);
            FloatVector b1 = FloatVector.fromMemorySegment(S, bp, bo + slabBytes, LE);
            int ai = aBase + p * 16;
            FloatVector x0 = FloatVector.broadcast(S, ap[ai + 0]);
            c0_0 = x0.fma(b0, c0_0);
            c0_1 = x0.fma(b1, c0_1);
            FloatVector x1 = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = x1.fma(b0, c1_0);
            c1_1 = x1.fma(b1, c1_1);
            FloatVector x2 = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = x2.fma(b0, c2_0);
            c2_1 = x2.fma(b1, c2_1);
            FloatVector x3 = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = x3.fma(b0, c3_0);
            c3_1 = x3.fma(b1, c3_1);
            FloatVector x4 = FloatVector.broadcast(S, ap[ai + 4]);
            c4_0 = x4.fma(b0, c4_0);
            c4_1 = x4.fma(b1, c4_1);
            FloatVector x5 = FloatVector.broadcast(S, ap[ai + 5]);
            c5_0 = x5.fma(b0, c5_0);
            c5_1 = x5.fma(b1, c5_1);
            FloatVector x6 = FloatVector.broadcast(S, ap[ai + 6]);
            c6_0 = x6.fma(b0, c6_0);
            c6_1 = x6.fma(b1, c6_1);
            FloatVector x7 = FloatVector.broadcast(S, ap[ai + 7]);
            c7_0 = x7.fma(b0, c7_0);
            c7_1 = x7.fma(b1, c7_1);
            FloatVector x8 = FloatVector.broadcast(S, ap[ai + 8]);
            c8_0 = x8.fma(b0, c8_0);
            c8_1 = x8.fma(b1, c8_1);
            FloatVector x9 = FloatVector.broadcast(S, ap[ai + 9]);
            c9_0 = x9.fma(b0, c9_0);
            c9_1 = x9.fma(b1, c9_1);
            FloatVector x10 = FloatVector.broadcast(S, ap[ai + 10]);
            c10_0 = x10.fma(b0, c10_0);
            c10_1 = x10.fma(b1, c10_1);
            FloatVector x11 = FloatVector.broadcast(S, ap[ai + 11]);
            c11_0 = x11.fma(b0, c11_0);
            c11_1 = x11.fma(b1, c11_1);
        }
        c0_0.intoArray(tile, tIdx + 0 * NR);
        c0_1.intoArray(tile, tIdx + 0 * NR + L);
        c1_0.intoArray(tile, tIdx + 1 * NR);
        c1_1.intoArray(tile, tIdx + 1 * NR + L);
        c2_0.intoArray(tile, tIdx + 2 * NR);
        c2_1.intoArray(tile, tIdx + 2 * NR + L);
        c3_0.intoArray(tile, tIdx + 3 * NR);
        c3_1.intoArray(tile, tIdx + 3 * NR + L);
        c4_0.intoArray(tile, tIdx + 4 * NR);
        c4_1.intoArray(tile, tIdx + 4 * NR + L);
        c5_0.intoArray(tile, tIdx + 5 * NR);
        c5_1.intoArray(tile, tIdx + 5 * NR + L);
        c6_0.intoArray(tile, tIdx + 6 * NR);
        c6_1.intoArray(tile, tIdx + 6 * NR + L);
        c7_0.intoArray(tile, tIdx + 7 * NR);
        c7_1.intoArray(tile, tIdx + 7 * NR + L);
        c8_0.intoArray(tile, tIdx + 8 * NR);
        c8_1.intoArray(tile, tIdx + 8 * NR + L);
        c9_0.intoArray(tile, tIdx + 9 * NR);
        c9_1.intoArray(tile, tIdx + 9 * NR + L);
        c10_0.intoArray(tile, tIdx + 10 * NR);
        c10_1.intoArray(tile, tIdx + 10 * NR + L);
        c11_0.intoArray(tile, tIdx + 11 * NR);
        c11_1.intoArray(tile, tIdx + 11 * NR + L);
    }

    /**
     * {@link #kernel8x2} for 4 rows of the strip ({@code ap[aBase + p·16 + r]}, r &lt; 4): 8 accumulators,
     * 2 loads and 4 broadcasts per 8 FMAs: rows 12–15 of a strip after {@link #kernel12x2}, the pair re-read from
     * cache.
     */
    static void kernel4x2(float[] ap, int aBase, MemorySegment bp, long bByte, long slabBytes, int k, float[] tile, int tIdx) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector c0_0 = zero, c0_1 = zero;
        FloatVector c1_0 = zero, c1_1 = zero;
        FloatVector c2_0 = zero, c2_1 = zero;
        FloatVector c3_0 = zero, c3_1 = zero;
        for (int p = 0; p < k; p++) {
            long bo = bByte + (long) p * VBYTES;
            FloatVector b0 = FloatVector.fromMemorySegment(S, bp, bo, LE);
            FloatVector b1 = FloatVector.fromMemorySegment(S, bp, bo + slabBytes, LE);
            int ai = aBase + p * 16;
            FloatVector x0 = FloatVector.broadcast(S, ap[ai + 0]);
            c0_0 = x0.fma(b0, c0_0);
            c0_1 = x0.fma(b1, c0_1);
            FloatVector x1 = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = x1.fma(b0, c1_0);
            c1_1 = x1.fma(b1, c1_1);
            FloatVector x2 = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = x2.fma(b0, c2_0);
            c2_1 = x2.fma(b1, c2_1);
            FloatVector x3 = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = x3.fma(b0, c3_0);
            c3_1 = x3.fma(b1, c3_1);
        }
        c0_0.intoArray(tile, tIdx + 0 * NR);
        c0_1.intoArray(tile, tIdx + 0 * NR + L);
        c1_0.intoArray(tile, tIdx + 1 * NR);
        c1_1.intoArray(tile, tIdx + 1 * NR + L);
        c2_0.intoArray(tile, tIdx + 2 * NR);
        c2_1.intoArray(tile, tIdx + 2 * NR + L);
        c3_0.intoArray(tile, tIdx + 3 * NR);
        c3_1.intoArray(tile, tIdx + 3 * NR + L);
    }

}
