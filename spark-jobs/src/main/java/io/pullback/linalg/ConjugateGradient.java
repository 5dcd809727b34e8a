package io.pullback.linalg;

import java.util.function.UnaryOperator;

/**
 * Conjugate gradients for {@code (G + λI) x = b} with G symmetric positive semi-definite, given only
 * products {@code G·v}. Starts from {@code x = 0}; stops when {@code ‖r‖ ≤ tol·‖b‖} or after
 * {@code maxIter} products (then the iterate with the smallest residual is returned, flagged as not
 * converged: truncated CG, as in Hessian-free optimisation; on ill-conditioned systems the CG
 * residual is not monotone, so the last iterate can be worse than an earlier one). One product per
 * iteration; memory 5 vectors of length N.
 */
public final class ConjugateGradient {
  private ConjugateGradient() {}

  /** The solution and how it was reached. */
  public record Result(double[] x, int iterations, double relativeResidual, boolean converged) {}

  public static Result solve(UnaryOperator<double[]> g, double[] b, double lambda, double tol, int maxIter) {
    if (!(tol > 0) || !(tol < 1)) throw new IllegalArgumentException("--cg-tol must be in (0, 1), got " + tol);
    if (maxIter < 1) throw new IllegalArgumentException("--cg-max-iter must be >= 1, got " + maxIter);
    int n = b.length;
    double[] x = new double[n];
    double bNorm = DenseOps.norm(b);
    if (bNorm == 0) return new Result(x, 0, 0, true);
    double[] r = b.clone();
    double[] p = b.clone();
    double rr = DenseOps.dot(r, r);
    double[] best = x.clone();
    double bestRr = rr;
    int it = 0;
    while (it < maxIter && Math.sqrt(rr) > tol * bNorm) {
      double[] ap = g.apply(p);
      for (int i = 0; i < n; i++) ap[i] += lambda * p[i];
      double pap = DenseOps.dot(p, ap);
      it++;
      if (!(pap > 0)) break; // p in the null space of a singular G + λI: nothing more to gain
      double alpha = rr / pap;
      for (int i = 0; i < n; i++) {
        x[i] += alpha * p[i];
        r[i] -= alpha * ap[i];
      }
      double rrNew = DenseOps.dot(r, r);
      if (rrNew < bestRr) {
        bestRr = rrNew;
        System.arraycopy(x, 0, best, 0, n);
      }
      double beta = rrNew / rr;
      rr = rrNew;
      for (int i = 0; i < n; i++) p[i] = r[i] + beta * p[i];
    }
    double rel = Math.sqrt(bestRr) / bNorm;
    return new Result(best, it, rel, rel <= tol);
  }
}
