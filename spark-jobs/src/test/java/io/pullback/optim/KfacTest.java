package io.pullback.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.pullback.PullbackException;
import io.pullback.data.ExampleBlock;
import io.pullback.loss.Loss;
import io.pullback.loss.LossGradient;
import io.pullback.metric.FactorRows;
import io.pullback.metric.MetricKind;
import io.pullback.metric.aggregate.BlockData;
import io.pullback.metric.representation.KfacMetric;
import io.pullback.metric.representation.MetricRepresentation;
import io.pullback.metric.representation.RepresentationKind;
import io.pullback.metric.representation.RepresentationOptions;
import io.pullback.metric.representation.Representations;
import io.pullback.model.Activation;
import io.pullback.model.MlpModel;
import io.pullback.model.OutputDistribution;
import io.pullback.model.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.RealVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * K-FAC against independent references, without Spark: the running factors against the K-FAC
 * representation (and its weighted average by hand), the first step against the representation's
 * own Cholesky solve and a dense quadratic model, the (α, μ) choice against a direct 2×2 solve, and a
 * checkpointed run against an uninterrupted one, bit for bit.
 */
class KfacTest {
  @TempDir
  Path dir;

  /** A small sigmoid autoencoder-like problem: 5 inputs, 4-2-4 hidden (linear code), 5 Bernoulli outputs. */
  static final class Problem {
    final MlpModel model = new MlpModel(5, new int[] {4, 2, 4}, 5,
        new Activation[] {Activation.SIGMOID, Activation.LINEAR, Activation.SIGMOID}, OutputDistribution.BERNOULLI_LOGIT);
    final List<ExampleBlock> blocks = new ArrayList<>();
    final BlockData data;
    final FactorRows rows = new FactorRows(model, MetricKind.FISHER, 1, 0);
    final LossGradient lossGradient = new LossGradient(model, Loss.CROSS_ENTROPY);

    Problem(long seed) {
      SplittableRandom rng = new SplittableRandom(seed);
      for (int b = 0; b < 3; b++) blocks.add(TestModels.randomBlock(model, rng, b * 11L, 11, b == 1));
      data = BlockData.of(blocks);
    }

    double loss(double[] theta) {
      double l = 0;
      for (ExampleBlock b : blocks) l += lossGradient.lossOnly(theta, b);
      return l / data.weightSum();
    }

    double[] gradient(double[] theta) {
      double[] g = new double[theta.length];
      for (ExampleBlock b : blocks) lossGradient.accumulate(theta, b, g);
      for (int i = 0; i < g.length; i++) g[i] /= data.weightSum();
      return g;
    }

    KfacMetric factors(double[] theta) {
      return (KfacMetric) Representations.build(RepresentationKind.KFAC, data, rows, theta, RepresentationOptions.defaults());
    }

    StepInput input(int t, double[] theta) {
      return new StepInput(t, theta, loss(theta), gradient(theta), factors(theta),
          (u, v) -> Representations.gramForms(data, rows, theta, u, v));
    }

    /** Steps from..to with the driver protocol (acceptedStep with the loss oracle). */
    double[] drive(Optimizer opt, double[] theta, int from, int to) {
      for (int t = from; t <= to; t++) theta = opt.acceptedStep(input(t, theta), this::loss);
      return theta;
    }
  }

  static Kfac kfac(double damping, double decay, int inverseEvery, int dampingEvery) {
    return (Kfac) new KfacConfig(damping, decay, inverseEvery, dampingEvery, 1.0).create();
  }

  @Test
  void withDecayZeroTheFactorsAreTheRepresentationsOfTheBatch() {
    long seed = 3;
    System.out.println("seed " + seed);
    Problem pr = new Problem(seed);
    Kfac opt = kfac(0.1, 0.0, 1, 5);
    double[] theta = TestModels.randomTheta(pr.model, seed);
    for (int t = 1; t <= 3; t++) {
      KfacMetric batch = pr.factors(theta);
      theta = opt.acceptedStep(pr.input(t, theta), pr::loss);
      for (int l = 0; l < batch.layers(); l++) {
        assertThat(opt.averageA(l)).as("step %d layer %d A", t, l).containsExactly(batch.factorA(l));
        assertThat(opt.averageS(l)).as("step %d layer %d S", t, l).containsExactly(batch.factorS(l));
      }
    }
  }

