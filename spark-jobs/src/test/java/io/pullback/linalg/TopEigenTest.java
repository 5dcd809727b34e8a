package io.pullback.linalg;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Block Lanczos top-k against LAPACK {@code dsyevd} on explicit symmetric matrices (seeded spectra
 * and eigenvectors; metric-like PSD Grams {@code RᵀR/M} of seeded Gaussian rows): the top k
 * eigenvalues agree to 1e-8 relative, and the Ritz vectors span dsyevd's top-k eigenvectors — every
 * principal angle between the subspaces has cosine ≥ 1 − 1e-8 (the singular values of {@code XᵀU}).
 */
class TopEigenTest {

  static Stream<Arguments> cases() {
    Stream.Builder<Arguments> b = Stream.builder();
    for (long seed = 1; seed <= 4; seed++) {
      b.add(Arguments.of("gram", 120, 1 + (int) seed * 2, seed));
      b.add(Arguments.of("log-spaced", 90, 5, seed));
    }
    b.add(Arguments.of("low-rank gram", 100, 6, 9L)); // rank 30: the Krylov space closes
    return b.build();
  }

  static double[] matrix(String kind, int n, long seed) {
    if (kind.equals("log-spaced")) {
      return SpectralDensityTest.power(SpectralDensityTest.orthogonalColumns(n, seed), SpectralDensityTest.logSpaced(n, 1e-6, 10), 1);
    }
    int rows = kind.equals("gram") ? 3 * n : 30;
    SplittableRandom rng = new SplittableRandom(seed);
    double[] r = new double[rows * n];
    for (int i = 0; i < r.length; i++) r[i] = rng.nextGaussian() * (1 + (i % n) % 7); // uneven column scales
    double[] g = new double[n * n];
    for (int t = 0; t < rows; t++) {
      for (int a = 0; a < n; a++) for (int c = 0; c < n; c++) g[a * n + c] += r[t * n + a] * r[t * n + c] / rows;
    }
    return g;
  }

  @ParameterizedTest(name = "{0} N={1} k={2} seed={3}")
  @MethodSource("cases")
  void topKEqualsDsyevdAndSpansItsEigenvectors(String kind, int n, int k, long seed) {
    double[] g = matrix(kind, n, seed);
    UnaryOperator<double[]> op = StochasticTraceTest.blas(g, n);
    TopEigen.Eigenpairs e = TopEigen.top(op, n, k, n, 1e-10, seed, true);
    double[] u = g.clone();
    double[] w = DenseOps.eigh(u, n);
    assertThat(e.converged()).isTrue();
    System.out.printf("%s N=%d k=%d: %d products, residuals %s%n", kind, n, k, e.products(), java.util.Arrays.toString(e.residuals()));
    for (int i = 0; i < k; i++) {
      assertThat(e.values()[i]).as("θ_%d", i).isCloseTo(w[n - 1 - i], org.assertj.core.data.Offset.offset(1e-8 * Math.abs(w[n - 1 - i])));
    }
    // cos of the principal angles: singular values of XᵀU (k×k), U = dsyevd's top-k eigenvectors.
    double[] m = new double[k * k];
    for (int i = 0; i < k; i++) {
      for (int j = 0; j < k; j++) {
        double s = 0;
        for (int t = 0; t < n; t++) s += e.vectors()[i][t] * u[(n - 1 - j) * n + t];
        m[i * k + j] = s;
      }
    }
    double[] mtm = new double[k * k];
    for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) for (int t = 0; t < k; t++) mtm[i * k + j] += m[t * k + i] * m[t * k + j];
    double[] sigma2 = DenseOps.eigh(mtm, k);
    assertThat(Math.sqrt(sigma2[0])).as("smallest cosine of a principal angle").isGreaterThanOrEqualTo(1 - 1e-8);
    // The residuals it reports are the true ones.
    for (int i = 0; i < k; i++) {
      double[] gx = op.apply(e.vectors()[i]);
      double r = 0;
      for (int t = 0; t < n; t++) r += Math.pow(gx[t] - e.values()[i] * e.vectors()[i][t], 2);
      assertThat(Math.sqrt(r)).isLessThanOrEqualTo(e.residuals()[i] + 1e-12 * w[n - 1]);
    }
  }

  @Test
  void stopsByTheResidualRuleBeforeTheWholeSpace() {
    int n = 300;
    double[] l = new double[n];
    for (int i = 0; i < n; i++) l[i] = Math.pow(0.7, i); // well separated top
    double[] g = SpectralDensityTest.power(SpectralDensityTest.orthogonalColumns(n, 21), l, 1);
    TopEigen.Eigenpairs e = TopEigen.top(StochasticTraceTest.blas(g, n), n, 4, n, 1e-8, 3, false);
    assertThat(e.converged()).isTrue();
    assertThat(e.products()).isLessThan(n / 2);
    for (double r : e.residuals()) assertThat(r).isLessThanOrEqualTo(1e-8 * e.values()[0]);
    TopEigen.Eigenpairs capped = TopEigen.top(StochasticTraceTest.blas(g, n), n, 4, 8, 1e-14, 3, false);
    assertThat(capped.converged()).isFalse();
    assertThat(capped.products()).isEqualTo(8);
  }

  @Test
  void sameSeedBitIdentical() {
    double[] g = matrix("gram", 60, 5);
    UnaryOperator<double[]> op = StochasticTraceTest.blas(g, 60);
    assertThat(TopEigen.top(op, 60, 3, 60, 1e-10, 8, false).values()).containsExactly(TopEigen.top(op, 60, 3, 60, 1e-10, 8, false).values());
  }
}
