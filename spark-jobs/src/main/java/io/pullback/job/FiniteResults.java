package io.pullback.job;

import io.pullback.PullbackException;
import io.pullback.distributed.LoadedData;
import io.pullback.metric.representation.MetricRepresentation;
import io.pullback.metric.representation.RepresentationKind;

/**
 * No command publishes a number that is not one: a metric, spectrum or export holding NaN or ±Inf is
 * refused (exit 3) before anything is written, naming the first bad entry and the likely cause in
 * the data. Finite input can still overflow: features near {@code 1e300} whose products in a
 * Jacobian (a monomial basis, an outer product) exceed {@code Double.MAX_VALUE ≈ 1.8e308}, or
 * weights so large that {@code w·RᵀR} does.
 *
 * <p>Cost: {@code O(N)} on the diagonal and the Frobenius norm; a dense metric is scanned
 * ({@code O(N²)}) only to name the entry once the check has failed. The check is complete: if the
 * diagonal and {@code ‖G‖_F} are finite, so is every entry ({@code |G_ij| ≤ ‖G‖_F}, and a NaN entry
 * makes the norm NaN).
 */
final class FiniteResults {
  private FiniteResults() {}

  /** Refuses a metric whose diagonal or Frobenius norm is not finite. */
  static void requireFiniteMetric(MetricRepresentation g, double[] diagonal, double frobenius, LoadedData data) {
    String bad = null;
    for (int i = 0; i < diagonal.length && bad == null; i++) {
      if (!Double.isFinite(diagonal[i])) bad = "G[" + i + ", " + i + "] = " + diagonal[i];
    }
    if (bad == null && Double.isFinite(frobenius)) return;
    if (g.kind() == RepresentationKind.DENSE) bad = firstNonFinite(g.toDense(), diagonal.length, "G");
    if (bad == null) bad = "its Frobenius norm is " + frobenius;
    throw PullbackException.data("the metric is not finite: " + bad + "; nothing was written. " + likelyCause(data));
  }

  /** A data error raised while building the metric (a non-finite entry), with the likely cause added. */
  static PullbackException withCause(PullbackException e, LoadedData data) {
    if (e.exitCode() != PullbackException.DATA) return e;
    return new PullbackException(PullbackException.DATA, "the metric is not finite: " + e.template() + "; nothing was written. "
        + likelyCause(data), e);
  }

  /** Refuses non-finite values of a published vector (eigenvalues, a summary figure). */
  static void requireFinite(double[] values, String name, LoadedData data) {
    for (int i = 0; i < values.length; i++) {
      if (!Double.isFinite(values[i])) {
        throw PullbackException.data("the " + name + " are not finite: entry " + i + " is " + values[i] + "; nothing was written. "
            + likelyCause(data));
      }
    }
  }

  /**
   * Refuses a product {@code G·v} holding NaN or ±Inf (the {@code p}-th made, counting from 1) before
   * it reaches LAPACK (Lanczos' {@code dstev}, a Ritz {@code dsyevd}) or an estimate; returns it.
   */
  static double[] requireFiniteProduct(double[] gv, long p, LoadedData data) {
    for (int i = 0; i < gv.length; i++) {
      if (!Double.isFinite(gv[i])) {
        throw PullbackException.data("the metric is not finite: entry " + i + " of product G·v number " + p + " is " + gv[i]
            + "; nothing was written. " + likelyCause(data));
      }
    }
    return gv;
  }

  /** The first non-finite entry of a row-major n×n matrix, as {@code name[i, j] = v}, or null. */
  static String firstNonFinite(double[] rowMajor, int n, String name) {
    for (int k = 0; k < rowMajor.length; k++) {
      if (!Double.isFinite(rowMajor[k])) return name + "[" + k / n + ", " + k % n + "] = " + rowMajor[k];
    }
    return null;
  }

  /** What in the data most likely overflowed. */
  static String likelyCause(LoadedData data) {
    if (data == null) return "The stored files hold non-finite values.";
    double maxAbs = data.maxAbsFeature();
    String features = "the feature values reach " + String.format(java.util.Locale.ROOT, "%.3g", maxAbs) + " in magnitude";
    if (maxAbs > 1e100) {
      return "Likely cause: " + features + ", whose products in the model's Jacobian (or basis) overflow double precision;"
          + " rescale the features.";
    }
    return "Likely cause: overflowing values: " + features + " and the weights sum to "
        + String.format(java.util.Locale.ROOT, "%.3g", data.weightSum()) + "; rescale the features or the weights"
        + " (or check θ from {params}).";
  }
}
