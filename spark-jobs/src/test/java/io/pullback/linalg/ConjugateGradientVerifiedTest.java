package io.pullback.linalg;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ConjugateGradient#solveVerified}: its residual is the true one (recomputed here
 * independently from x with a naive product), it agrees with a Cholesky solve, and it reports an
 * indefinite system instead of absorbing it.
 */
class ConjugateGradientVerifiedTest {

  /** A = BᵀB + shift·I with B m×n Gaussian (seeded). */
  static double[] matrix(long seed, int n, int m, double shift) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] b = new double[m * n];
    for (int i = 0; i < b.length; i++) b[i] = rng.nextGaussian();
    double[] a = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double s = i == j ? shift : 0;
        for (int t = 0; t < m; t++) s += b[t * n + i] * b[t * n + j];
        a[i * n + j] = s;
      }
    }
    return a;
  }

  static double[] naiveProduct(double[] a, int n, double[] x) {
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) y[i] += a[i * n + j] * x[j];
    }
    return y;
  }

  static double trueRelativeResidual(double[] a, int n, double[] x, double[] b, double lambda) {
    double[] ax = naiveProduct(a, n, x);
    double rr = 0;
    double bb = 0;
    for (int i = 0; i < n; i++) {
      double r = b[i] - ax[i] - lambda * x[i];
      rr += r * r;
      bb += b[i] * b[i];
    }
    return Math.sqrt(rr / bb);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4})
  void convergesOnTheTrueResidualAndMatchesCholesky(long seed) {
    int n = 50;
    double[] a = matrix(seed, n, 30, 0); // rank 30: singular without λ
    double[] b = new SplittableRandom(seed + 7).doubles(n, -1, 1).toArray();
    double lambda = 1e-3;
    ConjugateGradient.Result r = ConjugateGradient.solveVerified(x -> naiveProduct(a, n, x), b, lambda, 1e-11, 10 * n);
    assertThat(r.converged()).isTrue();
    assertThat(r.indefinite()).isFalse();
    assertThat(r.relativeResidual()).isLessThanOrEqualTo(1e-11);
    assertThat(trueRelativeResidual(a, n, r.x(), b, lambda)).isCloseTo(r.relativeResidual(), org.assertj.core.data.Offset.offset(1e-14));
    assertThat(r.products()).as("one product per iteration plus one per residual check").isGreaterThan(r.iterations());
    double[] ref = new DenseMetricSolver(a, n, false).solve(b, lambda);
    double err = 0;
    double norm = 0;
    for (int i = 0; i < n; i++) {
      err += (r.x()[i] - ref[i]) * (r.x()[i] - ref[i]);
      norm += ref[i] * ref[i];
    }
    assertThat(Math.sqrt(err / norm)).isLessThan(1e-6);
  }

  @ParameterizedTest
  @ValueSource(longs = {5, 6})
  void aCappedSolveReportsItsTrueResidual(long seed) {
    int n = 60;
    double[] a = matrix(seed, n, 60, 0);
    double[] b = new SplittableRandom(seed).doubles(n, -1, 1).toArray();
    ConjugateGradient.Result r = ConjugateGradient.solveVerified(x -> naiveProduct(a, n, x), b, 1e-6, 1e-12, 3);
    assertThat(r.converged()).isFalse();
    assertThat(r.iterations()).isEqualTo(3);
    assertThat(r.relativeResidual()).isCloseTo(trueRelativeResidual(a, n, r.x(), b, 1e-6), org.assertj.core.data.Offset.offset(1e-12));
  }

  @ParameterizedTest
  @ValueSource(longs = {7, 8})
  void anIndefiniteSystemIsReported(long seed) {
    int n = 20;
    double[] a = matrix(seed, n, 5, 0);
    for (int i = 0; i < n; i++) a[i * n + i] -= 50; // rank 5 plus −50·I: most eigenvalues are −50
    double[] b = new SplittableRandom(seed).doubles(n, -1, 1).toArray();
    ConjugateGradient.Result r = ConjugateGradient.solveVerified(x -> naiveProduct(a, n, x), b, 0, 1e-10, 100);
    assertThat(r.indefinite()).isTrue();
    assertThat(r.curvature()).isNegative();
    assertThat(r.converged()).isFalse();
  }

  @ParameterizedTest
  @ValueSource(longs = {9})
  void aZeroRightHandSideNeedsNoProduct(long seed) {
    double[] a = matrix(seed, 4, 4, 1);
    ConjugateGradient.Result r = ConjugateGradient.solveVerified(x -> naiveProduct(a, 4, x), new double[4], 0, 1e-8, 10);
    assertThat(r.x()).containsOnly(0.0);
    assertThat(r.products()).isZero();
    assertThat(r.converged()).isTrue();
  }
}
