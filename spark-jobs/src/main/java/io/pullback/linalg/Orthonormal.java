package io.pullback.linalg;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Orthonormal bases of blocks of N-vectors, and the few block helpers the stochastic estimators
 * share ({@link StochasticTrace}, {@link StochasticDiagonal}, {@link TopEigen}).
 *
 * <p>{@link #orthonormalise}: classical Gram–Schmidt applied twice (CGS2) per column, against an
 * existing orthonormal basis and the block's earlier columns: {@code Y = B·C + Q·R} with {@code C}
 * the coefficients against the basis and {@code R} upper triangular. A column whose remainder is at
 * most {@code drop·max_j ‖y_j‖} is <em>dropped</em> (its row of R is zero, it adds nothing to Q), so
 * a rank-deficient block (a metric of rank below the block width, a closed Krylov space) never puts
 * a rounding-noise direction into a basis. Cost {@code O(N·k·(m + k))} flops for k columns against
 * m basis vectors; orthogonality to rounding (CGS2).
 */
public final class Orthonormal {
  private Orthonormal() {}

  /**
   * The result of orthonormalising a block of k columns.
   *
   * @param q the kept orthonormal columns (each length N), in order
   * @param kept for each kept column of {@code q}, the index of the input column it came from
   * @param basisCoefficients {@code C[j][i] = b_iᵀ y_j} summed over both passes (k × m)
   * @param r upper triangular k×k, {@code r[i][j]} the coefficient of input column j on input column
   *     i's kept direction; rows of dropped columns are zero
   */
  public record Block(List<double[]> q, int[] kept, double[][] basisCoefficients, double[][] r) {
    /** Whether every column was kept. */
    public boolean fullRank() {
      return kept.length == r.length;
    }
  }

  /**
   * Orthonormalises {@code columns} (modified: each becomes its remainder, normalised when kept)
   * against {@code basis} (orthonormal, not modified) and each other, dropping columns whose
   * remainder is at most {@code drop} times the largest input norm (see the class comment).
   */
  public static Block orthonormalise(List<double[]> basis, double[][] columns, double drop) {
    int k = columns.length;
    int m = basis.size();
    double scale = 0;
    for (double[] y : columns) scale = Math.max(scale, DenseOps.norm(y));
    double[][] c = new double[k][m];
    double[][] r = new double[k][k];
    List<double[]> q = new ArrayList<>();
    List<Integer> kept = new ArrayList<>();
    for (int j = 0; j < k; j++) {
      double[] y = columns[j];
      for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < m; i++) c[j][i] += subtractProjection(y, basis.get(i));
        for (int t = 0; t < q.size(); t++) r[kept.get(t)][j] += subtractProjection(y, q.get(t));
      }
      double norm = DenseOps.norm(y);
      if (norm > drop * scale && norm > 0) {
        r[j][j] = norm;
        for (int i = 0; i < y.length; i++) y[i] /= norm;
        q.add(y);
        kept.add(j);
      }
    }
    return new Block(q, kept.stream().mapToInt(Integer::intValue).toArray(), c, r);
  }

  /** {@code y ← y − (bᵀy)·b}; returns {@code bᵀy}. */
  static double subtractProjection(double[] y, double[] b) {
    double c = DenseOps.dot(y, b);
    for (int i = 0; i < y.length; i++) y[i] -= c * b[i];
    return c;
  }

  /** {@code G·x_j} for each column (one product each; the single place a block of products is made). */
  public static double[][] products(UnaryOperator<double[]> op, List<double[]> columns) {
    double[][] out = new double[columns.size()][];
    for (int j = 0; j < out.length; j++) out[j] = op.apply(columns.get(j));
    return out;
  }

  /** {@code Xᵀv} for the columns X (length = columns). */
  public static double[] transposeTimes(List<double[]> columns, double[] v) {
    double[] out = new double[columns.size()];
    for (int j = 0; j < out.length; j++) out[j] = DenseOps.dot(columns.get(j), v);
    return out;
  }

  /** {@code X·u} for the columns X (length N). */
  public static double[] times(List<double[]> columns, double[] u, int n) {
    double[] out = new double[n];
    for (int j = 0; j < u.length; j++) {
      double[] x = columns.get(j);
      double uj = u[j];
      if (uj == 0) continue;
      for (int i = 0; i < n; i++) out[i] += uj * x[i];
    }
    return out;
  }

  /** Deep copies of the columns (the inputs stay unmodified). */
  public static double[][] copies(List<double[]> columns) {
    double[][] out = new double[columns.size()][];
    for (int j = 0; j < out.length; j++) out[j] = columns.get(j).clone();
    return out;
  }
}
