package io.pullback.linalg;

import java.util.function.UnaryOperator;

/**
 * Conjugate gradients for {@code (G + λI) x = b} with G symmetric positive semi-definite, given only
 * products {@code G·v}: the one CG of the code base, behind every matrix-free and tiled solve.
 *
 * <p>Starts from {@code x = 0} and iterates while {@code ‖r‖ > tol·‖b‖}, at most {@code maxIter}
 * iterations, one product per iteration; memory 5 vectors of length N. Iterations grow like
 * {@code √κ} (κ the condition number of {@code G + λI}). Two variants:
 * <ul>
 *   <li>{@link #solve} — truncated CG as in Hessian-free optimisation: when the cap is hit the
 *       iterate with the smallest recursive residual is returned, flagged as not converged (on
 *       ill-conditioned systems the residual is not monotone, so the last iterate can be worse than
 *       an earlier one); a direction with {@code pᵀ(G + λI)p ≤ 0} (the null space of a singular
 *       system) ends the iteration.</li>
 *   <li>{@link #solveVerified} — the same iteration, but convergence is decided on the true residual
 *       {@code b − (G + λI)x}, recomputed from x (one more product) whenever the recursive residual
 *       says "converged" or the cap is reached; if rounding left the true residual above the tolerance
 *       CG restarts from x. It reports, rather than absorbs, a direction of non-positive curvature.</li>
 * </ul>
 */
public final class ConjugateGradient {
  private ConjugateGradient() {}

  /**
   * The solution and how it was reached.
   *
   * @param x the returned iterate (the best one for {@link #solve})
   * @param iterations CG iterations done
   * @param relativeResidual {@code ‖r‖/‖b‖} of x (recursive for {@link #solve}, true for {@link #solveVerified})
   * @param converged whether {@code relativeResidual ≤ tol}
   * @param products products {@code G·v} used (iterations plus the residual recomputations)
   * @param curvature {@code pᵀ(G + λI)p} of the direction that stopped CG when it was not positive, else NaN
   */
  public record Result(double[] x, int iterations, double relativeResidual, boolean converged, int products, double curvature) {
    /** Whether CG met a direction of non-positive curvature ({@code G + λI} not positive definite). */
    public boolean indefinite() {
      return !Double.isNaN(curvature);
    }
  }

  /** Truncated CG (see the class comment): the best iterate within {@code maxIter} iterations. */
  public static Result solve(UnaryOperator<double[]> g, double[] b, double lambda, double tol, int maxIter) {
    check(tol, maxIter);
    double bNorm = DenseOps.norm(b);
    if (bNorm == 0) return new Result(new double[b.length], 0, 0, true, 0, Double.NaN);
    Run run = new Run(g, b, lambda, new double[b.length], b.clone());
    run.iterate(tol * bNorm, maxIter, true);
    double rel = Math.sqrt(run.bestRr) / bNorm;
    return new Result(run.best, run.iterations, rel, rel <= tol, run.products, Double.NaN);
  }

  /**
   * CG whose convergence is checked on the true residual, restarting from x when rounding left it
   * above the tolerance (see the class comment). Stops early, with {@link Result#indefinite()} set,
   * on a direction of non-positive curvature; returns the last iterate when the cap is reached.
   */
  public static Result solveVerified(UnaryOperator<double[]> g, double[] b, double lambda, double tol, int maxIter) {
    check(tol, maxIter);
    int n = b.length;
    double bNorm = DenseOps.norm(b);
    double[] x = new double[n];
    if (bNorm == 0) return new Result(x, 0, 0, true, 0, Double.NaN);
    Run run = new Run(g, b, lambda, x, b.clone());
    while (true) {
      run.iterate(tol * bNorm, maxIter, false);
      if (run.curvature <= 0 || Double.isNaN(run.curvature)) {
        return new Result(x, run.iterations, Math.sqrt(run.rr) / bNorm, false, run.products, run.curvature);
      }
      double[] r = run.trueResidual();
      double rel = DenseOps.norm(r) / bNorm;
      if (rel <= tol || run.iterations >= maxIter) {
        return new Result(x, run.iterations, rel, rel <= tol, run.products, Double.NaN);
      }
      run.restart(r);
    }
  }

  private static void check(double tol, int maxIter) {
    if (!(tol > 0) || !(tol < 1)) throw new IllegalArgumentException("{cgTol} must be in (0, 1), got " + tol);
    if (maxIter < 1) throw new IllegalArgumentException("{cgMaxIter} must be >= 1, got " + maxIter);
  }

  /** The state of one CG iteration: x, r, p and the counters, shared by both variants. */
  private static final class Run {
    final UnaryOperator<double[]> g;
    final double[] b;
    final double lambda;
    final double[] x;
    final double[] r;
    final double[] p;
    final double[] best;
    double rr;
    double bestRr;
    double curvature = 1;
    int iterations;
    int products;

    Run(UnaryOperator<double[]> g, double[] b, double lambda, double[] x, double[] r) {
      this.g = g;
      this.b = b;
      this.lambda = lambda;
      this.x = x;
      this.r = r;
      this.p = r.clone();
      this.best = x.clone();
      this.rr = DenseOps.dot(r, r);
      this.bestRr = rr;
    }

    /** {@code (G + λI)v}: one product. */
    double[] apply(double[] v) {
      double[] gv = g.apply(v);
      products++;
      for (int i = 0; i < v.length; i++) gv[i] += lambda * v[i];
      return gv;
    }

    /** CG steps until the recursive residual reaches {@code target}, the cap, or non-positive curvature. */
    void iterate(double target, int maxIter, boolean keepBest) {
      int n = x.length;
      while (iterations < maxIter && Math.sqrt(rr) > target) {
        double[] ap = apply(p);
        double pap = DenseOps.dot(p, ap);
        iterations++;
        if (!(pap > 0)) {
          curvature = pap;
          return;
        }
        double alpha = rr / pap;
        for (int i = 0; i < n; i++) {
          x[i] += alpha * p[i];
          r[i] -= alpha * ap[i];
        }
        double rrNew = DenseOps.dot(r, r);
        if (keepBest && rrNew < bestRr) {
          bestRr = rrNew;
          System.arraycopy(x, 0, best, 0, n);
        }
        double beta = rrNew / rr;
        rr = rrNew;
        for (int i = 0; i < n; i++) p[i] = r[i] + beta * p[i];
      }
    }

    /** {@code b − (G + λI)x}, recomputed from x (one product). */
    double[] trueResidual() {
      double[] ax = apply(x);
      double[] res = new double[x.length];
      for (int i = 0; i < res.length; i++) res[i] = b[i] - ax[i];
      return res;
    }

    /** Restarts the iteration from x with its true residual. */
    void restart(double[] trueResidual) {
      System.arraycopy(trueResidual, 0, r, 0, r.length);
      System.arraycopy(trueResidual, 0, p, 0, p.length);
      rr = DenseOps.dot(r, r);
    }
  }
}
