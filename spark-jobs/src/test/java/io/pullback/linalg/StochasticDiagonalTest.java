package io.pullback.linalg;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Diagonal estimators against the exact diagonal of explicit matrices {@code A = Q·diag(λ)·Qᵀ}
 * (λ_i = 1/i), over S = 400 seeds. Unbiasedness per entry: the mean of the S estimates of
 * {@code A_ii} is within 3 standard errors {@code sd_i/√S} of {@code A_ii} for all but a few entries
 * (a family of N = 40 3-sigma tests: at most 3 may fail, and none beyond 4.5 sigma), and the summed
 * diagonal (a trace estimate) is within 3 standard errors of {@code tr A}.
 */
class StochasticDiagonalTest {
  static final int N = 40;
  static final int SEEDS = 400;

  @ParameterizedTest(name = "{0}")
  @EnumSource(StochasticDiagonal.Method.class)
  void unbiasedPerEntryOverManySeeds(StochasticDiagonal.Method method) {
    double[] a = SpectralDensityTest.power(SpectralDensityTest.orthogonalColumns(N, 11), StochasticTraceTest.harmonic(N), 1);
    UnaryOperator<double[]> op = StochasticTraceTest.blas(a, N);
    double[][] d = new double[N][SEEDS];
    double[] sums = new double[SEEDS];
    double reported = 0;
    for (int s = 0; s < SEEDS; s++) {
      StochasticDiagonal.Estimate e = StochasticDiagonal.estimate(method, op, N, 10, 500 + s);
      assertThat(e.products()).isEqualTo(10);
      for (int i = 0; i < N; i++) {
        d[i][s] = e.diagonal()[i];
        sums[s] += e.diagonal()[i];
      }
      reported += e.stdErrorNorm() * e.stdErrorNorm();
    }
    int beyond3 = 0;
    double worst = 0;
    double spread = 0;
    for (int i = 0; i < N; i++) {
      double z = Math.abs(StochasticTraceTest.mean(d[i]) - a[i * N + i]) / Math.sqrt(StochasticTraceTest.variance(d[i]) / SEEDS);
      if (z > 3) beyond3++;
      worst = Math.max(worst, z);
      spread += StochasticTraceTest.variance(d[i]);
    }
    double trace = StochasticTraceTest.trace(a, N);
    System.out.printf("%s: %d of %d entries beyond 3 se, worst %.2f se; rms ‖d̂ − d‖ %.4g, rms reported %.4g%n", method, beyond3, N, worst,
        Math.sqrt(spread), Math.sqrt(reported / SEEDS));
    assertThat(beyond3).isLessThanOrEqualTo(3);
    assertThat(worst).isLessThan(4.5);
    assertThat(Math.abs(StochasticTraceTest.mean(sums) - trace)).isLessThanOrEqualTo(3 * Math.sqrt(StochasticTraceTest.variance(sums) / SEEDS));
    assertThat(Math.sqrt(reported / SEEDS) / Math.sqrt(spread)).isBetween(0.5, 2.0);
  }

  /** Where the spectrum decays, XDiag's error at P = 64 is well below Hutchinson's (the low-rank part is exact). */
  @Test
  void xdiagBeatsHutchinsonOnADecayingSpectrum() {
    int n = 150;
    double[] l = new double[n];
    for (int i = 0; i < n; i++) l[i] = Math.pow(0.8, i);
    double[] a = SpectralDensityTest.power(SpectralDensityTest.orthogonalColumns(n, 12), l, 1);
    UnaryOperator<double[]> op = StochasticTraceTest.blas(a, n);
    double[] err = new double[2];
    for (StochasticDiagonal.Method m : StochasticDiagonal.Method.values()) {
      for (int s = 0; s < 10; s++) {
        double[] d = StochasticDiagonal.estimate(m, op, n, 64, s).diagonal();
        for (int i = 0; i < n; i++) err[m.ordinal()] += (d[i] - a[i * n + i]) * (d[i] - a[i * n + i]);
      }
    }
    System.out.printf("rms diagonal errors: hutchinson %.3g, xdiag %.3g%n", Math.sqrt(err[0] / 10), Math.sqrt(err[1] / 10));
    assertThat(err[1]).isLessThan(1e-4 * err[0]);
  }

  @Test
  void sameSeedBitIdentical() {
    double[] a = SpectralDensityTest.power(SpectralDensityTest.orthogonalColumns(N, 13), StochasticTraceTest.harmonic(N), 1);
    UnaryOperator<double[]> op = StochasticTraceTest.blas(a, N);
    for (StochasticDiagonal.Method m : StochasticDiagonal.Method.values()) {
      assertThat(StochasticDiagonal.estimate(m, op, N, 8, 3).diagonal()).containsExactly(StochasticDiagonal.estimate(m, op, N, 8, 3).diagonal());
    }
  }
}