  /** ε_t = min(1 − 1/t, ε_max): step 1 the batch's factors, step 2 the mean of two, step 3 ε = 0.6 (ε_max). */
  @Test
  void runningAveragesUseTheDecayOfThePaper() {
    long seed = 4;
    System.out.println("seed " + seed);
    Problem pr = new Problem(seed);
    Kfac opt = kfac(0.1, 0.6, 20, 5);
    double[] theta = TestModels.randomTheta(pr.model, seed);
    List<KfacMetric> seen = new ArrayList<>();
    for (int t = 1; t <= 3; t++) {
      seen.add(pr.factors(theta));
      theta = opt.acceptedStep(pr.input(t, theta), pr::loss);
    }
    for (int l = 0; l < seen.get(0).layers(); l++) {
      double[] a1 = seen.get(0).factorA(l);
      double[] a2 = seen.get(1).factorA(l);
      double[] a3 = seen.get(2).factorA(l);
      double[] avg = opt.averageA(l);
      for (int i = 0; i < avg.length; i++) {
        double expected = 0.6 * (0.5 * a1[i] + 0.5 * a2[i]) + 0.4 * a3[i];
        // Two roundings of O(1) values: 1e-15 relative.
        assertThat(avg[i]).isCloseTo(expected, within(1e-15 * Math.max(1, Math.abs(expected))));
      }
    }
  }

  /**
   * Step 1: the direction is −(the representation's damped K-FAC solve), here by Cholesky, and α
   * minimises the quadratic model along it with the dense exact Fisher (a second algorithm for
   * the curvature forms): {@code α = −gᵀΔ / (ΔᵀGΔ + λ ΔᵀΔ)}.
   */
  @ParameterizedTest(name = "λ={0}")
  @ValueSource(doubles = {1e-3, 0.5, 20})
  void firstStepIsTheDampedKfacDirectionScaledByTheQuadraticModel(double lambda) {
    long seed = 5;
    System.out.println("seed " + seed);
    Problem pr = new Problem(seed);
    double[] theta = TestModels.randomTheta(pr.model, seed);
    double[] g = pr.gradient(theta);
    double[] delta = pr.factors(theta).solve(g, lambda);
    for (int i = 0; i < delta.length; i++) delta[i] = -delta[i];
    MetricRepresentation dense = Representations.build(RepresentationKind.DENSE, pr.data, pr.rows, theta, RepresentationOptions.defaults());
    double gdd = dense.vTMv(delta);
    double alpha = -dot(g, delta) / (gdd + lambda * dot(delta, delta));
    Kfac opt = kfac(lambda, 0.95, 20, 5);
    double[] next = opt.step(pr.input(1, theta));
    assertThat(opt.learningRate()).isCloseTo(alpha, within(1e-9 * Math.abs(alpha)));
    assertThat(opt.momentum()).isEqualTo(0.0);
    for (int i = 0; i < theta.length; i++) {
      // Eigendecomposition against Cholesky on factors of condition up to ~1e4: 1e-9 relative to the step.
      assertThat(next[i] - theta[i]).as("entry %d", i).isCloseTo(alpha * delta[i], within(1e-9 * norm(delta) * Math.abs(alpha)));
    }
  }

  /** Diagonal coefficients (fisher, function) and full ones (mc-fisher, empirical-fisher) against the dense metric. */
  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.EnumSource(MetricKind.class)
  void gramFormsEqualTheDenseMetricsQuadraticForms(MetricKind kind) {
    long seed = 6;
    System.out.println("seed " + seed + " " + kind);
    Problem pr = new Problem(seed);
    FactorRows rows = new FactorRows(pr.model, kind, 2, seed);
    double[] theta = TestModels.randomTheta(pr.model, seed);
    SplittableRandom rng = new SplittableRandom(seed);
    double[] u = new double[theta.length];
    double[] v = new double[theta.length];
    for (int i = 0; i < u.length; i++) {
      u[i] = rng.nextGaussian();
      v[i] = rng.nextGaussian();
    }
    MetricRepresentation dense = Representations.build(RepresentationKind.DENSE, pr.data, rows, theta, RepresentationOptions.defaults());
    double[] forms = Representations.gramForms(pr.data, rows, theta, u, v);
    assertThat(forms[0]).isCloseTo(dense.vTMv(u), within(1e-12 * dense.vTMv(u)));
    assertThat(forms[1]).isCloseTo(dot(u, dense.mv(v)), within(1e-12 * Math.sqrt(dense.vTMv(u) * dense.vTMv(v))));
    assertThat(forms[2]).isCloseTo(dense.vTMv(v), within(1e-12 * dense.vTMv(v)));
  }

