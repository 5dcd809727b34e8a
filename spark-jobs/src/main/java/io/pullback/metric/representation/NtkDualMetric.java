package io.pullback.metric.representation;

import io.pullback.linalg.Blas;
import io.pullback.linalg.DenseOps;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The metric of a mini-batch kept as its factor rows, solved in the dual (NTK) space:
 * {@code G = R̃ᵀR̃} with {@code R̃ = R/√Σw} ({@code m = B·r} rows of length N), kernel
 * {@code K = R̃R̃ᵀ = QΛQᵀ} (m×m). By the push-through identity
 * {@code (R̃ᵀR̃ + λI)⁻¹ = (I − R̃ᵀ(K + λI)⁻¹R̃)/λ}, so
 * {@code (G + λI)⁻¹v = (v − R̃ᵀ Q (Λ + λ)⁻¹ Qᵀ R̃ v)/λ}; in particular
 * {@code (JᵀJ + λI)⁻¹Jᵀu = Jᵀ(JJᵀ + λI)⁻¹u}. With λ = 0 the pseudo-inverse
 * {@code G⁺v = R̃ᵀ Q Λ⁻² Qᵀ R̃ v} (eigenvalues below {@code m·ε·max Λ} dropped). Exact for the examples
 * it holds; worthwhile when {@code m < N}.
 *
 * <p>Exports {@code ntk_kernel} (K, m×m), {@code ntk_eigenvalues} (descending) and
 * {@code ntk_factor_rows} (R̃, m×N: {@code G = R̃ᵀR̃}).
 *
 * <p>Costs: memory {@code 8·m·N} (+{@code 8·m²}); set-up {@code m²N} flops for K and
 * {@code O(m³)} for its eigen-decomposition; products and solves {@code 4·m·N}.
 */
public final class NtkDualMetric implements MetricRepresentation {
  private final int n;
  private final int m;
  /** R̃ᵀ, column-major N×m (row t of R̃ at {@code t·N}). */
  private final double[] rt;
  private final double[] kernel;
  private final double[] q;
  private final double[] lambdas;

  /**
   * @param rowsByRow the factor rows, row t at {@code t·N} (already including {@code √w})
   * @param m the number of rows
   * @param weightSum {@code Σ w} of the examples
   */
  public NtkDualMetric(double[] rowsByRow, int m, int n, double weightSum) {
    if (!(weightSum > 0)) throw new IllegalArgumentException("the examples' total weight must be > 0, got " + weightSum);
    this.n = n;
    this.m = m;
    double scale = 1.0 / Math.sqrt(weightSum);
    rt = new double[Math.multiplyExact(m, n)];
    for (int i = 0; i < rt.length; i++) rt[i] = rowsByRow[i] * scale;
    kernel = new double[m * m];
    if (m > 0) Blas.get().dgemm("T", "N", m, m, n, 1.0, rt, n, rt, n, 0.0, kernel, m);
    DenseOps.symmetrise(kernel, m);
    q = kernel.clone();
    double[] w = DenseOps.eigh(q, m);
    for (int i = 0; i < m; i++) w[i] = Math.max(0, w[i]);
    lambdas = w;
  }

  /** m, the number of factor rows (B·r). */
  public int rows() { return m; }

  @Override public RepresentationKind kind() { return RepresentationKind.NTK_DUAL; }
  @Override public boolean exact() { return true; }
  @Override public int n() { return n; }

  private double[] rv(double[] v) {
    double[] c = new double[m];
    if (m > 0) Blas.get().dgemv("T", n, m, 1.0, rt, n, v, 1, 0.0, c, 1);
    return c;
  }

  private void rtu(double[] u, double alpha, double[] y) {
    if (m > 0) Blas.get().dgemv("N", n, m, alpha, rt, n, u, 1, 1.0, y, 1);
  }

  @Override
  public double[] multiply(double[] v) {
    Checks.length(v, n);
    double[] y = new double[n];
    rtu(rv(v), 1.0, y);
    return y;
  }

  @Override
  public double[] solve(double[] v, double lambda) {
    Checks.length(v, n);
    Checks.lambda(lambda);
    double[] c = rv(v);
    double[] qc = new double[m];
    if (m > 0) Blas.get().dgemv("T", m, m, 1.0, q, m, c, 1, 0.0, qc, 1);
    double max = 0;
    for (double l : lambdas) max = Math.max(max, l);
    double tol = Math.max(1, m) * 2.2e-16 * max;
    for (int i = 0; i < m; i++) {
      if (lambda > 0) {
        qc[i] /= lambdas[i] + lambda;
      } else {
        qc[i] = lambdas[i] > tol ? qc[i] / (lambdas[i] * lambdas[i]) : 0.0;
      }
    }
    double[] u = new double[m];
    if (m > 0) Blas.get().dgemv("N", m, m, 1.0, q, m, qc, 1, 0.0, u, 1);
    double[] x = new double[n];
    if (lambda > 0) {
      for (int i = 0; i < n; i++) x[i] = v[i] / lambda;
      rtu(u, -1.0 / lambda, x);
    } else {
      rtu(u, 1.0, x);
    }
    return x;
  }

  @Override
  public double trace() {
    double t = 0;
    for (int i = 0; i < m; i++) t += kernel[i * m + i];
    return t;
  }

  @Override
  public double[] diagonal() {
    double[] d = new double[n];
    for (int t = 0; t < m; t++) {
      int off = t * n;
      for (int j = 0; j < n; j++) d[j] += rt[off + j] * rt[off + j];
    }
    return d;
  }

  /** {@code ‖R̃ᵀR̃‖_F = ‖R̃R̃ᵀ‖_F}. */
  @Override
  public double frobeniusNorm() {
    return DenseOps.frobenius(kernel);
  }

  @Override
  public double[] toDense() {
    MetricRepresentation.requireDenseFits(kind(), n);
    double[] g = new double[n * n];
    if (m > 0) Blas.get().dgemm("N", "T", n, n, m, 1.0, rt, n, rt, n, 0.0, g, n);
    DenseOps.symmetrise(g, n);
    return g;
  }

  @Override
  public Map<String, NpyArray> exports() {
    Map<String, NpyArray> out = new LinkedHashMap<>();
    out.put("ntk_kernel", new NpyArray(kernel, new long[] {m, m}));
    out.put("ntk_factor_rows", new NpyArray(rt, new long[] {m, n}));
    double[] desc = new double[m];
    for (int i = 0; i < m; i++) desc[i] = lambdas[m - 1 - i];
    out.put("ntk_eigenvalues", new NpyArray(desc, new long[] {m}));
    return out;
  }

  @Override
  public Map<String, Object> details() {
    return Map.of("dual_rows", m);
  }

  /**
   * A stored NTK-dual metric from its {@code ntk_factor_rows} (m×N, already scaled by
   * {@code 1/√Σw}, so the weight total is 1). Cost: reading {@code 8·m·N} bytes, the m×m kernel and
   * its eigendecomposition ({@code m²N + m³}).
   */
  static NtkDualMetric read(StoredArrays files, int n) {
    NpyArray rows = files.read("ntk_factor_rows");
    int m = rows.shape().length == 2 ? (int) rows.shape()[0] : -1;
    return new NtkDualMetric(files.matrix("ntk_factor_rows", m, n), m, n, 1.0);
  }
}
