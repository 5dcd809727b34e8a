package io.pullback.linalg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * SLQ against matrices of known spectrum {@code G = Q·diag(λ)·Qᵀ}, Q a seeded orthogonal matrix
 * (Gram–Schmidt on Gaussian columns), products and powers formed naively.
 */
class SpectralDensityTest {

  /** Row-major Q (columns orthonormal) by classical Gram–Schmidt, twice, on seeded Gaussian columns. */
  static double[][] orthogonalColumns(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[][] cols = new double[n][n];
    for (int j = 0; j < n; j++) {
      for (int i = 0; i < n; i++) cols[j][i] = rng.nextGaussian();
      for (int pass = 0; pass < 2; pass++) {
        for (int l = 0; l < j; l++) {
          double c = 0;
          for (int i = 0; i < n; i++) c += cols[j][i] * cols[l][i];
          for (int i = 0; i < n; i++) cols[j][i] -= c * cols[l][i];
        }
      }
      double s = 0;
      for (int i = 0; i < n; i++) s += cols[j][i] * cols[j][i];
      for (int i = 0; i < n; i++) cols[j][i] /= Math.sqrt(s);
    }
    return cols;
  }

  /** {@code Q·diag(λ^k)·Qᵀ}, row-major. */
  static double[] power(double[][] q, double[] lambda, int k) {
    int n = lambda.length;
    double[] g = new double[n * n];
    for (int j = 0; j < n; j++) {
      double l = Math.pow(lambda[j], k);
      for (int a = 0; a < n; a++) for (int b = 0; b < n; b++) g[a * n + b] += q[j][a] * l * q[j][b];
    }
    return g;
  }

  static UnaryOperator<double[]> operator(double[] g, int n) {
    return v -> {
      double[] out = new double[n];
      for (int a = 0; a < n; a++) for (int b = 0; b < n; b++) out[a] += g[a * n + b] * v[b];
      return out;
    };
  }

  static double[] logSpaced(int n, double lo, double hi) {
    double[] l = new double[n];
    for (int i = 0; i < n; i++) l[i] = lo * Math.pow(hi / lo, i / (n - 1.0));
    return l;
  }

  /** Trapezoid rule of {@code ∫ λ^k ρ(λ) dλ} on the density's own grid. */
  static double moment(SpectralDensity.Density d, int k) {
    double s = 0;
    for (int i = 1; i < d.grid().length; i++) {
      double a = Math.pow(d.grid()[i - 1], k) * d.density()[i - 1];
      double b = Math.pow(d.grid()[i], k) * d.density()[i];
      s += 0.5 * (a + b) * (d.grid()[i] - d.grid()[i - 1]);
    }
    return s;
  }

  @Test
  void densityIntegratesToOneOnLogAndLinearGrids() {
    int n = 50;
    double[][] q = orthogonalColumns(n, 3);
    double[] decades = logSpaced(n, 1e-3, 10);
    double[] narrow = new double[n];
    for (int i = 0; i < n; i++) narrow[i] = 1 + 4.0 * i / (n - 1);
    for (double[] lambda : List.of(decades, narrow)) {
      List<SpectralDensity.Quadrature> quad = SpectralDensity.quadrature(operator(power(q, lambda, 1), n), n, 5, 20, 11);
      SpectralDensity.Density d = SpectralDensity.smooth(quad, 1000);
      assertThat(d.logGrid()).isEqualTo(lambda == decades);
      // Grid error: trapezoid with ≈ 9 points per σ plus the 4σ tails (≈ 6e-5 of the mass).
      assertThat(moment(d, 0)).isCloseTo(1.0, offset(1e-3));
      for (double x : d.grid()) assertThat(x).isPositive();
    }
  }

  /**
   * {@code ∫λ^k ρ} against {@code tr(G^k)/N}, k = 1..3. The quadrature moment is Hutchinson's
   * estimate (exact in the Lanczos step for k ≤ 2S − 1) with standard error
   * {@code SE = √(2(‖G^k‖_F² − Σ(G^k)_ii²)/P)/N}: allowed 4 SE. The log-grid smoothing multiplies the
   * k-th moment by {@code exp(k²σ²/2)}, so the smoothed moment may differ by that bias on top, plus
   * 1e-3 relative for the grid.
   */
  @Test
  void momentsMatchTracesOfPowersWithinTheProbeVariance() {
    int n = 60;
    int probes = 10;
    double[][] q = orthogonalColumns(n, 5);
    double[] lambda = logSpaced(n, 1e-2, 5);
    List<SpectralDensity.Quadrature> quad = SpectralDensity.quadrature(operator(power(q, lambda, 1), n), n, probes, 25, 7);
    SpectralDensity.Density d = SpectralDensity.smooth(quad, 1000);
    assertThat(d.logGrid()).isTrue();
    for (int k = 1; k <= 3; k++) {
      double[] gk = power(q, lambda, k);
      double exact = 0;
      double frob2 = 0;
      double diag2 = 0;
      for (int i = 0; i < n; i++) {
        exact += Math.pow(lambda[i], k) / n;
        diag2 += gk[i * n + i] * gk[i * n + i];
      }
      for (double x : gk) frob2 += x * x;
      double se = Math.sqrt(2 * (frob2 - diag2) / probes) / n;
      double quadMoment = 0;
      for (SpectralDensity.Quadrature p : quad) {
        for (int j = 0; j < p.nodes().length; j++) quadMoment += p.weights()[j] * Math.pow(p.nodes()[j], k) / probes;
      }
      assertThat(se).as("the check means something").isLessThan(0.2 * exact);
      assertThat(quadMoment).as("quadrature moment %d", k).isCloseTo(exact, offset(4 * se));
      double bias = Math.expm1(k * k * d.width() * d.width() / 2) * (exact + 4 * se);
      assertThat(moment(d, k)).as("smoothed moment %d", k).isCloseTo(exact, offset(4 * se + bias + 1e-3 * exact));
    }
  }