  /** (α, μ) against commons-math's LU solve of the 2×2 system, on seeded random SPD curvatures. */
  @ParameterizedTest(name = "seed={0}")
  @ValueSource(longs = {11, 12, 13, 14, 15})
  void stepCoefficientsEqualADirect2x2Solve(long seed) {
    System.out.println("seed " + seed);
    SplittableRandom rng = new SplittableRandom(seed);
    int n = 6;
    double[][] r = new double[9][n];
    for (double[] row : r) for (int j = 0; j < n; j++) row[j] = rng.nextGaussian();
    double[] delta = gaussian(rng, n);
    double[] prev = gaussian(rng, n);
    double[] g = gaussian(rng, n);
    double c = rng.nextBoolean() ? 1.0 : 2.0;
    double lambda = rng.nextDouble(1e-3, 3);
    // G = RᵀR / 9: the forms by explicit sums.
    double[] forms = new double[3];
    for (double[] row : r) {
      double ru = dot(row, delta);
      double rv = dot(row, prev);
      forms[0] += ru * ru / 9;
      forms[1] += ru * rv / 9;
      forms[2] += rv * rv / 9;
    }
    double[] coef = Kfac.solveStep(forms, dot(delta, delta), dot(delta, prev), dot(prev, prev), dot(g, delta), dot(g, prev), c, lambda);
    double[][] m = {
        {c * forms[0] + lambda * dot(delta, delta), c * forms[1] + lambda * dot(delta, prev)},
        {c * forms[1] + lambda * dot(delta, prev), c * forms[2] + lambda * dot(prev, prev)}};
    RealVector x = new LUDecomposition(new Array2DRowRealMatrix(m)).getSolver()
        .solve(new ArrayRealVector(new double[] {-dot(g, delta), -dot(g, prev)}));
    assertThat(coef[0]).isCloseTo(x.getEntry(0), within(1e-10 * Math.max(1, Math.abs(x.getEntry(0)))));
    assertThat(coef[1]).isCloseTo(x.getEntry(1), within(1e-10 * Math.max(1, Math.abs(x.getEntry(1)))));
    // q: the undamped model ½ c δᵀGδ + gᵀδ at δ = αΔ + μδ₀, by explicit sums.
    double[] step = new double[n];
    for (int i = 0; i < n; i++) step[i] = coef[0] * delta[i] + coef[1] * prev[i];
    double quad = 0;
    for (double[] row : r) quad += Math.pow(dot(row, step), 2) / 9;
    double q = 0.5 * c * quad + dot(g, step);
    assertThat(coef[2]).isCloseTo(q, within(1e-10 * Math.max(1, Math.abs(q))));
    // Without a previous update: μ = 0 and α the 1-D minimiser.
    double[] one = Kfac.solveStep(forms, dot(delta, delta), 0, 0, dot(g, delta), 0, c, lambda);
    assertThat(one[1]).isEqualTo(0.0);
    assertThat(one[0]).isCloseTo(-dot(g, delta) / m[0][0], within(1e-12 * Math.abs(one[0])));
  }

  @Test
  void aRestoredRunContinuesBitForBit() {
    long seed = 7;
    System.out.println("seed " + seed);
    Problem pr = new Problem(seed);
    double[] theta0 = TestModels.randomTheta(pr.model, seed);
    // T₃ = 3 and T₁ = 2: the restore at step 4 falls between refreshes, with a damping adaptation due at 6.
    Kfac straight = kfac(0.3, 0.9, 3, 2);
    double[] expected = pr.drive(straight, theta0.clone(), 1, 8);
    Kfac first = kfac(0.3, 0.9, 3, 2);
    double[] mid = pr.drive(first, theta0.clone(), 1, 4);
    Checkpoint.write(dir, new CheckpointData(4, mid, first.state(), seed, 4, first.damping()));
    CheckpointData back = Checkpoint.read(dir);
    Kfac resumed = kfac(0.3, 0.9, 3, 2);
    resumed.restore(back.optimizer());
    double[] actual = pr.drive(resumed, back.theta(), 5, 8);
    for (int i = 0; i < expected.length; i++) {
      assertThat(Double.doubleToRawLongBits(actual[i])).as("entry %d: %s vs %s", i, actual[i], expected[i])
          .isEqualTo(Double.doubleToRawLongBits(expected[i]));
    }
    assertThat(resumed.damping()).isEqualTo(straight.damping());
    assertThat(straight.lastRho()).isFinite();
    assertThat(pr.loss(expected)).isLessThan(pr.loss(theta0));
  }

  @Test
  void settingsAreCheckedAndTheFactorsAreRequired() {
    assertThatThrownBy(() -> new KfacConfig(0, 0.95, 20, 5, 1)).isInstanceOf(PullbackException.class)
        .hasMessageContaining("damping must be > 0");
    assertThatThrownBy(() -> new KfacConfig(1, 1.0, 20, 5, 1)).hasMessageContaining("kfacDecay must be in [0, 1)");
    assertThatThrownBy(() -> new KfacConfig(1, 0.5, 0, 5, 1)).hasMessageContaining("inverseEvery must be >= 1");
    assertThatThrownBy(() -> new KfacConfig(1, 0.5, 2, 0, 1)).hasMessageContaining("dampingEvery must be >= 1");
    Kfac opt = kfac(1, 0.5, 2, 2);
    assertThatThrownBy(() -> opt.step(new StepInput(1, new double[2], 0, new double[2], null)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("K-FAC factors");
  }

  static double[] gaussian(SplittableRandom rng, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) v[i] = rng.nextGaussian();
    return v;
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  }

  static double norm(double[] a) {
    return Math.sqrt(dot(a, a));
  }
}
