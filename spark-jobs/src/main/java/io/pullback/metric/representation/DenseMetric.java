package io.pullback.metric.representation;

import io.pullback.linalg.DenseMetricSolver;
import io.pullback.linalg.DenseOps;
import java.util.Map;

/**
 * The metric as one dense N×N matrix on the driver (exact). Solves by Cholesky
 * ({@link DenseMetricSolver}: {@code N³/3} flops per new λ, then {@code 2N²} per solve); products
 * {@code 2N²} flops. Memory {@code 8·N²} bytes, plus as much for the factor once a solve is asked.
 */
public final class DenseMetric implements MetricRepresentation {
  private final int n;
  private final double[] g;
  private final DenseMetricSolver solver;
  private final Map<String, Object> details;

  /**
   * @param g row-major N×N symmetric (kept, not copied; not modified)
   * @param allowJitter see {@link DenseMetricSolver}
   */
  public DenseMetric(double[] g, int n, boolean allowJitter) {
    this(g, n, allowJitter, Map.of());
  }

  /**
   * @param details what {@link #details()} reports of how the matrix was computed (e.g. the
   *     reduce fan-in)
   */
  public DenseMetric(double[] g, int n, boolean allowJitter, Map<String, Object> details) {
    this.n = n;
    this.g = g;
    this.solver = new DenseMetricSolver(g, n, allowJitter);
    this.details = Map.copyOf(details);
  }

  @Override
  public Map<String, Object> details() {
    return details;
  }

  /** The solver (for optimisers that report jitter). */
  public DenseMetricSolver solver() {
    return solver;
  }

  @Override public RepresentationKind kind() { return RepresentationKind.DENSE; }
  @Override public boolean exact() { return true; }
  @Override public int n() { return n; }
  @Override public double[] multiply(double[] v) { return solver.multiply(v); }
  @Override public double[] solve(double[] v, double lambda) { return solver.solve(v, lambda); }

  @Override
  public double trace() {
    double t = 0;
    for (int i = 0; i < n; i++) t += g[i * n + i];
    return t;
  }

  @Override
  public double[] diagonal() {
    double[] d = new double[n];
    for (int i = 0; i < n; i++) d[i] = g[i * n + i];
    return d;
  }

  @Override
  public double frobeniusNorm() {
    return DenseOps.frobenius(g);
  }

  @Override
  public double[] toDense() {
    return g.clone();
  }

  @Override
  public Map<String, NpyArray> exports() {
    return Map.of("metric", new NpyArray(g, new long[] {n, n}));
  }

  /** A stored dense metric: {@code metric} (N×N). Cost: reading {@code 8·N²} bytes. */
  static DenseMetric read(StoredArrays files, int n, boolean allowJitter) {
    return new DenseMetric(files.matrix("metric", n, n), n, allowJitter);
  }
}
