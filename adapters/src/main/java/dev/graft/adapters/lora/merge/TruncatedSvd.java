package dev.graft.adapters.lora.merge;

/**
 * The rank-k truncated SVD of a dense {@code rows × cols} matrix M, in double, as the two LoRA factors PEFT makes of
 * it: {@code B = U_k·diag(S_k)} ({@code rows × k}) and {@code A = V_kᵀ} ({@code k × cols}), so that {@code B·A} is the
 * best rank-k approximation of M (Eckart–Young).
 *
 * <p>Method: the eigen-decomposition (Householder tridiagonalisation, then implicit QL) of the Gram matrix of the
 * smaller side
 * ({@code MᵀM} when {@code cols ≤ rows}, else {@code MMᵀ}; 384 × 384 for every MiniLM projection). The top-k
 * eigenvectors span the top-k singular subspace; the factors are then computed from M itself ({@code B = M·V_k}, or
 * {@code A}'s rows {@code = u_jᵀM / σ_j} with {@code σ_j = ‖u_jᵀM‖}), never from the squared eigenvalues, so the kept
 * part {@code B·A} is M projected on that subspace. Squaring the condition number costs accuracy only for singular
 * values below about 1e-8·σ₁, which a rank-k truncation drops anyway; the tests check {@code ‖M − B·A‖_F² = Σ_{j>k}
 * σ_j²} and the factors against an independent one-sided Jacobi SVD. Singular vectors are defined up to sign (and up
 * to a rotation among equal singular values), as in any SVD: A and B may differ from torch's in those signs, B·A
 * does not.
 */
final class TruncatedSvd {
    /** {@code rows × k} */
    final double[] b;
    /** {@code k × cols} */
    final double[] a;

    private TruncatedSvd(double[] b, double[] a) {
        this.b = b;
        this.a = a;
    }

