package io.pullback.metric.representation;

import io.pullback.linalg.ConjugateGradient;
import io.pullback.linalg.DenseOps;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The metric never formed: every {@code G·v} is one data pass computing {@code Σ Rᵀ(R v)/Σw} with
 * Jacobian-vector and vector-Jacobian products ({@link GramOperator}); solves run
 * {@link ConjugateGradient} from the driver with tolerance {@code cgTol} (relative residual) and at
 * most {@code cgMaxIter} passes; a solve that hits the cap keeps its best iterate (truncated CG) and
 * logs a warning. Exact.
 *
 * <p>The diagonal (and trace) take one pass that forms factor rows in bounded chunks; the Frobenius
 * norm is a Hutchinson estimate {@code ‖G‖_F² = E‖Gz‖²} over {@value #PROBES} seeded Rademacher
 * probes in one pass ({@link #details()} says so). Costs: driver memory {@code O(N)} (a few
 * vectors); per product about {@code 10·M·N} flops for an MLP and {@code 8·N·P} shuffled bytes.
 */
public final class ImplicitMetric implements MetricRepresentation {
  static final int PROBES = 8;

  private final GramOperator op;
  private final TruncatedCg cg;
  private double[] diagonal;

  public ImplicitMetric(GramOperator op, double cgTol, int cgMaxIter) {
    this.cg = new TruncatedCg("implicit", cgTol, cgMaxIter);
    this.op = op;
  }

  @Override public RepresentationKind kind() { return RepresentationKind.IMPLICIT; }
  @Override public boolean exact() { return true; }
  @Override public int n() { return op.n(); }

  @Override
  public double[] multiply(double[] v) {
    Checks.length(v, n());
    return op.apply(new double[][] {v})[0];
  }

  /** One data pass for the whole block. */
  @Override
  public double[][] mm(double[][] vectors) {
    for (double[] v : vectors) Checks.length(v, n());
    return vectors.length == 0 ? new double[0][] : op.apply(vectors);
  }

  @Override
  public double[] solve(double[] v, double lambda) {
    return cg.solve(this::multiply, v, lambda, n());
  }

  /** The last solve's iterations, residual and convergence (null before the first solve). */
  public ConjugateGradient.Result lastSolve() {
    return cg.last();
  }

  @Override
  public double[] diagonal() {
    if (diagonal == null) diagonal = op.diagonal();
    return diagonal.clone();
  }

  /** Hutchinson estimate with {@value #PROBES} Rademacher probes (seed 0), one pass. */
  @Override
  public double frobeniusNorm() {
    int n = n();
    SplittableRandom rng = new SplittableRandom(0);
    double[][] z = new double[PROBES][n];
    for (double[] p : z) for (int i = 0; i < n; i++) p[i] = rng.nextBoolean() ? 1 : -1;
    double[][] gz = op.apply(z);
    double s = 0;
    for (double[] y : gz) s += DenseOps.dot(y, y);
    return Math.sqrt(s / PROBES);
  }

  /** N products in passes of 64 columns. */
  @Override
  public double[] toDense() {
    int n = n();
    MetricRepresentation.requireDenseFits(kind(), n);
    double[] g = new double[n * n];
    for (int from = 0; from < n; from += 64) {
      int cols = Math.min(64, n - from);
      double[][] e = new double[cols][n];
      for (int c = 0; c < cols; c++) e[c][from + c] = 1.0;
      double[][] ge = op.apply(e);
      for (int c = 0; c < cols; c++) {
        for (int i = 0; i < n; i++) g[i * n + from + c] = ge[c][i];
      }
    }
    return g;
  }

  @Override
  public Map<String, NpyArray> exports() {
    return Map.of();
  }

  @Override
  public Map<String, Object> details() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("cg_tol", cg.tol());
    d.put("cg_max_iter", cg.maxIter());
    d.put("data_passes", op.passes());
    d.put("gv_pass_seconds_mean", op.passes() == 0 ? 0.0 : op.passSeconds() / op.passes());
    d.put("frobenius_norm_estimated_with_probes", PROBES);
    cg.putDetails(d);
    return d;
  }
}
