package dev.graft.adapters.lora.merge;

/**
 * The rank-k truncated SVD of a dense {@code rows × cols} matrix M, in double, as the two LoRA factors PEFT makes of
 * it: {@code B = U_k·diag(S_k)} ({@code rows × k}) and {@code A = V_kᵀ} ({@code k × cols}), so that {@code B·A} is the
 * best rank-k approximation of M (Eckart–Young).
 *
 * <p>Method: the eigen-decomposition, by cyclic Jacobi rotations, of the Gram matrix of the smaller side
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
    private static final int MAX_SWEEPS = 60;

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
        double[] v = eigenvectors(g, n);
        int[] order = descendingDiagonal(g, n);
        double[] b = new double[rows * k];
        double[] a = new double[k * cols];
        if (right) { // A = V_kᵀ, B = M·V_k
            for (int j = 0; j < k; j++) {
                int e = order[j];
                for (int c = 0; c < cols; c++) {
                    a[j * cols + c] = v[c * n + e];
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
                        s += v[r * n + e] * m[r * cols + c];
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
                        b[r * k + j] = sigma * v[r * n + e];
                    }
                } else { // a zero singular value: the pair contributes nothing
                    java.util.Arrays.fill(a, j * cols, (j + 1) * cols, 0);
                }
            }
        }
        return new TruncatedSvd(b, a);
    }

    /**
     * Diagonalises the symmetric {@code g} in place by cyclic Jacobi rotations; returns the eigenvectors as the
     * columns of a row-major {@code n × n} matrix (eigenvalue e is {@code g[e·n + e]} afterwards).
     */
    static double[] eigenvectors(double[] g, int n) {
        double[] v = new double[n * n];
        for (int i = 0; i < n; i++) {
            v[i * n + i] = 1;
        }
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            boolean rotated = false;
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    double apq = g[p * n + q];
                    double app = g[p * n + p];
                    double aqq = g[q * n + q];
                    // negligible against the diagonal: rotating would change nothing at double precision
                    if (Math.abs(apq) <= 1e-17 * Math.sqrt(Math.abs(app * aqq)) || apq == 0) {
                        continue;
                    }
                    rotated = true;
                    double theta = (aqq - app) / (2 * apq);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(t * t + 1);
                    double s = t * c;
                    for (int k = 0; k < n; k++) {
                        if (k != p && k != q) {
                            double gkp = g[k * n + p];
                            double gkq = g[k * n + q];
                            double np = c * gkp - s * gkq;
                            double nq = s * gkp + c * gkq;
                            g[k * n + p] = np;
                            g[p * n + k] = np;
                            g[k * n + q] = nq;
                            g[q * n + k] = nq;
                        }
                    }
                    g[p * n + p] = app - t * apq;
                    g[q * n + q] = aqq + t * apq;
                    g[p * n + q] = 0;
                    g[q * n + p] = 0;
                    for (int k = 0; k < n; k++) {
                        double vkp = v[k * n + p];
                        double vkq = v[k * n + q];
                        v[k * n + p] = c * vkp - s * vkq;
                        v[k * n + q] = s * vkp + c * vkq;
                    }
                }
            }
            if (!rotated) {
                return v;
            }
        }
        return v; // 60 sweeps: converged far below what double resolves for any matrix seen in practice
    }

    private static int[] descendingDiagonal(double[] g, int n) {
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (x, y) -> Double.compare(g[y * n + y], g[x * n + x]));
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = idx[i];
        }
        return out;
    }
}
