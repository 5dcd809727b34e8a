package io.pullback.linalg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.UnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * Trace estimators against the exact trace of explicit matrices {@code A = Q·diag(λ)·Qᵀ}
 * (Q seeded orthogonal, {@link SpectralDensityTest#orthogonalColumns}), over many seeds.
 *
 * <p>Unbiasedness: the mean of S = 400 seeded estimates lies within 3 standard errors
 * {@code sd/√S} of {@code tr A} (the estimates are independent across seeds; a 3-sigma test of a
 * fixed, seeded set). Hutchinson's variance is also checked against its closed form
 * {@code 2(‖A‖_F² − Σ A_ii²)/P}, and each method's reported standard error against the spread of its
 * estimates.
 */
class StochasticTraceTest {
  static final int N = 60;
  static final int SEEDS = 400;

  /** λ_i = 1/i: a decaying spectrum, where deflation pays. */
  static double[] harmonic(int n) {
    double[] l = new double[n];
    for (int i = 0; i < n; i++) l[i] = 1.0 / (i + 1);
    return l;
  }

  static double trace(double[] a, int n) {
    double t = 0;
    for (int i = 0; i < n; i++) t += a[i * n + i];
    return t;
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(StochasticTrace.Method.class)
  void unbiasedWithinThreeStandardErrorsOverManySeeds(StochasticTrace.Method method) {
    double[] a = SpectralDensityTest.power(SpectralDensityTest.orthogonalColumns(N, 3), harmonic(N), 1);
    UnaryOperator<double[]> op = blas(a, N);
    double exact = trace(a, N);
    double[] t = new double[SEEDS];
    double reported = 0;
    for (int s = 0; s < SEEDS; s++) {
      StochasticTrace.Estimate e = StochasticTrace.estimate(method, op, N, 12, 1000 + s);
      t[s] = e.estimate();
      reported += e.stdError() * e.stdError();
      assertThat(e.products()).isEqualTo(12);
    }
    double mean = mean(t);
    double sd = Math.sqrt(variance(t));
    System.out.printf("%s: tr = %.6f, mean of %d = %.6f, sd = %.4g, rms reported se = %.4g%n", method, exact, SEEDS, mean, sd,
        Math.sqrt(reported / SEEDS));
    assertThat(Math.abs(mean - exact)).as("|mean − tr A| against 3 standard errors").isLessThanOrEqualTo(3 * sd / Math.sqrt(SEEDS));
    // The reported standard error describes the spread of the estimates (XTrace's is a heuristic: within 2×).
    assertThat(Math.sqrt(reported / SEEDS) / sd).isBetween(0.5, 2.0);
  }

  @Test
  void hutchinsonVarianceMatchesItsClosedForm() {
    double[] a = SpectralDensityTest.power(SpectralDensityTest.orthogonalColumns(N, 4), harmonic(N), 1);
    UnaryOperator<double[]> op = blas(a, N);
    double frob2 = 0;
    double diag2 = 0;
    for (int i = 0; i < N * N; i++) frob2 += a[i] * a[i];
    for (int i = 0; i < N; i++) diag2 += a[i * N + i] * a[i * N + i];
    int p = 8;
    double expected = 2 * (frob2 - diag2) / p;
    double[] t = new double[SEEDS];
    for (int s = 0; s < SEEDS; s++) t[s] = StochasticTrace.hutchinson(op, N, p, s).estimate();
    // The sample variance of 400 draws is within ±25% of the true one (its relative sd is ≈ √(2/399) ≈ 7% for near-normal draws).
    assertThat(variance(t) / expected).isBetween(0.75, 1.25);
  }

  /**
   * On λ_i = 1/i (N = 200) the RMS error of Hutch++ falls like 1/P (log-log slope ≤ −0.85 from
   * P = 12 to 192), Hutchinson's like 1/√P (slope in [−0.65, −0.35]); XTrace beats Hutchinson from
   * P = 48 on.
   */
  @Test
  void hutchppErrorDecaysLikeOneOverP() {
    int n = 200;
    double[] a = SpectralDensityTest.power(SpectralDensityTest.orthogonalColumns(n, 5), harmonic(n), 1);
    UnaryOperator<double[]> op = blas(a, n);
    double exact = trace(a, n);
    int[] budgets = {12, 48, 192};
    double[][] rms = new double[3][budgets.length];
    for (int b = 0; b < budgets.length; b++) {
      for (StochasticTrace.Method m : StochasticTrace.Method.values()) {
        double ss = 0;
        int seeds = 40;
        for (int s = 0; s < seeds; s++) {
          double e = StochasticTrace.estimate(m, op, n, budgets[b], 77 + s).estimate() - exact;
          ss += e * e;
        }
        rms[m.ordinal()][b] = Math.sqrt(ss / seeds);
      }
    }
    double slopeHutchinson = slope(budgets, rms[StochasticTrace.Method.HUTCHINSON.ordinal()]);
    double slopeHutchpp = slope(budgets, rms[StochasticTrace.Method.HUTCHPP.ordinal()]);
    System.out.printf("rms errors at P = 12, 48, 192: hutchinson %s (slope %.2f), hutch++ %s (slope %.2f), xtrace %s%n",
        java.util.Arrays.toString(rms[0]), slopeHutchinson, java.util.Arrays.toString(rms[1]), slopeHutchpp,
        java.util.Arrays.toString(rms[2]));
    assertThat(slopeHutchpp).isLessThanOrEqualTo(-0.85);
    assertThat(slopeHutchinson).isBetween(-0.65, -0.35);
    for (int b = 1; b < budgets.length; b++) assertThat(rms[2][b]).isLessThan(rms[0][b]);
  }

  @Test
  void exactWhenTheProductsSpanTheRange() {
    // Rank 4 in N = 60: XTrace and Hutch++ with ≥ 4 sketch vectors see the whole range; the estimate is the trace.
    double[] l = new double[N];
    for (int i = 0; i < 4; i++) l[i] = 4.0 - i;
    double[] a = SpectralDensityTest.power(SpectralDensityTest.orthogonalColumns(N, 6), l, 1);
    UnaryOperator<double[]> op = blas(a, N);
    for (StochasticTrace.Method m : new StochasticTrace.Method[] {StochasticTrace.Method.HUTCHPP, StochasticTrace.Method.XTRACE}) {
      StochasticTrace.Estimate e = StochasticTrace.estimate(m, op, N, 18, 9);
      assertThat(e.estimate()).as(m.name()).isCloseTo(10.0, org.assertj.core.data.Offset.offset(1e-9));
      assertThat(e.stdError()).as(m.name()).isLessThan(1e-9);
      assertThat(e.products()).as(m.name()).isLessThanOrEqualTo(18);
    }
  }

  @Test
  void sameSeedBitIdenticalOtherSeedDifferent() {
    double[] a = SpectralDensityTest.power(SpectralDensityTest.orthogonalColumns(N, 7), harmonic(N), 1);
    UnaryOperator<double[]> op = blas(a, N);
    for (StochasticTrace.Method m : StochasticTrace.Method.values()) {
      double x = StochasticTrace.estimate(m, op, N, 12, 5).estimate();
      assertThat(Double.doubleToRawLongBits(StochasticTrace.estimate(m, op, N, 12, 5).estimate())).isEqualTo(Double.doubleToRawLongBits(x));
      assertThat(StochasticTrace.estimate(m, op, N, 12, 6).estimate()).isNotEqualTo(x);
    }
  }

  @Test
  void budgetsThatDoNotDivideAreRefused() {
    UnaryOperator<double[]> op = v -> v;
    assertThatThrownBy(() -> StochasticTrace.estimate(StochasticTrace.Method.HUTCHPP, op, 10, 10, 0)).hasMessageContaining("multiple of 3");
    assertThatThrownBy(() -> StochasticTrace.estimate(StochasticTrace.Method.XTRACE, op, 10, 7, 0)).hasMessageContaining("multiple of 2");
    assertThatThrownBy(() -> StochasticTrace.estimate(StochasticTrace.Method.HUTCHINSON, op, 10, 1, 0)).hasMessageContaining("at least 2");
    assertThatThrownBy(() -> StochasticTrace.Method.parse("hutch")).hasMessageContaining("hutchinson, hutchpp, xtrace");
  }

  /** {@code v ↦ A·v} by BLAS {@code dgemv} (the reference matrix is explicit). */
  static UnaryOperator<double[]> blas(double[] a, int n) {
    return v -> DenseOps.symv(a, n, v);
  }

  static double slope(int[] x, double[] y) {
    return Math.log(y[y.length - 1] / y[0]) / Math.log((double) x[x.length - 1] / x[0]);
  }

  static double mean(double[] t) {
    double s = 0;
    for (double x : t) s += x;
    return s / t.length;
  }

  static double variance(double[] t) {
    double m = mean(t);
    double s = 0;
    for (double x : t) s += (x - m) * (x - m);
    return s / (t.length - 1);
  }
}