    /**
     * @param m row-major {@code rows × cols}
     * @param k rank kept, 1 ≤ k ≤ min(rows, cols)
     */
    static TruncatedSvd of(double[] m, int rows, int cols, int k) {
        if (k < 1 || k > Math.min(rows, cols)) {
            throw new IllegalArgumentException("rank " + k + " is outside 1.." + Math.min(rows, cols) + " for a " + rows
                    + " × " + cols + " matrix");
        }
        boolean right = cols <= rows; // decompose MᵀM (cols × cols), else MMᵀ (rows × rows)
        int n = right ? cols : rows;
        double[] g = new double[n * n];
        if (right) {
            for (int r = 0; r < rows; r++) {
                int off = r * cols;
                for (int i = 0; i < n; i++) {
                    double x = m[off + i];
                    if (x != 0) {
                        for (int j = i; j < n; j++) {
                            g[i * n + j] += x * m[off + j];
                        }
                    }
                }
            }
        } else {
            for (int i = 0; i < n; i++) {
                for (int j = i; j < n; j++) {
                    double s = 0;
                    for (int c = 0; c < cols; c++) {
                        s += m[i * cols + c] * m[j * cols + c];
                    }
                    g[i * n + j] = s;
                }
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                g[i * n + j] = g[j * n + i];
            }
        }
        double[] lambda = new double[n];
        eigen(g, n, lambda);
        double[] v = g;
        int[] order = descending(lambda);
        double[] b = new double[rows * k];
        double[] a = new double[k * cols];
        if (right) { // A = V_kᵀ, B = M·V_k
            for (int j = 0; j < k; j++) {
                int e = order[j];
                for (int c = 0; c < cols; c++) {
                    a[j * cols + c] = v[e * n + c];
                }
            }
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < k; j++) {
                    double s = 0;
                    for (int c = 0; c < cols; c++) {
                        s += m[r * cols + c] * a[j * cols + c];
                    }
                    b[r * k + j] = s;
                }
            }
        } else { // row j of A = u_jᵀM / σ_j, column j of B = σ_j·u_j
            for (int j = 0; j < k; j++) {
                int e = order[j];
                double norm2 = 0;
                for (int c = 0; c < cols; c++) {
                    double s = 0;
                    for (int r = 0; r < rows; r++) {
                        s += v[e * n + r] * m[r * cols + c];
                    }
                    a[j * cols + c] = s;
                    norm2 += s * s;
                }
                double sigma = Math.sqrt(norm2);
                if (sigma > Double.MIN_NORMAL) {
                    for (int c = 0; c < cols; c++) {
                        a[j * cols + c] /= sigma;
                    }
                    for (int r = 0; r < rows; r++) {
                        b[r * k + j] = sigma * v[e * n + r];
                    }
                } else { // a zero singular value: the pair contributes nothing
                    java.util.Arrays.fill(a, j * cols, (j + 1) * cols, 0);
                }
            }
        }
        return new TruncatedSvd(b, a);
    }

    /**
     * Eigen-decomposition of the symmetric {@code n × n} matrix {@code g} (row-major; overwritten): Householder
     * reduction to tridiagonal form with the transformations accumulated, then the implicit QL iteration with Wilkinson
     * shifts (the EISPACK tred2/tql2 pair), O(n³). Returns the eigenvectors as the rows of {@code g} (transposed
     * between the two steps, so the QL rotations run along contiguous rows) and their eigenvalues in {@code values}.
     */
    static void eigen(double[] g, int n, double[] values) {
        double[] d = values;
        double[] e = new double[n];
        tridiagonalize(g, n, d, e);
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double t = g[i * n + j];
                g[i * n + j] = g[j * n + i];
                g[j * n + i] = t;
            }
        }
        ql(g, n, d, e);
    }

    /** {@code v} becomes Q with Qᵀ·A·Q tridiagonal: diagonal {@code d}, sub-diagonal {@code e[1..n-1]}. */
    private static void tridiagonalize(double[] v, int n, double[] d, double[] e) {
        for (int j = 0; j < n; j++) {
            d[j] = v[(n - 1) * n + j];
        }
        for (int i = n - 1; i > 0; i--) {
            double scale = 0;
            double h = 0;
            for (int k = 0; k < i; k++) {
                scale += Math.abs(d[k]);
            }
            if (scale == 0) {
                e[i] = d[i - 1];
                for (int j = 0; j < i; j++) {
                    d[j] = v[(i - 1) * n + j];
                    v[i * n + j] = 0;
                    v[j * n + i] = 0;
                }
            } else {
                for (int k = 0; k < i; k++) { // the Householder vector of row i
                    d[k] /= scale;
                    h += d[k] * d[k];
                }
                double f = d[i - 1];
                double g = Math.sqrt(h);
                if (f > 0) {
                    g = -g;
                }
                e[i] = scale * g;
                h -= f * g;
                d[i - 1] = f - g;
                for (int j = 0; j < i; j++) {
                    e[j] = 0;
                }
                for (int j = 0; j < i; j++) { // e = A·u over the leading i × i block (its lower triangle)
                    f = d[j];
                    v[j * n + i] = f;
                    g = e[j] + v[j * n + j] * f;
                    for (int k = j + 1; k <= i - 1; k++) {
                        g += v[k * n + j] * d[k];
                        e[k] += v[k * n + j] * f;
                    }
                    e[j] = g;
                }
                f = 0;
                for (int j = 0; j < i; j++) {
                    e[j] /= h;
                    f += e[j] * d[j];
                }
                double hh = f / (h + h);
                for (int j = 0; j < i; j++) {
                    e[j] -= hh * d[j];
                }
                for (int j = 0; j < i; j++) { // A -= u·eᵀ + e·uᵀ
                    f = d[j];
                    g = e[j];
                    for (int k = j; k <= i - 1; k++) {
                        v[k * n + j] -= f * e[k] + g * d[k];
                    }
                    d[j] = v[(i - 1) * n + j];
                    v[i * n + j] = 0;
                }
            }
            d[i] = h;
        }
        for (int i = 0; i < n - 1; i++) { // accumulate the transformations
            v[(n - 1) * n + i] = v[i * n + i];
            v[i * n + i] = 1;
            double h = d[i + 1];
            if (h != 0) {
                for (int k = 0; k <= i; k++) {
                    d[k] = v[k * n + i + 1] / h;
                }
                for (int j = 0; j <= i; j++) {
                    double g = 0;
                    for (int k = 0; k <= i; k++) {
                        g += v[k * n + i + 1] * v[k * n + j];
                    }
                    for (int k = 0; k <= i; k++) {
                        v[k * n + j] -= g * d[k];
                    }
                }
            }
            for (int k = 0; k <= i; k++) {
                v[k * n + i + 1] = 0;
            }
        }
        for (int j = 0; j < n; j++) {
            d[j] = v[(n - 1) * n + j];
            v[(n - 1) * n + j] = 0;
        }
        v[(n - 1) * n + n - 1] = 1;
        e[0] = 0;
    }

    /** Implicit QL on the tridiagonal (d, e), rotating the rows of {@code v} (= Qᵀ): d becomes the eigenvalues. */
    private static void ql(double[] v, int n, double[] d, double[] e) {
        for (int i = 1; i < n; i++) {
            e[i - 1] = e[i];
        }
        e[n - 1] = 0;
        double f = 0;
        double tst1 = 0;
        double eps = Math.ulp(1.0);
        for (int l = 0; l < n; l++) {
            tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
            int m = l;
            while (m < n - 1 && Math.abs(e[m]) > eps * tst1) { // the first negligible sub-diagonal element
                m++;
            }
            if (m > l) {
                int iterations = 0;
                do {
                    if (++iterations > 60) {
                        throw new ArithmeticException("the QL iteration did not converge for eigenvalue " + l + " of " + n);
                    }
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2 * e[l]);
                    double r = Math.hypot(p, 1);
                    if (p < 0) {
                        r = -r;
                    }
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++) {
                        d[i] -= h;
                    }
                    f += h;
                    p = d[m];
                    double c = 1;
                    double c2 = c;
                    double c3 = c;
                    double el1 = e[l + 1];
                    double s = 0;
                    double s2 = 0;
                    for (int i = m - 1; i >= l; i--) {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Math.hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        int r1 = (i + 1) * n;
                        int r0 = i * n;
                        for (int k = 0; k < n; k++) { // rows i and i+1 of Vᵀ
                            double vk1 = v[r1 + k];
                            double vk = v[r0 + k];
                            v[r1 + k] = s * vk + c * vk1;
                            v[r0 + k] = c * vk - s * vk1;
                        }
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                } while (Math.abs(e[l]) > eps * tst1);
            }
            d[l] += f;
            e[l] = 0;
        }
    }

    private static int[] descending(double[] lambda) {
        int n = lambda.length;
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (x, y) -> Double.compare(lambda[y], lambda[x]));
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = idx[i];
        }
        return out;
    }
}
