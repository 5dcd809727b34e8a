package io.pullback.metric.representation;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullback.linalg.ConjugateGradient;
import io.pullback.linalg.DenseMetricSolver;
import io.pullback.linalg.DenseOps;
import io.pullback.linalg.Lanczos;
import io.pullback.linalg.Spectra;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Conjugate gradients and Lanczos on seeded random PSD matrices {@code A = BᵀB} (B of size m×n,
 * rank ≤ m), against LAPACK: a Cholesky solve of {@code A + λI} and {@code dsyevd} eigenvalues.
 */
class IterativeSolversTest {

  static double[] psd(long seed, int n, int m) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] b = new double[m * n];
    for (int i = 0; i < b.length; i++) b[i] = rng.nextGaussian();
    double[] a = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int t = 0; t < m; t++) s += b[t * n + i] * b[t * n + j];
        a[i * n + j] = s;
      }
    }
    return a;
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void conjugateGradientsMatchCholesky(long seed) {
    int n = 40;
    double[] a = psd(seed, n, 25); // rank 25: singular without λ
    double[] v = new SplittableRandom(seed + 10).doubles(n, -1, 1).toArray();
    double lambda = 0.5;
    double[] ref = new DenseMetricSolver(a, n, false).solve(v, lambda);
    ConjugateGradient.Result r = ConjugateGradient.solve(x -> DenseOps.symv(a, n, x), v, lambda, 1e-13, 200);
    assertThat(r.converged()).isTrue();
    assertThat(r.iterations()).isLessThanOrEqualTo(n + 1);
    double err = 0;
    double norm = 0;
    for (int i = 0; i < n; i++) {
      err += (r.x()[i] - ref[i]) * (r.x()[i] - ref[i]);
      norm += ref[i] * ref[i];
    }
    assertThat(Math.sqrt(err / norm)).isLessThan(1e-10);
  }

  /** Capped early, CG reports non-convergence and returns its smallest-residual iterate. */
  @ParameterizedTest
  @ValueSource(longs = {4, 5})
  void cappedConjugateGradientsReturnTheBestIterate(long seed) {
    int n = 60;
    double[] a = psd(seed, n, 60);
    double[] v = new SplittableRandom(seed).doubles(n, -1, 1).toArray();
    ConjugateGradient.Result r = ConjugateGradient.solve(x -> DenseOps.symv(a, n, x), v, 1e-6, 1e-12, 5);
    assertThat(r.converged()).isFalse();
    assertThat(r.iterations()).isEqualTo(5);
    double[] res = DenseOps.symv(a, n, r.x());
    double rr = 0;
    double vv = 0;
    for (int i = 0; i < n; i++) {
      double d = v[i] - res[i] - 1e-6 * r.x()[i];
      rr += d * d;
      vv += v[i] * v[i];
    }
    assertThat(Math.sqrt(rr / vv)).isCloseTo(r.relativeResidual(), org.assertj.core.data.Offset.offset(1e-9));
    assertThat(r.relativeResidual()).isLessThan(1.0);
  }

  /** N Lanczos steps give the whole spectrum; 30 steps give the top eigenvalues to 1e-8. */
  @ParameterizedTest
  @ValueSource(longs = {6, 7})
  void lanczosFindsTheExtremeEigenvalues(long seed) {
    int n = 80;
    double[] a = psd(seed, n, 120);
    double[] exact = Spectra.eigenvalues(a, n);
    double[] full = Lanczos.ritzValues(x -> DenseOps.symv(a, n, x), n, n, seed);
    assertThat(full).hasSize(n);
    for (int i = 0; i < n; i++) assertThat(full[i]).isCloseTo(exact[i], org.assertj.core.data.Offset.offset(1e-9 * exact[n - 1]));
    double[] partial = Lanczos.ritzValues(x -> DenseOps.symv(a, n, x), n, 40, seed);
    assertThat(partial[partial.length - 1]).isCloseTo(exact[n - 1], org.assertj.core.data.Offset.offset(1e-8 * exact[n - 1]));
    assertThat(partial[partial.length - 2]).isCloseTo(exact[n - 2], org.assertj.core.data.Offset.offset(1e-6 * exact[n - 1]));
  }
}
