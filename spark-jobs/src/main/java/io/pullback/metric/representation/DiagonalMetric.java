package io.pullback.metric.representation;

import io.pullback.linalg.DenseOps;
import java.util.Map;

/**
 * The diagonal approximation {@code Ĝ = diag(G)}, from one pass of column sums of squares of the
 * factor rows ({@code Σ w R∘R / Σ w}). Its trace and diagonal are G's exactly; products and solves
 * are those of the diagonal. Costs: {@code O(N)} memory and per operation; estimating it costs the
 * factor rows plus {@code M·r·N} flops, shuffles {@code 8·N·P} bytes.
 */
public final class DiagonalMetric implements MetricRepresentation {
  private final double[] d;

  /** @param d the diagonal (kept, not copied) */
  public DiagonalMetric(double[] d) {
    this.d = d;
  }

  @Override public RepresentationKind kind() { return RepresentationKind.DIAG; }
  @Override public boolean exact() { return false; }
  @Override public int n() { return d.length; }

  @Override
  public double[] multiply(double[] v) {
    Checks.length(v, d.length);
    double[] y = new double[d.length];
    for (int i = 0; i < d.length; i++) y[i] = d[i] * v[i];
    return y;
  }

  /** {@code v_i / (d_i + λ)}; refuses a zero denominator (a parameter the data never moves) with λ = 0. */
  @Override
  public double[] solve(double[] v, double lambda) {
    Checks.length(v, d.length);
    Checks.lambda(lambda);
    double[] x = new double[d.length];
    for (int i = 0; i < d.length; i++) {
      double den = d[i] + lambda;
      if (!(den > 0)) {
        throw new IllegalArgumentException("diagonal metric entry " + i + " is " + d[i] + " and λ = " + lambda
            + ": the damped diagonal is not positive; use a damping > 0");
      }
      x[i] = v[i] / den;
    }
    return x;
  }

  @Override
  public double trace() {
    double t = 0;
    for (double x : d) t += x;
    return t;
  }

  @Override public double[] diagonal() { return d.clone(); }
  @Override public double frobeniusNorm() { return DenseOps.frobenius(d); }

  @Override
  public double[] toDense() {
    MetricRepresentation.requireDenseFits(kind(), d.length);
    int n = d.length;
    double[] g = new double[n * n];
    for (int i = 0; i < n; i++) g[i * n + i] = d[i];
    return g;
  }

  @Override
  public Map<String, NpyArray> exports() {
    return Map.of("diagonal", new NpyArray(d, new long[] {d.length}));
  }

  /** A stored diagonal metric: {@code diagonal} (length N). */
  static DiagonalMetric read(StoredArrays files, int n) {
    return new DiagonalMetric(files.vector("diagonal", n));
  }
}
