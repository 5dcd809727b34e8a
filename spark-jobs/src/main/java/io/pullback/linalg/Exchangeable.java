package io.pullback.linalg;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The shared part of XTrace and XDiag (Epperly, Tropp and Webber 2024): from k probes W and their
 * products {@code Y = A·W}, the basis {@code Q R = Y} (CGS2, {@link Orthonormal}), {@code A·Q}
 * (k more products) and, for each probe i, the vector {@code s_i} with
 * {@code Q_iQ_iᵀ = Q(I − s_is_iᵀ)Qᵀ}, where {@code Q_i} is an orthonormal basis of Y without
 * column i: {@code s_i} is column i of {@code R^{-T}} normalised. When Y is rank-deficient (a column
 * dropped) leaving one probe out does not change the span, so every {@code s_i} is null
 * ({@code Q_i = Q}).
 *
 * @param q the orthonormal basis (kept columns)
 * @param aq {@code A·q_j}
 * @param s {@code s_i} per probe (length |q|), or null entries when Y is rank-deficient
 */
record Exchangeable(List<double[]> q, double[][] aq, double[][] s, int n) {

  static Exchangeable of(UnaryOperator<double[]> op, List<double[]> w, double[][] y, int n) {
    Orthonormal.Block block = Orthonormal.orthonormalise(List.of(), Orthonormal.copies(List.of(y)), StochasticTrace.DROP);
    double[][] aq = Orthonormal.products(op, block.q());
    int k = w.size();
    double[][] s = new double[k][];
    if (block.fullRank()) {
      double[][] linv = lowerInverseOfTranspose(block.r());
      for (int i = 0; i < k; i++) {
        double norm = 0;
        for (int a = 0; a < k; a++) norm += linv[a][i] * linv[a][i];
        norm = Math.sqrt(norm);
        s[i] = new double[k];
        for (int a = 0; a < k; a++) s[i][a] = linv[a][i] / norm;
      }
    }
    return new Exchangeable(block.q(), aq, s, n);
  }

  /** {@code (Rᵀ)^{-1}}, lower triangular, by forward substitution (R upper triangular, non-singular). */
  static double[][] lowerInverseOfTranspose(double[][] r) {
    int k = r.length;
    double[][] x = new double[k][k]; // x[a][col]
    for (int col = 0; col < k; col++) {
      for (int a = col; a < k; a++) {
        double sum = a == col ? 1 : 0;
        for (int b = col; b < a; b++) sum -= r[b][a] * x[b][col]; // (Rᵀ)[a][b] = r[b][a]
        x[a][col] = sum / r[a][a];
      }
    }
    return x;
  }

  /** {@code H = Qᵀ(AQ)}, symmetrised. */
  double[][] projected() {
    int m = q.size();
    double[][] h = new double[m][m];
    for (int a = 0; a < m; a++) {
      for (int b = 0; b < m; b++) h[a][b] = DenseOps.dot(q.get(a), aq[b]);
    }
    for (int a = 0; a < m; a++) {
      for (int b = 0; b < a; b++) {
        double mean = 0.5 * (h[a][b] + h[b][a]);
        h[a][b] = mean;
        h[b][a] = mean;
      }
    }
    return h;
  }

  /** {@code u − (s·u)s} (u unchanged when s is null). */
  static double[] deflate(double[] u, double[] s) {
    if (s == null) return u;
    double c = DenseOps.dot(s, u);
    for (int a = 0; a < u.length; a++) u[a] -= c * s[a];
    return u;
  }

  /** {@code (I − Q_iQ_iᵀ) A (I − Q_iQ_iᵀ) w_i}, from {@code y_i = A w_i} (no product). */
  double[] deflatedHutchinson(int i, double[] wi, double[] yi) {
    double[] coef = deflate(Orthonormal.transposeTimes(q, wi), s[i]);
    double[] apw = yi.clone();
    double[] correction = Orthonormal.times(List.of(aq), coef, n);
    for (int t = 0; t < n; t++) apw[t] -= correction[t];
    double[] back = Orthonormal.times(q, deflate(Orthonormal.transposeTimes(q, apw), s[i]), n);
    for (int t = 0; t < n; t++) apw[t] -= back[t];
    return apw;
  }

  /** {@code (I − Q_iQ_iᵀ) A w_i}, from {@code y_i = A w_i} (no product; {@code QᵀA = (AQ)ᵀ} by symmetry). */
  double[] complement(int i, double[] wi, double[] yi) {
    double[] coef = deflate(Orthonormal.transposeTimes(List.of(aq), wi), s[i]);
    double[] out = yi.clone();
    double[] correction = Orthonormal.times(q, coef, n);
    for (int t = 0; t < n; t++) out[t] -= correction[t];
    return out;
  }
}
