package io.pullback.optim;

import io.pullback.linalg.MetricSolver;

/**
 * What one optimiser step sees: the 1-based step number, the current parameters {@code θ_t}, the
 * loss {@code L_t = L(θ_t)}, the gradient {@code g_t = ∇L(θ_t)}, and the metric when the driver
 * computed one this step ({@code null} otherwise, see {@link Optimizer#needsMetric(int)}), and, for
 * the optimisers that use it (kfac), the exact curvature on the step's examples ({@code null} otherwise).
 * The arrays are not copied and not modified by any optimiser.
 */
public record StepInput(int step, double[] theta, double loss, double[] gradient, MetricSolver metric,
                        CurvatureOracle curvature) {
  /** Without a curvature oracle (every optimiser but kfac). */
  public StepInput(int step, double[] theta, double loss, double[] gradient, MetricSolver metric) {
    this(step, theta, loss, gradient, metric, null);
  }

  public StepInput {
    if (step < 1) {
      throw new IllegalArgumentException("step must be >= 1, got " + step);
    }
    if (theta == null || gradient == null) {
      throw new IllegalArgumentException("theta and gradient must not be null");
    }
    if (theta.length != gradient.length) {
      throw new IllegalArgumentException("theta has " + theta.length + " entries but gradient has " + gradient.length);
    }
    if (metric != null && metric.n() != theta.length) {
      throw new IllegalArgumentException("metric is " + metric.n() + "x" + metric.n() + " but theta has " + theta.length + " entries");
    }
  }
}
