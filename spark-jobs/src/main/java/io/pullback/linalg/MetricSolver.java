package io.pullback.linalg;

/**
 * The questions an optimiser asks of the current metric {@code G} (N×N, symmetric positive
 * semi-definite): damped solves {@code (G + λI)⁻¹ v} and products {@code G·v}. Inputs are never
 * modified; results are new arrays.
 */
public interface MetricSolver {
  /** The dimension N. */
  int n();

  /** {@code (G + λI)⁻¹ v} for {@code λ ≥ 0}. */
  double[] solve(double[] v, double lambda);

  /** {@code G·v}. */
  double[] multiply(double[] v);
}
