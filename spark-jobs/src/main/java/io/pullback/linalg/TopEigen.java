package io.pullback.linalg;

import io.pullback.data.CounterRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The top k eigenpairs of a symmetric N×N operator A from products only: block Lanczos with full
 * re-orthogonalisation (randomised block Krylov, Musco and Musco 2015), Rayleigh–Ritz on the whole
 * basis after every block, and a residual-based stopping rule.
 *
 * <p><b>Iteration.</b> The first block is k Rademacher columns (entry i of column c the sign of
 * {@link CounterRandom#bits}{@code (seed, i, c, STREAM)}), orthonormalised. Block j's products
 * {@code Z = A·Q_j} are orthogonalised (CGS2, {@link Orthonormal}) against the whole basis; the
 * coefficients fill column block j of {@code T = QᵀAQ} and the remainder {@code Z⊥} becomes the next
 * block (dependent columns dropped: a closed Krylov space adds nothing). The Ritz pairs
 * {@code (θ_i, Qy_i)} of T (LAPACK {@code dsyevd}) have residuals
 * {@code ‖A·Qy_i − θ_i·Qy_i‖ = ‖Z⊥·y_i^{(j)}‖} ({@code y_i^{(j)}} the entries of y_i on block j),
 * computed without further products.
 *
 * <p><b>Stopping rule.</b> Stop when every one of the top k residuals is at most
 * {@code tol·|θ_1|}; then each θ_i lies within {@code tol·|θ_1|} of an eigenvalue of A (and within
 * {@code (tol·θ_1)²/gap_i} of λ_i when it is separated by {@code gap_i} from the rest of the
 * spectrum), and the angle between Qy_i and its eigenvector is at most {@code tol·θ_1/gap_i}. Also
 * stop (not converged) when the basis reaches {@code maxProducts} vectors or N.
 *
 * <p>Costs: at most {@code maxProducts} products, {@code O(m²·N)} flops and {@code 8·m·N} bytes for
 * a basis of m vectors, an m×m {@code dsyevd} per block.
 */
public final class TopEigen {
  private TopEigen() {}

  /** The counter stream of the start block ("KRY"). */
  public static final int STREAM = 0x4B5259;

  /** Relative remainder below which a Krylov column counts as dependent. */
  public static final double DROP = 1e-12;

  /**
   * The top eigenpairs.
   *
   * @param values the top k Ritz values, descending
   * @param vectors their Ritz vectors (k × N, unit norm), or null when not asked
   * @param residuals {@code ‖A x_i − θ_i x_i‖} of each
   * @param ritzAscending every Ritz value of the final basis, ascending (the smallest approximate the
   *     bottom of the spectrum, without a convergence guarantee)
   * @param products products {@code A·v} made (the basis size)
   * @param converged whether the stopping rule was met
   */
  public record Eigenpairs(double[] values, double[][] vectors, double[] residuals, double[] ritzAscending, long products,
                           boolean converged) {}

  /**
   * The top {@code k} eigenpairs with at most {@code maxProducts} products and relative residual
   * tolerance {@code tol} (see the class comment).
   */
  public static Eigenpairs top(UnaryOperator<double[]> op, int n, int k, int maxProducts, double tol, long seed, boolean vectors) {
    if (k < 1 || k > n) throw new IllegalArgumentException("top-k needs 1 <= k <= N = " + n + ", got " + k);
    if (maxProducts < k) throw new IllegalArgumentException("the product budget " + maxProducts + " is below k = " + k);
    if (!(tol > 0)) throw new IllegalArgumentException("the residual tolerance must be > 0, got " + tol);
    int budget = Math.min(maxProducts, n);
    List<double[]> basis = new ArrayList<>();
    double[][] start = new double[k][n];
    for (int c = 0; c < k; c++) {
      for (int i = 0; i < n; i++) start[c][i] = CounterRandom.bits(seed, i, c, STREAM) < 0 ? -1.0 : 1.0;
    }
    List<double[]> block = Orthonormal.orthonormalise(basis, start, DROP).q();
    double[][] t = new double[budget][budget];
    while (true) {
      int from = basis.size();
      basis.addAll(block);
      int m = basis.size();
      double[][] z = Orthonormal.products(op, block);
      Orthonormal.Block rem = Orthonormal.orthonormalise(basis.subList(0, m), z, DROP); // z is now Z⊥ (kept columns normalised)
      fill(t, rem.basisCoefficients(), from);
      Ritz ritz = Ritz.of(t, m, k);
      double[] residuals = residuals(rem, ritz, from, m, n);
      boolean converged = true;
      for (double r : residuals) converged &= r <= tol * Math.abs(ritz.values()[0]);
      int room = budget - m;
      if (converged || room <= 0 || rem.q().isEmpty()) {
        double[][] x = vectors ? ritzVectors(basis, ritz, n) : null;
        return new Eigenpairs(ritz.values(), x, residuals, ritz.all(), m, converged || m == n);
      }
      block = new ArrayList<>(rem.q().subList(0, Math.min(room, rem.q().size())));
    }
  }

  /** Column block of T from the coefficients of Z = A·Q_j on the basis (symmetrised). */
  private static void fill(double[][] t, double[][] c, int from) {
    for (int j = 0; j < c.length; j++) {
      int col = from + j;
      for (int row = 0; row < c[j].length; row++) {
        if (row >= from && row < col) continue; // within the block: set once from both sides below
        t[row][col] = c[j][row];
        t[col][row] = c[j][row];
      }
      for (int i = 0; i < j; i++) {
        double mean = 0.5 * (c[j][from + i] + c[i][col]);
        t[from + i][col] = mean;
        t[col][from + i] = mean;
      }
    }
  }

  /**
   * {@code ‖Z⊥ y^{(j)}‖} for each top Ritz vector: Z⊥'s kept columns are {@code q_c·r_cc} plus the
   * upper-triangular mix, so {@code Z⊥ y = Σ_c q_c (R y)_c} and its norm is {@code ‖R y^{(j)}‖}
   * (the q_c orthonormal).
   */
  private static double[] residuals(Orthonormal.Block rem, Ritz ritz, int from, int m, int n) {
    double[][] r = rem.r();
    int b = r.length;
    double[] out = new double[ritz.values().length];
    for (int i = 0; i < out.length; i++) {
      double[] y = ritz.vector(i);
      double ss = 0;
      for (int row = 0; row < b; row++) {
        double s = 0;
        for (int c = row; c < b; c++) s += r[row][c] * y[from + c];
        ss += s * s;
      }
      out[i] = Math.sqrt(ss);
    }
    return out;
  }

  private static double[][] ritzVectors(List<double[]> basis, Ritz ritz, int n) {
    int k = ritz.values().length;
    double[][] x = new double[k][];
    for (int i = 0; i < k; i++) {
      x[i] = Orthonormal.times(basis, ritz.vector(i), n);
      double norm = DenseOps.norm(x[i]);
      for (int t = 0; t < n; t++) x[i][t] /= norm;
    }
    return x;
  }

  /** Ritz values (all ascending; top k descending) and vectors of the leading m×m block of T. */
  private record Ritz(double[] all, double[] values, double[] eigenvectors, int m) {
    static Ritz of(double[][] t, int m, int k) {
      double[] a = new double[m * m];
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++) a[i * m + j] = t[i][j];
      }
      double[] w = DenseOps.eigh(a, m);
      int top = Math.min(k, m);
      double[] values = new double[top];
      for (int i = 0; i < top; i++) values[i] = w[m - 1 - i];
      return new Ritz(w, values, a, m);
    }

    /** The eigenvector of the i-th largest Ritz value (length m). */
    double[] vector(int i) {
      double[] y = new double[m];
      System.arraycopy(eigenvectors, (m - 1 - i) * m, y, 0, m);
      return y;
    }
  }
}
