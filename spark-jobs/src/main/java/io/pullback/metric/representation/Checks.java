package io.pullback.metric.representation;

/** Argument checks shared by the representations. */
final class Checks {
  private Checks() {}

  static void length(double[] v, int n) {
    if (v.length != n) {
      throw new IllegalArgumentException("vector has " + v.length + " entries, the metric is " + n + "x" + n);
    }
  }

  static void lambda(double lambda) {
    if (!(lambda >= 0) || !Double.isFinite(lambda)) {
      throw new IllegalArgumentException("lambda must be >= 0 and finite, got " + lambda);
    }
  }
}
