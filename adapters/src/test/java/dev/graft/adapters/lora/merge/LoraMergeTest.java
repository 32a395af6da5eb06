package dev.graft.adapters.lora.merge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.lora.LoraConfig;
import dev.graft.backbones.sites.Site;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.backbones.sites.SiteShape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every merge method against a double-precision reference written here from PEFT's definitions (straightforward
 * formulas, no code shared with the implementation except DARE's seeded mask generator), on small random adapters
 * with awkward sizes (13 → 13, 13 → 37, 37 → 13), different target sets, different scalings, a negative weight.
 */
class LoraMergeTest {
    static final Site Q0 = new Site(0, SiteKind.QUERY);
    static final Site I0 = new Site(0, SiteKind.INTERMEDIATE);
    static final Site O1 = new Site(1, SiteKind.OUTPUT);
    static final List<SiteShape> ALL = List.of(new SiteShape(Q0, 13, 13), new SiteShape(I0, 13, 37), new SiteShape(O1, 37, 13));

    static Lora random(int r, float alpha, boolean rslora, List<SiteShape> sites, long seed) {
        Set<SiteKind> kinds = EnumSet.noneOf(SiteKind.class);
        sites.forEach(s -> kinds.add(s.site().kind()));
        Lora l = Lora.at(new LoraConfig(r, alpha, 0.05f, kinds, null, rslora), sites);
        Random random = new Random(seed);
        for (SiteShape s : sites) {
            for (float[] v : List.of(l.a(s.site()).values(), l.b(s.site()).values())) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) random.nextGaussian();
                }
            }
        }
        return l;
    }

    /** Three rank-3 adapters: all sites; two sites (no layer-1 output); all sites with rslora. Weights 0.7, -0.4, 1.3. */
    static List<LoraMerge.Input> equalRanks() {
        return List.of(new LoraMerge.Input("a", random(3, 6, false, ALL, 1), 0.7),
                new LoraMerge.Input("b", random(3, 1.5f, false, ALL.subList(0, 2), 2), -0.4),
                new LoraMerge.Input("c", random(3, 3, true, ALL, 3), 1.3));
    }

    /** Ranks 3, 5 and 2, the last one on the query only. */
    static List<LoraMerge.Input> mixedRanks() {
        return List.of(new LoraMerge.Input("a", random(3, 6, false, ALL, 4), 0.7),
                new LoraMerge.Input("b", random(5, 5, false, ALL, 5), -0.4),
                new LoraMerge.Input("c", random(2, 8, true, ALL.subList(0, 1), 6), 1.3));
    }

    // ---- the reference ------------------------------------------------------------------------------------------

    static double scaling(Lora l) {
        int r = l.config().r();
        return l.config().alpha() / (l.config().rslora() ? Math.sqrt(r) : r);
    }

    static double[] d(float[] x) {
        return IntStream.range(0, x.length).mapToDouble(i -> x[i]).toArray();
    }

    /** s·B·A as [out][in]. */
    static double[] deltaW(Lora l, SiteShape s) {
        return product(d(l.b(s.site()).values()), d(l.a(s.site()).values()), s.out(), l.config().r(), s.in(), scaling(l));
    }

    static double[] product(double[] b, double[] a, int out, int r, int in, double f) {
        double[] m = new double[out * in];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                double s = 0;
                for (int k = 0; k < r; k++) {
                    s += b[o * r + k] * a[k * in + i];
                }
                m[o * in + i] = f * s;
            }
        }
        return m;
    }

    /** Top-k by |x| with the lower index first among equals, by sorting indices. */
    static double[] refMagnitude(double[] x, double density) {
        if (density >= 1) {
            return x.clone();
        }
        int k = (int) (density * x.length);
        Integer[] idx = IntStream.range(0, x.length).boxed().toArray(Integer[]::new);
        Arrays.sort(idx, Comparator.<Integer>comparingDouble(i -> -Math.abs(x[i])).thenComparingInt(i -> i));
        double[] out = new double[x.length];
        for (int j = 0; j < k; j++) {
            out[idx[j]] = x[idx[j]];
        }
        return out;
    }

    static double[] refRandom(double[] x, double density, long seed) {
        if (density >= 1) {
            return x.clone();
        }
        boolean[] keep = TaskTensors.randomMask(x.length, density, seed);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = keep[i] ? x[i] / density : 0;
        }
        return out;
    }

    static double[] refCombine(MergeMethod.Combine c, List<double[]> t, double[] w, double density, MajoritySign sign,
                               long[] seeds) {
        List<double[]> p = new ArrayList<>();
        for (int j = 0; j < t.size(); j++) {
            p.add(switch (c) {
                case TASK_ARITHMETIC -> t.get(j).clone();
                case MAGNITUDE_PRUNE, TIES -> refMagnitude(t.get(j), density);
                case DARE_LINEAR, DARE_TIES -> refRandom(t.get(j), density, seeds[j]);
            });
        }
        int n = t.getFirst().length;
        double[] out = new double[n];
        boolean elect = c == MergeMethod.Combine.TIES || c == MergeMethod.Combine.DARE_TIES;
        for (int i = 0; i < n; i++) {
            if (!elect) {
                for (int j = 0; j < p.size(); j++) {
                    out[i] += w[j] * p.get(j)[i];
                }
                continue;
            }
            double total = 0;
            int plus = 0;
            int minus = 0;
            for (double[] x : p) {
                total += x[i];
                plus += x[i] > 0 ? 1 : 0;
                minus += x[i] < 0 ? 1 : 0;
            }
            boolean positive = sign == MajoritySign.TOTAL ? total >= 0 : plus - minus >= 0;
            double sum = 0;
            int kept = 0;
            for (int j = 0; j < p.size(); j++) {
                double x = p.get(j)[i];
                if (positive ? x > 0 : x < 0) {
                    sum += w[j] * x;
                    kept++;
                }
            }
            out[i] = kept == 0 ? 0 : sum / kept;
        }
        return out;
    }

    /** [A', B'] of the A-and-B methods at one site. */
    static double[][] refFactors(List<LoraMerge.Input> in, SiteShape s, MergeSpec spec) {
        List<double[]> as = new ArrayList<>();
        List<double[]> bs = new ArrayList<>();
        List<Double> wa = new ArrayList<>();
        List<Double> wb = new ArrayList<>();
        List<Long> sa = new ArrayList<>();
        List<Long> sb = new ArrayList<>();
        for (int i = 0; i < in.size(); i++) {
            Lora l = in.get(i).lora();
            if (l.a(s.site()) == null) {
                continue;
            }
            double ws = in.get(i).weight() * scaling(l);
            wa.add(Math.copySign(Math.sqrt(Math.abs(ws)), ws));
            wb.add(Math.sqrt(Math.abs(ws)));
            as.add(d(l.a(s.site()).values()));
            bs.add(d(l.b(s.site()).values()));
            sa.add(LoraMerge.dareSeed(spec.seed(), i, s.site(), 0));
            sb.add(LoraMerge.dareSeed(spec.seed(), i, s.site(), 1));
        }
        double density = spec.density() == null ? 1 : spec.density();
        MergeMethod.Combine c = spec.method().combine();
        return new double[][] {
                refCombine(c, as, wa.stream().mapToDouble(x -> x).toArray(), density, spec.majoritySign(),
                        sa.stream().mapToLong(x -> x).toArray()),
                refCombine(c, bs, wb.stream().mapToDouble(x -> x).toArray(), density, spec.majoritySign(),
                        sb.stream().mapToLong(x -> x).toArray())};
    }

    /** The combined full update of an SVD method at one site, before truncation. */
    static double[] refCombinedDelta(List<LoraMerge.Input> in, SiteShape s, MergeSpec spec) {
        List<double[]> ds = new ArrayList<>();
        List<Double> w = new ArrayList<>();
        List<Long> seeds = new ArrayList<>();
        for (int i = 0; i < in.size(); i++) {
            if (in.get(i).lora().a(s.site()) != null) {
                ds.add(deltaW(in.get(i).lora(), s));
                w.add(in.get(i).weight());
                seeds.add(LoraMerge.dareSeed(spec.seed(), i, s.site(), 2));
            }
        }
        return refCombine(spec.method().combine(), ds, w.stream().mapToDouble(x -> x).toArray(),
                spec.density() == null ? 1 : spec.density(), spec.majoritySign(), seeds.stream().mapToLong(x -> x).toArray());
    }

    /**
     * One-sided Jacobi (Hestenes) SVD of a rows × cols matrix with rows ≥ cols: returns {U·S columns (rows × cols),
     * V (cols × cols), σ (descending order index)} — an algorithm independent of the implementation's Gram eigensolver.
     */
    static double[][] jacobiSvd(double[] m, int rows, int cols) {
        double[] u = m.clone();
        double[] v = new double[cols * cols];
        for (int i = 0; i < cols; i++) {
            v[i * cols + i] = 1;
        }
        for (int sweep = 0; sweep < 80; sweep++) {
            double off = 0;
            for (int p = 0; p < cols - 1; p++) {
                for (int q = p + 1; q < cols; q++) {
                    double alpha = 0;
                    double beta = 0;
                    double gamma = 0;
                    for (int r = 0; r < rows; r++) {
                        alpha += u[r * cols + p] * u[r * cols + p];
                        beta += u[r * cols + q] * u[r * cols + q];
                        gamma += u[r * cols + p] * u[r * cols + q];
                    }
                    if (gamma == 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) {
                        continue;
                    }
                    off = Math.max(off, Math.abs(gamma) / Math.sqrt(alpha * beta));
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = Math.signum(zeta) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
                    if (zeta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(1 + t * t);
                    double s = c * t;
                    for (int r = 0; r < rows; r++) {
                        double x = u[r * cols + p];
                        double y = u[r * cols + q];
                        u[r * cols + p] = c * x - s * y;
                        u[r * cols + q] = s * x + c * y;
                    }
                    for (int r = 0; r < cols; r++) {
                        double x = v[r * cols + p];
                        double y = v[r * cols + q];
                        v[r * cols + p] = c * x - s * y;
                        v[r * cols + q] = s * x + c * y;
                    }
                }
            }
            if (off == 0) {
                break;
            }
        }
        double[] sigma = new double[cols];
        for (int j = 0; j < cols; j++) {
            double n2 = 0;
            for (int r = 0; r < rows; r++) {
                n2 += u[r * cols + j] * u[r * cols + j];
            }
            sigma[j] = Math.sqrt(n2);
        }
        return new double[][] {u, v, sigma};
    }

    /** The best rank-k approximation of m (rows × cols, any shape) and its singular values, from {@link #jacobiSvd}. */
    static double[][] refTruncated(double[] m, int rows, int cols, int k) {
        boolean transpose = rows < cols;
        double[] x = transpose ? transpose(m, rows, cols) : m;
        int r = transpose ? cols : rows;
        int c = transpose ? rows : cols;
        double[][] svd = jacobiSvd(x, r, c);
        Integer[] order = IntStream.range(0, c).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(j -> -svd[2][j]));
        double[] approx = new double[r * c];
        for (int j = 0; j < k; j++) {
            int e = order[j];
            for (int i = 0; i < r; i++) {
                for (int l = 0; l < c; l++) {
                    approx[i * c + l] += svd[0][i * c + e] * svd[1][l * c + e]; // (U·S)_ie · V_le
                }
            }
        }
        double[] sorted = Arrays.stream(order).mapToDouble(j -> svd[2][j]).toArray();
        return new double[][] {transpose ? transpose(approx, r, c) : approx, sorted};
    }

    static double[] transpose(double[] m, int rows, int cols) {
        double[] t = new double[m.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = m[i * cols + j];
            }
        }
        return t;
    }

    static void assertClose(float[] actual, double[] expected, double relative, String what) {
        assertClose(d(actual), expected, relative, what);
    }

    static void assertClose(double[] actual, double[] expected, double relative, String what) {
        double scale = Arrays.stream(expected).map(Math::abs).max().orElse(0);
        assertThat(actual).as(what).hasSize(expected.length);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
        }
        assertThat(worst).as("%s: largest error against a reference of magnitude %s", what, scale)
                .isLessThanOrEqualTo(relative * Math.max(scale, 1e-30));
    }

    // ---- the tests ----------------------------------------------------------------------------------------------

    static MergeSpec spec(MergeMethod m, long seed) {
        return new MergeSpec(m, m.needsDensity() ? 0.4 : null, null, null, seed);
    }

    @ParameterizedTest
    @EnumSource(value = MergeMethod.class, names = {"LINEAR", "TIES", "DARE_LINEAR", "DARE_TIES", "MAGNITUDE_PRUNE"})
    void theAandBMethodsEqualTheReference(MergeMethod method) {
        List<LoraMerge.Input> in = equalRanks();
        for (MergeSpec spec : List.of(spec(method, 11), method.usesMajoritySign()
                ? new MergeSpec(method, 0.7, MajoritySign.FREQUENCY, null, 12) : spec(method, 12))) {
            Lora merged = LoraMerge.merge(in, spec);
            assertThat(merged.config().r()).isEqualTo(3);
            assertThat(merged.config().scaling()).isEqualTo(1f);
            assertThat(merged.config().rslora()).isFalse();
            assertThat(merged.sites()).containsExactlyElementsOf(ALL);
            for (SiteShape s : ALL) {
                double[][] ref = refFactors(in, s, spec);
                assertClose(merged.a(s.site()).values(), ref[0], 1e-6, method + " A at " + s.site());
                assertClose(merged.b(s.site()).values(), ref[1], 1e-6, method + " B at " + s.site());
            }
        }
    }

    @Test
    void linearOfOneAdapterIsItsWeightedUpdate() {
        Lora a = random(4, 8, true, ALL, 7);
        Lora merged = LoraMerge.merge(List.of(new LoraMerge.Input("a", a, -0.6)), MergeSpec.of(MergeMethod.LINEAR));
        for (SiteShape s : ALL) {
            double[] expected = Arrays.stream(deltaW(a, s)).map(x -> -0.6 * x).toArray();
            double[] got = product(d(merged.b(s.site()).values()), d(merged.a(s.site()).values()), s.out(), 4, s.in(), 1);
            assertClose(toFloat(got), expected, 1e-6, "ΔW at " + s.site());
        }
    }

    @Test
    void catIsExact() {
        List<LoraMerge.Input> in = mixedRanks();
        Lora merged = LoraMerge.merge(in, MergeSpec.of(MergeMethod.CAT));
        assertThat(merged.config().r()).isEqualTo(3 + 5 + 2);
        for (SiteShape s : ALL) {
            double[] expected = new double[s.out() * s.in()];
            for (LoraMerge.Input i : in) {
                if (i.lora().a(s.site()) != null) {
                    double[] dw = deltaW(i.lora(), s);
                    for (int k = 0; k < dw.length; k++) {
                        expected[k] += i.weight() * dw[k];
                    }
                }
            }
            double[] got = product(d(merged.b(s.site()).values()), d(merged.a(s.site()).values()), s.out(), 10, s.in(),
                    merged.config().scaling());
            assertClose(toFloat(got), expected, 1e-6, "cat ΔW = Σ wᵢ·ΔWᵢ at " + s.site());
        }
    }

    @ParameterizedTest
    @EnumSource(value = MergeMethod.class, names = {"SVD", "TIES_SVD", "DARE_LINEAR_SVD", "DARE_TIES_SVD", "MAGNITUDE_PRUNE_SVD"})
    void theSvdMethodsEqualTheTruncatedSvdOfTheReference(MergeMethod method) {
        List<LoraMerge.Input> in = mixedRanks();
        for (Integer rank : java.util.Arrays.asList(null, 7)) {
            MergeSpec spec = new MergeSpec(method, method.needsDensity() ? 0.6 : null, null, rank, 5);
            Lora merged = LoraMerge.merge(in, spec);
            int k = rank == null ? 5 : rank;
            assertThat(merged.config().r()).isEqualTo(k);
            for (SiteShape s : ALL) {
                double[] m = refCombinedDelta(in, s, spec);
                double[][] ref = refTruncated(m, s.out(), s.in(), k);
                double[] a = d(merged.a(s.site()).values());
                double[] got = product(d(merged.b(s.site()).values()), a, s.out(), k, s.in(), 1);
                assertClose(toFloat(got), ref[0], 1e-5, method + " rank " + k + " ΔW at " + s.site());
                // A's rows are orthonormal (A = V_kᵀ), and what is dropped is exactly the tail of the spectrum
                for (int p = 0; p < k; p++) {
                    for (int q = 0; q < k; q++) {
                        double dot = 0;
                        for (int c = 0; c < s.in(); c++) {
                            dot += a[p * s.in() + c] * a[q * s.in() + c];
                        }
                        assertThat(dot).isCloseTo(p == q ? 1 : 0, org.assertj.core.data.Offset.offset(1e-5));
                    }
                }
                double residual = 0;
                double total = 0;
                for (int i = 0; i < m.length; i++) {
                    residual += (m[i] - got[i]) * (m[i] - got[i]);
                    total += m[i] * m[i];
                }
                double tail = Arrays.stream(ref[1]).skip(k).map(x -> x * x).sum();
                assertThat(residual).isCloseTo(tail, org.assertj.core.data.Offset.offset(1e-6 * total));
            }
        }
    }

    @Test
    void truncatedSvdOfAWideAndATallMatrixRecoversAKnownSpectrum() {
        // M = Σ σ_j·u_j·v_jᵀ with orthonormal u, v (Gram–Schmidt of random vectors) and a clear gap at k = 4
        double[] sigmas = {9, 7, 5, 3, 1e-3, 1e-4};
        for (int[] dims : new int[][] {{29, 11}, {11, 29}}) {
            int rows = dims[0];
            int cols = dims[1];
            double[][] u = orthonormal(rows, sigmas.length, 21);
            double[][] v = orthonormal(cols, sigmas.length, 22);
            double[] m = new double[rows * cols];
            double[] best = new double[rows * cols];
            for (int j = 0; j < sigmas.length; j++) {
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        m[r * cols + c] += sigmas[j] * u[j][r] * v[j][c];
                        if (j < 4) {
                            best[r * cols + c] += sigmas[j] * u[j][r] * v[j][c];
                        }
                    }
                }
            }
            TruncatedSvd svd = TruncatedSvd.of(m, rows, cols, 4);
            double[] got = product(svd.b, svd.a, rows, 4, cols, 1);
            assertClose(got, best, 1e-9, rows + " × " + cols);
            for (int j = 0; j < 4; j++) { // column j of B has the norm σ_j
                double n2 = 0;
                for (int r = 0; r < rows; r++) {
                    n2 += svd.b[r * 4 + j] * svd.b[r * 4 + j];
                }
                assertThat(Math.sqrt(n2)).isCloseTo(sigmas[j], org.assertj.core.data.Offset.offset(1e-9));
            }
        }
    }

    @Test
    void truncatedSvdAtAFullRankSizeKeepsTheTopSubspace() {
        // 160 × 96 of full rank, σ_j = 0.9^j: B'A' is the rank-12 truncation, and the residual is the exact tail
        int rows = 160;
        int cols = 96;
        double[][] u = orthonormal(rows, cols, 31);
        double[][] v = orthonormal(cols, cols, 32);
        double[] m = new double[rows * cols];
        double[] best = new double[rows * cols];
        double tail = 0;
        for (int j = 0; j < cols; j++) {
            double sigma = Math.pow(0.9, j);
            tail += j >= 12 ? sigma * sigma : 0;
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    m[r * cols + c] += sigma * u[j][r] * v[j][c];
                    if (j < 12) {
                        best[r * cols + c] += sigma * u[j][r] * v[j][c];
                    }
                }
            }
        }
        for (boolean wide : new boolean[] {false, true}) {
            double[] x = wide ? transpose(m, rows, cols) : m;
            TruncatedSvd svd = wide ? TruncatedSvd.of(x, cols, rows, 12) : TruncatedSvd.of(x, rows, cols, 12);
            double[] got = wide ? transpose(product(svd.b, svd.a, cols, 12, rows, 1), cols, rows)
                    : product(svd.b, svd.a, rows, 12, cols, 1);
            assertClose(got, best, 1e-9, (wide ? "96 × 160" : "160 × 96") + " rank 12");
            double residual = 0;
            for (int i = 0; i < m.length; i++) {
                residual += (m[i] - got[i]) * (m[i] - got[i]);
            }
            assertThat(residual).isCloseTo(tail, org.assertj.core.data.Offset.offset(1e-9 * tail));
        }
    }

    static double[][] orthonormal(int n, int count, long seed) {
        Random random = new Random(seed);
        double[][] q = new double[count][n];
        for (int j = 0; j < count; j++) {
            for (int i = 0; i < n; i++) {
                q[j][i] = random.nextGaussian();
            }
            for (int p = 0; p < j; p++) {
                double dot = 0;
                for (int i = 0; i < n; i++) {
                    dot += q[j][i] * q[p][i];
                }
                for (int i = 0; i < n; i++) {
                    q[j][i] -= dot * q[p][i];
                }
            }
            double norm = Math.sqrt(Arrays.stream(q[j]).map(x -> x * x).sum());
            for (int i = 0; i < n; i++) {
                q[j][i] /= norm;
            }
        }
        return q;
    }

    @Test
    void dareIsReproducibleForOneSeedAndKeepsAboutTheDensity() {
        List<LoraMerge.Input> in = equalRanks();
        Lora x = LoraMerge.merge(in, new MergeSpec(MergeMethod.DARE_LINEAR, 0.3, null, null, 42));
        Lora y = LoraMerge.merge(in, new MergeSpec(MergeMethod.DARE_LINEAR, 0.3, null, null, 42));
        Lora z = LoraMerge.merge(in, new MergeSpec(MergeMethod.DARE_LINEAR, 0.3, null, null, 43));
        assertThat(x.a(Q0).values()).containsExactly(y.a(Q0).values());
        assertThat(x.a(Q0).values()).isNotEqualTo(z.a(Q0).values());
        boolean[] mask = TaskTensors.randomMask(100_000, 0.3, 7);
        long kept = IntStream.range(0, mask.length).filter(i -> mask[i]).count();
        assertThat(kept / 100_000.0).isCloseTo(0.3, org.assertj.core.data.Offset.offset(0.01));
    }

    @Test
    void mismatchedAdaptersFailNamingThemAndTheReason() {
        List<LoraMerge.Input> mixed = mixedRanks();
        for (MergeMethod m : List.of(MergeMethod.LINEAR, MergeMethod.TIES, MergeMethod.DARE_LINEAR, MergeMethod.DARE_TIES,
                MergeMethod.MAGNITUDE_PRUNE)) {
            assertThatThrownBy(() -> LoraMerge.merge(mixed, spec(m, 0))).isInstanceOf(MergeException.class)
                    .hasMessageContaining(m.peftName()).hasMessageContaining("equal rank")
                    .hasMessageContaining("a has r=3").hasMessageContaining("b has r=5").hasMessageContaining("c has r=2");
        }
        Lora other = random(3, 6, false, List.of(new SiteShape(Q0, 17, 17)), 9);
        assertThatThrownBy(() -> LoraMerge.merge(List.of(mixed.getFirst(), new LoraMerge.Input("wide", other, 1)),
                MergeSpec.of(MergeMethod.CAT))).isInstanceOf(MergeException.class)
                .hasMessageContaining("adapters a and wide disagree at layer 0 query")
                .hasMessageContaining("13 → 13 against 17 → 17");
        assertThatThrownBy(() -> LoraMerge.merge(mixed, new MergeSpec(MergeMethod.SVD, null, null, 14, 0)))
                .isInstanceOf(MergeException.class).hasMessageContaining("svd rank 14 exceeds the dimensions of layer 0 query");
        assertThatThrownBy(() -> LoraMerge.merge(List.of(mixed.getFirst(), mixed.getFirst()), MergeSpec.of(MergeMethod.CAT)))
                .isInstanceOf(MergeException.class).hasMessageContaining("adapter a is given twice");
    }

    @Test
    void parametersAMethodWouldIgnoreAreRefused() {
        assertThatThrownBy(() -> new MergeSpec(MergeMethod.TIES, null, null, null, 0)).hasMessageContaining("ties needs a density");
        assertThatThrownBy(() -> new MergeSpec(MergeMethod.TIES, 0.0, null, null, 0)).hasMessageContaining("(0, 1]");
        assertThatThrownBy(() -> new MergeSpec(MergeMethod.TIES, 1.5, null, null, 0)).hasMessageContaining("(0, 1]");
        assertThatThrownBy(() -> new MergeSpec(MergeMethod.LINEAR, 0.5, null, null, 0)).hasMessageContaining("linear does not prune");
        assertThatThrownBy(() -> new MergeSpec(MergeMethod.DARE_LINEAR, 0.5, MajoritySign.TOTAL, null, 0))
                .hasMessageContaining("dare_linear elects no sign");
        assertThatThrownBy(() -> new MergeSpec(MergeMethod.CAT, null, null, 4, 0)).hasMessageContaining("cat is not an SVD method");
        assertThatThrownBy(() -> MergeMethod.parse("average")).hasMessageContaining("unknown merge method 'average'")
                .hasMessageContaining("linear, cat, svd, ties");
    }

    static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }
}
