package io.pullback.metric.representation;

import io.pullback.linalg.ConjugateGradient;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The solve of the matrix-free representations (implicit, blocked): truncated
 * {@link ConjugateGradient#solve} on the representation's products, with its tolerance and cap
 * ({@code cgTol}, {@code cgMaxIter}); a capped solve keeps its best iterate and logs a warning. Keeps
 * the last solve's figures for the run's summary.
 */
final class TruncatedCg {
  private static final Logger LOG = LoggerFactory.getLogger(TruncatedCg.class);

  private final String metric;
  private final double tol;
  private final int maxIter;
  private ConjugateGradient.Result last;

  /** @param metric what the messages call the metric ("implicit", "blocked") */
  TruncatedCg(String metric, double tol, int maxIter) {
    if (!(tol > 0) || !(tol < 1)) throw new IllegalArgumentException("{cgTol} must be in (0, 1), got " + tol);
    if (maxIter < 1) throw new IllegalArgumentException("{cgMaxIter} must be >= 1, got " + maxIter);
    this.metric = metric;
    this.tol = tol;
    this.maxIter = maxIter;
  }

  /** {@code (G + λI)⁻¹v} by CG on {@code g}; v's length and λ checked. */
  double[] solve(UnaryOperator<double[]> g, double[] v, double lambda, int n) {
    Checks.length(v, n);
    Checks.lambda(lambda);
    ConjugateGradient.Result r = ConjugateGradient.solve(g, v, lambda, tol, maxIter);
    last = r;
    if (!r.converged()) {
      LOG.warn("CG on the {} metric stopped after {} iterations (cgMaxIter) at best relative residual {} > cgTol {}; using that iterate",
          metric, r.iterations(), r.relativeResidual(), tol);
    } else {
      LOG.info("CG on the {} metric converged in {} iterations (relative residual {})", metric, r.iterations(), r.relativeResidual());
    }
    return r.x();
  }

  double tol() {
    return tol;
  }

  int maxIter() {
    return maxIter;
  }

  /** The last solve's {@code cg_iterations}, {@code cg_relative_residual}, {@code cg_converged} (nothing before the first). */
  void putDetails(java.util.Map<String, Object> details) {
    if (last == null) return;
    details.put("cg_iterations", last.iterations());
    details.put("cg_relative_residual", last.relativeResidual());
    details.put("cg_converged", last.converged());
  }

  /** The last solve (null before the first). */
  ConjugateGradient.Result last() {
    return last;
  }
}
