package io.pullback.optim;

/**
 * The exact curvature on the current step's examples at {@code θ_t}, as the driver loop measures it
 * (one data pass per call): the quadratic forms of the metric G on two vectors. K-FAC chooses its
 * learning rate and momentum from them (Martens &amp; Grosse 2015, §7); optimisers never see the data.
 */
@FunctionalInterface
public interface CurvatureOracle {
  /** {@code [uᵀGu, uᵀGv, vᵀGv]} (G the metric of the run's metric kind, not scaled by the curvature scale); u, v not modified. */
  double[] forms(double[] u, double[] v);
}
