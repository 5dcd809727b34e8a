package io.pullback.metric.representation;

import dev.ludovic.netlib.lapack.LAPACK;
import io.pullback.linalg.Blas;
import io.pullback.linalg.DenseOps;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.netlib.util.intW;

/**
 * A rank-k approximation {@code Ĝ = U Λ Uᵀ} ({@code U} N×k orthonormal, {@code Λ ≥ 0}) by the
 * randomised Nyström method (Tropp, Yurtsever, Udell &amp; Cevher 2017, Alg. 3) from one data pass
 * computing the sketch {@code Y = G Ω}: {@code Ω} is a seeded Gaussian N×k matrix, orthonormalised;
 * {@code Y_ν = Y + νΩ} with a tiny shift {@code ν} for stability; {@code C = chol(Ωᵀ Y_ν)};
 * {@code U Σ Vᵀ = svd(Y_ν C⁻¹)}; {@code Λ = max(0, Σ² − ν)}. When {@code rank G ≤ k} the
 * approximation is exact up to rounding (G = G Ω (Ωᵀ G Ω)⁺ Ωᵀ G then).
 *
 * <p>Solves by Woodbury: {@code (Ĝ + λI)⁻¹ v = U (Λ + λ)⁻¹ Uᵀ v + (v − U Uᵀ v)/λ}; with λ = 0 the
 * pseudo-inverse {@code U Λ⁺ Uᵀ v}. Costs: sketch pass {@code k} matrix-free products per block;
 * driver {@code O(N·k²)} flops and {@code 8·N·k} bytes; products and solves {@code 4·N·k}.
 */
public final class LowRankMetric implements MetricRepresentation {
  private final int n;
  private final int k;
  /** Column-major N×k. */
  private final double[] u;
  private final double[] lambdas;
  private final double shift;

  LowRankMetric(int n, int k, double[] u, double[] lambdas, double shift) {
    this.n = n;
    this.k = k;
    this.u = u;
    this.lambdas = lambdas;
    this.shift = shift;
  }

  /** The seeded orthonormal test matrix Ω, column-major N×k (column s at {@code s·N}). */
  static double[][] testMatrix(int n, int k, long seed) {
    if (k < 1 || k > n) {
      throw new IllegalArgumentException("{rank} must be between 1 and N = " + n + ", got " + k);
    }
    SplittableRandom rng = new SplittableRandom(seed);
    double[] omega = new double[n * k];
    for (int i = 0; i < omega.length; i++) omega[i] = rng.nextGaussian();
    LAPACK lapack = Blas.lapack();
    double[] tau = new double[k];
    double[] work = new double[Math.max(1, 64 * k)];
    intW info = new intW(0);
    lapack.dgeqrf(n, k, omega, n, tau, work, work.length, info);
    check(info, "dgeqrf");
    lapack.dorgqr(n, k, k, omega, n, tau, work, work.length, info);
    check(info, "dorgqr");
    double[][] cols = new double[k][n];
    for (int s = 0; s < k; s++) System.arraycopy(omega, s * n, cols[s], 0, n);
    return cols;
  }

  /**
   * The Nyström approximation from {@code Ω} and {@code Y = GΩ} (each as k columns of length N).
   */
  static LowRankMetric fromSketch(double[][] omega, double[][] y) {
    int k = omega.length;
    int n = omega[0].length;
    double norm = 0;
    for (double[] col : y) for (double x : col) norm += x * x;
    norm = Math.sqrt(norm);
    if (norm == 0) return new LowRankMetric(n, k, flatten(omega), new double[k], 0);
    double nu = 1e-13 * norm;
    LAPACK lapack = Blas.lapack();
    for (int attempt = 0; attempt < 6; attempt++, nu *= 100) {
      double[] ynu = new double[n * k];
      for (int s = 0; s < k; s++) {
        for (int i = 0; i < n; i++) ynu[s * n + i] = y[s][i] + nu * omega[s][i];
      }
      double[] om = flatten(omega);
      double[] b = new double[k * k];
      Blas.get().dgemm("T", "N", k, k, n, 1.0, om, n, ynu, n, 0.0, b, k);
      DenseOps.symmetrise(b, k);
      intW info = new intW(0);
      lapack.dpotrf("U", k, b, k, info);
      if (info.val != 0) continue;
      // E = Y_ν C⁻¹ with C upper triangular (B = CᵀC).
      Blas.get().dtrsm("R", "U", "N", "N", n, k, 1.0, b, k, ynu, n);
      double[] sigma = new double[k];
      double[] uOut = new double[n * k];
      double[] vt = new double[1];
      double[] work = new double[1];
      lapack.dgesvd("S", "N", n, k, ynu, n, sigma, uOut, n, vt, 1, work, -1, info);
      work = new double[(int) work[0]];
      lapack.dgesvd("S", "N", n, k, ynu, n, sigma, uOut, n, vt, 1, work, work.length, info);
      check(info, "dgesvd");
      double[] lam = new double[k];
      for (int s = 0; s < k; s++) lam[s] = Math.max(0, sigma[s] * sigma[s] - nu);
      return new LowRankMetric(n, k, uOut, lam, nu);
    }
    throw new IllegalStateException("Nyström: Ωᵀ(GΩ + νΩ) stayed indefinite up to ν = " + nu
        + "; is the metric symmetric positive semi-definite?");
  }

