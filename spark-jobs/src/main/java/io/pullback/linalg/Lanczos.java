package io.pullback.linalg;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

/**
 * Extreme eigenvalues of a symmetric operator from products only: {@code m} Lanczos steps with full
 * re-orthogonalisation (so no ghost eigenvalues), then the eigenvalues of the m×m tridiagonal
 * matrix (Ritz values, LAPACK {@code dsyevd}). The largest and smallest Ritz values converge first;
 * with m = N they are the exact spectrum. Costs: m products, {@code O(m²N)} flops and
 * {@code 8·m·N} bytes for the basis.
 */
public final class Lanczos {
  private Lanczos() {}

  /** Ritz values, ascending. Stops early (fewer values) when an invariant subspace is found. */
  public static double[] ritzValues(UnaryOperator<double[]> op, int n, int steps, long seed) {
    if (Math.min(steps, n) < 1) throw new IllegalArgumentException("Lanczos needs >= 1 step, got " + steps);
    SplittableRandom rng = new SplittableRandom(seed);
    double[] v = new double[n];
    for (int i = 0; i < n; i++) v[i] = rng.nextGaussian();
    Tridiagonal t = tridiagonal(op, v, steps);
    int k = t.alpha().length;
    double[] dense = new double[k * k];
    for (int i = 0; i < k; i++) {
      dense[i * k + i] = t.alpha()[i];
      if (i + 1 < k) {
        dense[i * k + i + 1] = t.beta()[i];
        dense[(i + 1) * k + i] = t.beta()[i];
      }
    }
    return DenseOps.eigh(dense, k);
  }

  /**
   * The Lanczos tridiagonal {@code T = QᵀGQ} of {@code min(steps, N)} steps from {@code start}
   * (any non-zero vector; normalised here, not modified): diagonal {@code alpha} (length k),
   * off-diagonal {@code beta} (length k − 1). Every new vector is re-orthogonalised (twice) against
   * all earlier ones, so T's eigenvalues carry no ghost copies; stops early (k smaller) when an
   * invariant subspace is found ({@code β ≤ 1e-12·max(1, |α|)}). Costs k products,
   * {@code O(k²N)} flops and {@code 8·k·N} bytes for the basis.
   */
  public static Tridiagonal tridiagonal(UnaryOperator<double[]> op, double[] start, int steps) {
    Run run = new Run(start, steps);
    while (!run.done()) run.advance(op.apply(run.current()));
    return run.result();
  }

  /**
   * {@link #tridiagonal} from each of several starts, run in lockstep: every step applies
   * {@code blockOp} once to the current vectors of the runs not yet finished (vector i of its
   * argument and result belongs to the i-th of those, in start order), so s runs of k steps cost k
   * block products instead of s·k products. Each run computes what {@link #tridiagonal} does with the
   * same products. Memory: {@code 8·s·k·N} bytes for the bases.
   */
  public static List<Tridiagonal> tridiagonals(UnaryOperator<double[][]> blockOp, List<double[]> starts, int steps) {
    List<Run> runs = new ArrayList<>();
    for (double[] start : starts) runs.add(new Run(start, steps));
    while (true) {
      List<Run> active = new ArrayList<>();
      for (Run r : runs) if (!r.done()) active.add(r);
      if (active.isEmpty()) break;
      double[][] in = new double[active.size()][];
      for (int i = 0; i < in.length; i++) in[i] = active.get(i).current();
      double[][] out = blockOp.apply(in);
      for (int i = 0; i < in.length; i++) active.get(i).advance(out[i]);
    }
    List<Tridiagonal> result = new ArrayList<>();
    for (Run r : runs) result.add(r.result());
    return result;
  }

  /** One Lanczos run: the basis so far, α, β, and the vector to multiply next. */
  private static final class Run {
    private final int n;
    private final int m;
    private final double[][] q;
    private final double[] alpha;
    private final double[] beta;
    private double[] v;
    private int k;
    private boolean done;

    Run(double[] start, int steps) {
      n = start.length;
      m = Math.min(steps, n);
      if (m < 1) throw new IllegalArgumentException("Lanczos needs >= 1 step, got " + steps);
      q = new double[m][];
      alpha = new double[m];
      beta = new double[m];
      v = start.clone();
      scale(v, 1 / DenseOps.norm(v));
    }

    boolean done() {
      return done;
    }

    double[] current() {
      return v;
    }

    /** Takes {@code w = G·current()} (modified) and prepares the next vector, or finishes. */
    void advance(double[] w) {
      q[k] = v;
      alpha[k] = DenseOps.dot(w, v);
      // Full re-orthogonalisation against every basis vector (twice, for stability).
      for (int pass = 0; pass < 2; pass++) {
        for (int j = 0; j <= k; j++) {
          double c = DenseOps.dot(w, q[j]);
          for (int i = 0; i < n; i++) w[i] -= c * q[j][i];
        }
      }
      k++;
      double b = DenseOps.norm(w);
      if (k == m || b <= 1e-12 * Math.max(1, Math.abs(alpha[k - 1]))) {
        done = true;
        return;
      }
      beta[k - 1] = b;
      scale(w, 1 / b);
      v = w;
    }

    Tridiagonal result() {
      return new Tridiagonal(java.util.Arrays.copyOf(alpha, k), java.util.Arrays.copyOf(beta, Math.max(0, k - 1)));
    }
  }

  /** A symmetric tridiagonal matrix: diagonal {@code alpha} (k), off-diagonal {@code beta} (k − 1). */
  public record Tridiagonal(double[] alpha, double[] beta) {}

  private static void scale(double[] v, double s) {
    for (int i = 0; i < v.length; i++) v[i] *= s;
  }
}