  /** With S ≥ N and one probe v the nodes are G's eigenvalues and the weights {@code (q_iᵀv)²/N}. */
  @Test
  void fullLanczosNodesAreTheEigenvalues() {
    int n = 30;
    double[][] q = orthogonalColumns(n, 9);
    double[] lambda = new double[n];
    for (int i = 0; i < n; i++) lambda[i] = 0.5 + i * 0.37;
    long seed = 4;
    SpectralDensity.Quadrature quad = SpectralDensity.quadrature(operator(power(q, lambda, 1), n), n, 1, n + 5, seed).get(0);
    assertThat(quad.nodes()).hasSize(n);
    double[] v = SpectralDensity.rademacher(seed, 0, n);
    for (int i = 0; i < n; i++) {
      assertThat(quad.nodes()[i]).isCloseTo(lambda[i], offset(1e-10 * lambda[n - 1]));
      double c = 0;
      for (int a = 0; a < n; a++) c += q[i][a] * v[a];
      assertThat(quad.weights()[i]).isCloseTo(c * c / n, offset(1e-10));
    }
  }

  @Test
  void seededRunsAreBitIdenticalAndSeedsDiffer() {
    int n = 40;
    double[] g = power(orthogonalColumns(n, 2), logSpaced(n, 1e-4, 1), 1);
    SpectralDensity.Density a = SpectralDensity.smooth(SpectralDensity.quadrature(operator(g, n), n, 4, 15, 21), 300);
    SpectralDensity.Density b = SpectralDensity.smooth(SpectralDensity.quadrature(operator(g, n), n, 4, 15, 21), 300);
    SpectralDensity.Density c = SpectralDensity.smooth(SpectralDensity.quadrature(operator(g, n), n, 4, 15, 22), 300);
    assertThat(b.grid()).isEqualTo(a.grid());
    assertThat(b.density()).isEqualTo(a.density());
    assertThat(Arrays.equals(c.density(), a.density())).isFalse();
    for (double x : SpectralDensity.rademacher(21, 3, n)) assertThat(Math.abs(x)).isEqualTo(1.0);
  }
  /**
   * Lockstep Lanczos ({@link Lanczos#tridiagonals}) makes exactly the arithmetic of one run per start
   * when the block operator applies the same product to each vector: bit-identical tridiagonals, and
   * the block quadrature is bit-identical to the probe-by-probe one (runs that stop early:
   * SpectralDensityOfMetricsTest, a metric of rank below N).
   */
  @Test
  void lockstepLanczosIsBitIdenticalToOneRunPerStart() {
    int n = 30;
    double[][] q = orthogonalColumns(n, 4);
    double[] g = power(q, logSpaced(n, 1e-3, 1), 1);
    UnaryOperator<double[]> op = operator(g, n);
    java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
    UnaryOperator<double[][]> block = vs -> {
      calls.incrementAndGet();
      double[][] out = new double[vs.length][];
      for (int t = 0; t < vs.length; t++) out[t] = op.apply(vs[t]);
      return out;
    };
    List<double[]> starts = List.of(SpectralDensity.rademacher(5, 0, n), SpectralDensity.rademacher(5, 2, n), SpectralDensity.rademacher(5, 1, n));
    List<Lanczos.Tridiagonal> together = Lanczos.tridiagonals(block, starts, 20);
    assertThat(calls.get()).isEqualTo(20);
    for (int i = 0; i < starts.size(); i++) {
      Lanczos.Tridiagonal alone = Lanczos.tridiagonal(op, starts.get(i), 20);
      assertThat(together.get(i).alpha()).isEqualTo(alone.alpha());
      assertThat(together.get(i).beta()).isEqualTo(alone.beta());
    }
    List<SpectralDensity.Quadrature> a = SpectralDensity.quadrature(op, n, 5, 12, 8);
    List<SpectralDensity.Quadrature> b = SpectralDensity.blockQuadrature(block, n, 5, 12, 8);
    for (int p = 0; p < 5; p++) {
      assertThat(b.get(p).nodes()).isEqualTo(a.get(p).nodes());
      assertThat(b.get(p).weights()).isEqualTo(a.get(p).weights());
    }
  }
}