  private static double[] flatten(double[][] cols) {
    int n = cols[0].length;
    double[] a = new double[cols.length * n];
    for (int s = 0; s < cols.length; s++) System.arraycopy(cols[s], 0, a, s * n, n);
    return a;
  }

  private static void check(intW info, String routine) {
    if (info.val != 0) throw new IllegalStateException(routine + " failed with info = " + info.val);
  }

  /** The rank k. */
  public int rank() { return k; }

  /** The eigenvalues Λ, descending (a copy). */
  public double[] eigenvalues() { return lambdas.clone(); }

  @Override public RepresentationKind kind() { return RepresentationKind.LOW_RANK; }
  @Override public boolean exact() { return false; }
  @Override public int n() { return n; }

  /** {@code Uᵀ v}. */
  private double[] project(double[] v) {
    double[] c = new double[k];
    Blas.get().dgemv("T", n, k, 1.0, u, n, v, 1, 0.0, c, 1);
    return c;
  }

  /** {@code base + U c}. */
  private double[] expand(double[] c, double[] base) {
    double[] y = base == null ? new double[n] : base;
    Blas.get().dgemv("N", n, k, 1.0, u, n, c, 1, 1.0, y, 1);
    return y;
  }

  @Override
  public double[] multiply(double[] v) {
    Checks.length(v, n);
    double[] c = project(v);
    for (int s = 0; s < k; s++) c[s] *= lambdas[s];
    return expand(c, null);
  }

  @Override
  public double[] solve(double[] v, double lambda) {
    Checks.length(v, n);
    Checks.lambda(lambda);
    double[] c = project(v);
    double[] coef = new double[k];
    for (int s = 0; s < k; s++) {
      double den = lambdas[s] + lambda;
      coef[s] = den > 0 ? c[s] / den : 0.0;
    }
    if (lambda == 0) return expand(coef, null);
    // (v − U Uᵀ v)/λ + U (Λ + λ)⁻¹ Uᵀ v
    double[] base = new double[n];
    for (int i = 0; i < n; i++) base[i] = v[i] / lambda;
    for (int s = 0; s < k; s++) coef[s] -= c[s] / lambda;
    return expand(coef, base);
  }

  @Override
  public double trace() {
    double t = 0;
    for (double l : lambdas) t += l;
    return t;
  }

  @Override
  public double[] diagonal() {
    double[] d = new double[n];
    for (int s = 0; s < k; s++) {
      for (int i = 0; i < n; i++) d[i] += lambdas[s] * u[s * n + i] * u[s * n + i];
    }
    return d;
  }

  @Override
  public double frobeniusNorm() {
    return DenseOps.frobenius(lambdas);
  }

  @Override
  public double[] toDense() {
    MetricRepresentation.requireDenseFits(kind(), n);
    double[] scaled = new double[n * k];
    for (int s = 0; s < k; s++) {
      for (int i = 0; i < n; i++) scaled[s * n + i] = u[s * n + i] * lambdas[s];
    }
    double[] g = new double[n * n];
    Blas.get().dgemm("N", "T", n, n, k, 1.0, scaled, n, u, n, 0.0, g, n);
    DenseOps.symmetrise(g, n);
    return g;
  }

  @Override
  public Map<String, NpyArray> exports() {
    // U as row-major N×k (numpy: basis[:, s] is eigenvector s).
    double[] rowMajor = new double[n * k];
    for (int s = 0; s < k; s++) {
      for (int i = 0; i < n; i++) rowMajor[i * k + s] = u[s * n + i];
    }
    Map<String, NpyArray> out = new LinkedHashMap<>();
    out.put("lowrank_basis", new NpyArray(rowMajor, new long[] {n, k}));
    out.put("lowrank_eigenvalues", new NpyArray(lambdas.clone(), new long[] {k}));
    return out;
  }

  @Override
  public Map<String, Object> details() {
    return Map.of("rank", k, "nystrom_shift", shift);
  }

  /**
   * A stored low-rank metric: {@code lowrank_basis} (N×k, row-major, columns the eigenvectors) and
   * {@code lowrank_eigenvalues} (k); the Nyström shift from the summary ({@code nystrom_shift}, 0 if
   * absent). Cost: reading {@code 8·N·k} bytes.
   */
  static LowRankMetric read(StoredArrays files, int n) {
    double[] lambdas = files.read("lowrank_eigenvalues").data();
    int k = lambdas.length;
    double[] rowMajor = files.matrix("lowrank_basis", n, k);
    double[] u = new double[n * k];
    for (int s = 0; s < k; s++) {
      for (int i = 0; i < n; i++) u[s * n + i] = rowMajor[i * k + s];
    }
    return new LowRankMetric(n, k, u, lambdas, files.summaryNumber("nystrom_shift", 0));
  }
}
