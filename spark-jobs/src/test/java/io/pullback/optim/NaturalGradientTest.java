package io.pullback.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.pullback.PullbackException;
import io.pullback.cli.Flags;
import io.pullback.linalg.DenseMetricSolver;
import io.pullback.loss.L2Penalty;
import io.pullback.optim.NaturalGradientConfig.DampingSchedule;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.CholeskyDecomposition;
import org.apache.commons.math3.linear.QRDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.junit.jupiter.api.Test;

/** ngd with the dense solver against commons-math3, the refresh pattern, jitter and Levenberg–Marquardt. */
class NaturalGradientTest {

  /** A random orthogonal matrix (Q of a Gaussian matrix), row-major. */
  static RealMatrix randomOrthogonal(SplittableRandom rng, int n) {
    RealMatrix a = new Array2DRowRealMatrix(n, n);
    for (int i = 0; i < n; i++) {
      a.setRow(i, ShermanMorrisonTest.gaussian(rng, n));
    }
    return new QRDecomposition(a).getQ();
  }

  /** Q diag(eig) Qᵀ as a row-major array (symmetrised exactly). */
  static double[] spectral(RealMatrix q, double[] eig) {
    int n = eig.length;
    double[] g = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        double s = 0;
        for (int k = 0; k < n; k++) {
          s += q.getEntry(i, k) * eig[k] * q.getEntry(j, k);
        }
        g[i * n + j] = s;
        g[j * n + i] = s;
      }
    }
    return g;
  }

  static RealMatrix matrix(double[] g, int n) {
    RealMatrix m = new Array2DRowRealMatrix(n, n);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        m.setEntry(i, j, g[i * n + j]);
      }
    }
    return m;
  }

  /** θ − η (G + λI)⁻¹ g by commons-math3 Cholesky. */
  static double[] reference(double[] gMat, int n, double lambda, double lr, double[] theta, double[] grad) {
    RealMatrix m = matrix(gMat, n);
    for (int i = 0; i < n; i++) {
      m.addToEntry(i, i, lambda);
    }
    double[] x = new CholeskyDecomposition(m).getSolver().solve(new ArrayRealVector(grad)).toArray();
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = theta[i] - lr * x[i];
    }
    return out;
  }

  /** Relative 1e-10: the condition numbers here are ≤ 1e3, so both solves agree to ~1e-13. */
  static void assertRelClose(double[] actual, double[] expected, double tol) {
    double norm = 0;
    for (double e : expected) {
      norm = Math.max(norm, Math.abs(e));
    }
    for (int i = 0; i < expected.length; i++) {
      assertThat(actual[i]).as("entry %d", i).isCloseTo(expected[i], within(tol * norm));
    }
  }

  @Test
  void denseStepMatchesCommonsMathAndRefreshEveryIsRespected() {
    long seed = 42;
    System.out.println("seed " + seed);
    SplittableRandom rng = new SplittableRandom(seed);
    int n = 7;
    double lambda = 0.01;
    double lr = 0.7;
    NaturalGradientConfig c = new NaturalGradientConfig(lr, lambda, DampingSchedule.FIXED, 3, 1.0, false, L2Penalty.NONE);
    Optimizer opt = c.create();
    List<Boolean> pattern = new ArrayList<>();
    for (int t = 1; t <= 7; t++) {
      pattern.add(opt.needsMetric(t));
    }
    assertThat(pattern).containsExactly(true, false, false, true, false, false, true);

    double[] theta = ShermanMorrisonTest.gaussian(rng, n);
    double[] current = null;
    for (int t = 1; t <= 5; t++) {
      double[] grad = ShermanMorrisonTest.gaussian(rng, n);
      DenseMetricSolver metric = null;
      if (opt.needsMetric(t)) {
        double[] eig = new double[n];
        for (int i = 0; i < n; i++) {
          eig[i] = Math.pow(10, rng.nextDouble(-3, 0));
        }
        current = spectral(randomOrthogonal(rng, n), eig);
        metric = new DenseMetricSolver(current, n, false);
      }
      double[] next = opt.step(new StepInput(t, theta, 1.0, grad, metric));
      assertRelClose(next, reference(current, n, lambda, lr, theta, grad), 1e-10);
      theta = next;
    }
    assertThat(opt.damping()).isEqualTo(lambda);
    assertThat(opt.learningRate()).isEqualTo(lr);
  }

  @Test
  void multiplyAndSolveAreInverse() {
    SplittableRandom rng = new SplittableRandom(7);
    int n = 9;
    double[] eig = new double[n];
    for (int i = 0; i < n; i++) {
      eig[i] = Math.pow(10, rng.nextDouble(-2, 1));
    }
    double[] g = spectral(randomOrthogonal(rng, n), eig);
    DenseMetricSolver s = new DenseMetricSolver(g, n, false);
    double[] v = ShermanMorrisonTest.gaussian(rng, n);
    double[] back = s.multiply(s.solve(v, 0.0));
    assertRelClose(back, v, 1e-11);
    double[] expected = matrix(g, n).operate(v);
    assertRelClose(s.multiply(v), expected, 1e-13);
  }

  /** G = BBᵀ padded with a zero last row and column: exactly singular, Cholesky meets a zero pivot. */
  static double[] singular(int n) {
    SplittableRandom rng = new SplittableRandom(5);
    double[] eig = new double[n - 1];
    for (int i = 0; i < n - 1; i++) {
      eig[i] = 1 + i;
    }
    double[] small = spectral(randomOrthogonal(rng, n - 1), eig);
    double[] g = new double[n * n];
    for (int i = 0; i < n - 1; i++) {
      System.arraycopy(small, i * (n - 1), g, i * n, n - 1);
    }
    return g;
  }

  @Test
  void notPositiveDefiniteWithoutJitterIsAUsageError() {
    int n = 5;
    DenseMetricSolver s = new DenseMetricSolver(singular(n), n, false);
    assertThatThrownBy(() -> s.solve(new double[n], 0.0))
        .isInstanceOf(PullbackException.class)
        .hasMessageContaining("not positive definite")
        .satisfies(e -> assertThat(Flags.message((PullbackException) e)).contains("--damping"))
        .satisfies(e -> assertThat(((PullbackException) e).exitCode()).isEqualTo(PullbackException.USAGE));
    // and the same metric is fine with damping
    assertAllFinite(s.solve(new double[] {1, 1, 1, 1, 1}, 1e-3));
  }

  @Test
  void notPositiveDefiniteWithJitterSucceedsAndReportsTheJitter() {
    int n = 5;
    double[] g = singular(n);
    DenseMetricSolver s = new DenseMetricSolver(g, n, true);
    double[] x = s.solve(new double[] {1, 1, 1, 1, 0}, 0.0);
    assertAllFinite(x);
    double meanDiag = 0;
    for (int i = 0; i < n; i++) {
      meanDiag += g[i * n + i] / n;
    }
    assertThat(s.lastJitter()).isCloseTo(1e-10 * meanDiag, within(1e-24));
    // a slightly negative eigenvalue (-1e-7 relative) needs several tries; the jitter then exceeds it
    SplittableRandom rng = new SplittableRandom(9);
    double[] eig = {1, 2, 3, 4, -1e-7};
    DenseMetricSolver t = new DenseMetricSolver(spectral(randomOrthogonal(rng, n), eig), n, true);
    t.solve(new double[n], 0.0);
    assertThat(t.lastJitter()).isGreaterThan(1e-7).isLessThan(1e-4);
    // solving again with λ > the negative eigenvalue needs no jitter
    t.solve(new double[n], 1e-3);
    assertThat(t.lastJitter()).isZero();
  }

  @Test
  void levenbergMarquardtOnAnIllConditionedQuadraticDecreasesTheLossAndAdaptsDamping() {
    long seed = 2024;
    System.out.println("seed " + seed);
    SplittableRandom rng = new SplittableRandom(seed);
    int n = 8;
    RealMatrix q = randomOrthogonal(rng, n);
    double[] eigA = new double[n];
    double[] eigG = new double[n];
    for (int i = 0; i < n; i++) {
      eigA[i] = Math.pow(10, -8.0 * i / (n - 1)); // cond(A) = 1e8
      eigG[i] = eigA[i] * Math.pow(10, rng.nextDouble(-1, 0.7)); // a metric that mis-estimates curvature ×[0.1, 5]
    }
    double[] a = spectral(q, eigA);
    double[] gMetric = spectral(q, eigG);
    NaturalGradientConfig c = new NaturalGradientConfig(1.0, 1e-12, DampingSchedule.LEVENBERG_MARQUARDT, 1, 1.0, false,
        L2Penalty.NONE);
    Optimizer opt = c.create();
    double[] theta = ShermanMorrisonTest.gaussian(rng, n);
    double loss = quadLoss(a, theta);
    double initial = loss;
    TreeSet<Double> dampings = new TreeSet<>();
    dampings.add(opt.damping());
    int rejections = 0;
    for (int t = 1; t <= 40; t++) {
      StepInput in = new StepInput(t, theta, loss, quadGrad(a, theta),
          opt.needsMetric(t) ? new DenseMetricSolver(gMetric, n, false) : null);
      double[] next = opt.step(in);
      double nextLoss = quadLoss(a, next);
      int tries = 0;
      while (opt.rejectLastStep(nextLoss)) {
        rejections++;
        assertThat(++tries).as("retries at step %d", t).isLessThan(40);
        next = opt.step(in);
        nextLoss = quadLoss(a, next);
      }
      assertThat(nextLoss).as("loss at step %d", t).isFinite().isLessThanOrEqualTo(loss);
      assertAllFinite(next);
      dampings.add(opt.damping());
      theta = next;
      loss = nextLoss;
    }
    System.out.printf("LM quadratic: loss %.3e -> %.3e, %d rejections, damping range [%.1e, %.1e]%n", initial, loss,
        rejections, dampings.first(), dampings.last());
    assertThat(rejections).isPositive();
    assertThat(dampings.size()).as("damping values visited").isGreaterThan(2);
    assertThat(loss).isLessThan(initial * 1e-3);
  }

  @Test
  void levenbergMarquardtOnLinearLeastSquaresSeesRhoNearOneAndLowersDamping() {
    long seed = 77;
    System.out.println("seed " + seed);
    SplittableRandom rng = new SplittableRandom(seed);
    int m = 40;
    int n = 5;
    double[][] x = new double[m][];
    double[] y = ShermanMorrisonTest.gaussian(rng, m);
    for (int i = 0; i < m; i++) {
      x[i] = ShermanMorrisonTest.gaussian(rng, n);
    }
    // L = (1/M) Σ (xᵢᵀθ − yᵢ)², g = (2/M) Xᵀr, G = (1/M) XᵀX (function metric), Gauss–Newton = 2G
    double[] gMat = new double[n * n];
    for (double[] row : x) {
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          gMat[i * n + j] += row[i] * row[j] / m;
        }
      }
    }
    double lambda0 = 1e-3;
    NaturalGradientConfig c = new NaturalGradientConfig(0.25, lambda0, DampingSchedule.LEVENBERG_MARQUARDT, 1, 2.0, false,
        L2Penalty.NONE);
    NaturalGradient opt = (NaturalGradient) c.create();
    double[] theta = new double[n];
    DenseMetricSolver metric = new DenseMetricSolver(gMat, n, false);
    double loss = lsLoss(x, y, theta);
    for (int t = 1; t <= 5; t++) {
      double[] grad = lsGrad(x, y, theta);
      double[] next = opt.step(new StepInput(t, theta, loss, grad, metric));
      if (t > 1) {
        assertThat(opt.lastRho()).as("rho judged at step %d", t).isCloseTo(1.0, within(1e-8));
      }
      double nextLoss = lsLoss(x, y, next);
      assertThat(opt.rejectLastStep(nextLoss)).isFalse();
      theta = next;
      loss = nextLoss;
    }
    assertThat(opt.damping()).isCloseTo(lambda0 * Math.pow(2.0 / 3.0, 4), within(1e-18));
  }

  @Test
  void rejectingANonFiniteLossRaisesDampingTenfold() {
    NaturalGradientConfig c = new NaturalGradientConfig(1.0, 1e-3, DampingSchedule.LEVENBERG_MARQUARDT, 1, 1.0, false,
        L2Penalty.NONE);
    Optimizer opt = c.create();
    DenseMetricSolver metric = new DenseMetricSolver(new double[] {2, 0, 0, 1}, 2, false);
    StepInput in = new StepInput(1, new double[] {1, 1}, 1.0, new double[] {0.5, 0.5}, metric);
    opt.step(in);
    assertThat(opt.rejectLastStep(Double.NaN)).isTrue();
    assertThat(opt.damping()).isCloseTo(1e-2, within(1e-17));
    assertThat(opt.rejectLastStep(Double.NaN)).as("nothing pending after a rejection").isFalse();
    opt.step(in);
    assertThat(opt.rejectLastStep(2.0)).isTrue();
    opt.step(in);
    assertThat(opt.rejectLastStep(0.5)).isFalse();
    // fixed schedule never rejects
    Optimizer fixed = NaturalGradientConfig.defaults().create();
    fixed.step(in);
    assertThat(fixed.rejectLastStep(Double.NaN)).isFalse();
  }

  static void assertAllFinite(double[] v) {
    for (int i = 0; i < v.length; i++) {
      assertThat(v[i]).as("entry %d", i).isFinite();
    }
  }

  static double quadLoss(double[] a, double[] theta) {
    int n = theta.length;
    double s = 0;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        s += theta[i] * a[i * n + j] * theta[j];
      }
    }
    return 0.5 * s;
  }

  static double[] quadGrad(double[] a, double[] theta) {
    int n = theta.length;
    double[] g = new double[n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        g[i] += a[i * n + j] * theta[j];
      }
    }
    return g;
  }

  static double lsLoss(double[][] x, double[] y, double[] theta) {
    double s = 0;
    for (int i = 0; i < x.length; i++) {
      double r = -y[i];
      for (int j = 0; j < theta.length; j++) {
        r += x[i][j] * theta[j];
      }
      s += r * r;
    }
    return s / x.length;
  }

  static double[] lsGrad(double[][] x, double[] y, double[] theta) {
    double[] g = new double[theta.length];
    for (int i = 0; i < x.length; i++) {
      double r = -y[i];
      for (int j = 0; j < theta.length; j++) {
        r += x[i][j] * theta[j];
      }
      for (int j = 0; j < theta.length; j++) {
        g[j] += 2 * r * x[i][j] / x.length;
      }
    }
    return g;
  }

  /**
   * With {@code --l2 λ₂} the Levenberg–Marquardt model predicts with the loss's true curvature
   * {@code c·G + 2λ₂I}: on an exactly quadratic loss {@code ½θᵀGθ − bᵀθ + λ₂‖θ‖²} (c = 1) the
   * predicted reduction equals the actual one, so ρ = 1 to rounding (1e-12); leaving the λ₂ term out
   * of the prediction would give ρ ≠ 1 (checked: 0.68 here).
   */
  @Test
  void levenbergMarquardtPredictsWithTheL2Curvature() {
    int n = 4;
    double l2 = 0.3;
    SplittableRandom rng = new SplittableRandom(41);
    double[] a = new double[n * n];
    for (int i = 0; i < a.length; i++) a[i] = rng.nextDouble(-1, 1);
    double[] g = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        for (int k = 0; k < n; k++) g[i * n + j] += a[k * n + i] * a[k * n + j];
      }
    }
    double[] b = {1.0, -2.0, 0.5, 0.25};
    NaturalGradientConfig c = new NaturalGradientConfig(1.0, 1e-2, DampingSchedule.LEVENBERG_MARQUARDT, 1, 1.0, false,
        L2Penalty.all(l2));
    NaturalGradient ngd = new NaturalGradient(c);
    DenseMetricSolver metric = new DenseMetricSolver(g, n, false);
    double[] theta0 = new double[n];
    double[] theta1 = ngd.step(new StepInput(1, theta0, quadratic(g, b, l2, theta0), quadraticGradient(g, b, l2, theta0), metric));
    ngd.step(new StepInput(2, theta1, quadratic(g, b, l2, theta1), quadraticGradient(g, b, l2, theta1), metric));
    assertThat(ngd.state().scalars().get("last_rho")).isCloseTo(1.0, within(1e-12));
  }

  /**
   * With coordinates the L2 term leaves out (biases), ngd solves {@code (G + (2λ₂/c)P + λI) x = g}
   * through the Woodbury identity on the metric's scalar-shift solves: checked against an LU solve of
   * the assembled matrix (commons-math3) to 1e-12 relative, for a rank-deficient G (rank 3 of 6, so
   * the unpenalised directions are held only by λ), over three steps that reuse the kept metric
   * ({@code --refresh-every 3}) with c = 2.
   */
  @Test
  void unpenalisedCoordinatesAreSolvedExactly() {
    int n = 6;
    double l2 = 0.2;
    double c = 2.0;
    double lambda = 1e-2;
    int[] unpenalised = {1, 4};
    SplittableRandom rng = new SplittableRandom(43);
    System.out.println("seed 43");
    double[] a = new double[3 * n];
    for (int i = 0; i < a.length; i++) a[i] = rng.nextDouble(-1, 1);
    double[] g = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        for (int k = 0; k < 3; k++) g[i * n + j] += a[k * n + i] * a[k * n + j];
      }
    }
    RealMatrix system = new Array2DRowRealMatrix(n, n);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) system.setEntry(i, j, g[i * n + j]);
      boolean penalised = i != 1 && i != 4;
      system.addToEntry(i, i, lambda + (penalised ? 2 * l2 / c : 0));
    }
    NaturalGradient ngd = new NaturalGradient(new NaturalGradientConfig(1.0, lambda, DampingSchedule.FIXED, 3, c, false,
        new L2Penalty(l2, unpenalised)));
    DenseMetricSolver metric = new DenseMetricSolver(g, n, false);
    double[] theta = new double[n];
    for (int t = 1; t <= 3; t++) {
      double[] grad = ShermanMorrisonTest.gaussian(rng, n);
      double[] next = ngd.step(new StepInput(t, theta, 1.0, grad, t == 1 ? metric : null));
      double[] expected = new org.apache.commons.math3.linear.LUDecomposition(system).getSolver()
          .solve(new ArrayRealVector(grad)).toArray();
      double err = 0;
      double norm = 0;
      for (int i = 0; i < n; i++) {
        double x = theta[i] - next[i];
        err += (x - expected[i]) * (x - expected[i]);
        norm += expected[i] * expected[i];
      }
      assertThat(Math.sqrt(err / norm)).as("step %d vs LU of G + (2λ₂/c)P + λI", t).isLessThan(1e-12);
      theta = next;
    }
  }

  /** ρ = 1 on an exactly quadratic loss whose L2 term leaves coordinates 0 and 2 out: LM predicts with 2λ₂P. */
  @Test
  void levenbergMarquardtPredictsWithTheCurvatureOfThePenalisedCoordinatesOnly() {
    int n = 4;
    double l2 = 0.3;
    int[] unpenalised = {0, 2};
    SplittableRandom rng = new SplittableRandom(44);
    double[] a = new double[n * n];
    for (int i = 0; i < a.length; i++) a[i] = rng.nextDouble(-1, 1);
    double[] g = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        for (int k = 0; k < n; k++) g[i * n + j] += a[k * n + i] * a[k * n + j];
      }
    }
    double[] b = {1.0, -2.0, 0.5, 0.25};
    double[] weights = {0, l2, 0, l2};
    NaturalGradient ngd = new NaturalGradient(new NaturalGradientConfig(1.0, 1e-2, DampingSchedule.LEVENBERG_MARQUARDT, 1,
        1.0, false, new L2Penalty(l2, unpenalised)));
    DenseMetricSolver metric = new DenseMetricSolver(g, n, false);
    double[] theta0 = new double[n];
    double[] theta1 = ngd.step(new StepInput(1, theta0, maskedQuadratic(g, b, weights, theta0),
        maskedQuadraticGradient(g, b, weights, theta0), metric));
    ngd.step(new StepInput(2, theta1, maskedQuadratic(g, b, weights, theta1), maskedQuadraticGradient(g, b, weights, theta1),
        metric));
    assertThat(ngd.state().scalars().get("last_rho")).isCloseTo(1.0, within(1e-12));
  }

  private static double maskedQuadratic(double[] g, double[] b, double[] l2, double[] theta) {
    int n = b.length;
    double s = 0;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) s += 0.5 * theta[i] * g[i * n + j] * theta[j];
      s += -b[i] * theta[i] + l2[i] * theta[i] * theta[i];
    }
    return s;
  }

  private static double[] maskedQuadraticGradient(double[] g, double[] b, double[] l2, double[] theta) {
    int n = b.length;
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) out[i] += g[i * n + j] * theta[j];
      out[i] += -b[i] + 2 * l2[i] * theta[i];
    }
    return out;
  }

  private static double quadratic(double[] g, double[] b, double l2, double[] theta) {
    int n = b.length;
    double s = 0;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) s += 0.5 * theta[i] * g[i * n + j] * theta[j];
      s += -b[i] * theta[i] + l2 * theta[i] * theta[i];
    }
    return s;
  }

  private static double[] quadraticGradient(double[] g, double[] b, double l2, double[] theta) {
    int n = b.length;
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) out[i] += g[i * n + j] * theta[j];
      out[i] += -b[i] + 2 * l2 * theta[i];
    }
    return out;
  }
}
