package io.pullback.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pullback.PullbackException;
import io.pullback.cli.Flags;
import io.pullback.data.ExampleBlock;
import io.pullback.model.Model;
import io.pullback.model.ModelSpec;
import io.pullback.model.Models;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Loss values against direct formulas and gradients against central finite differences. */
class LossGradientTest {

  static Stream<Arguments> models() {
    return Stream.of(
        Arguments.of(ModelSpec.logistic(3), 2),
        Arguments.of(ModelSpec.softmax(3, 4), 4),
        Arguments.of(ModelSpec.mlp(3, new int[] {5}, 2, "tanh"), 0),
        Arguments.of(ModelSpec.mlp(3, new int[] {4, 2}, 3, "sigmoid,linear", "bernoulli"), -1),
        Arguments.of(ModelSpec.linearBasis(2, 1, "legendre", 3), 0));
  }

  static ExampleBlock block(long seed, Model m, int classes) {
    SplittableRandom rng = new SplittableRandom(seed);
    int b = 13;
    int d = m.inputDim();
    int labelDim = classes <= 0 ? m.outputDim() : 1; // 0: Gaussian targets, −1: Bernoulli targets in [0, 1]
    double[] x = new double[b * d];
    double[] y = new double[b * labelDim];
    double[] w = new double[b];
    for (int i = 0; i < x.length; i++) x[i] = rng.nextDouble(-1, 1);
    for (int i = 0; i < y.length; i++) {
      y[i] = classes == 0 ? rng.nextGaussian() : classes < 0 ? rng.nextDouble() : rng.nextInt(classes);
    }
    for (int i = 0; i < b; i++) w[i] = rng.nextDouble(0.1, 2);
    return new ExampleBlock(0, b, d, labelDim, x, y, w);
  }

  @ParameterizedTest
  @MethodSource("models")
  void gradientEqualsCentralFiniteDifferences(ModelSpec spec, int classes) {
    long seed = 42;
    System.out.println("seed " + seed + " " + spec);
    Model m = Models.create(spec);
    ExampleBlock block = block(seed, m, classes);
    LossGradient lg = new LossGradient(m, Loss.defaultFor(m));
    double[] theta = m.initialParams(seed);
    double[] grad = new double[m.numParams()];
    double l = lg.accumulate(theta, block, grad);
    assertThat(l).isEqualTo(lg.lossOnly(theta, block), org.assertj.core.api.Assertions.within(1e-12 * Math.abs(l)));
    for (int j = 0; j < theta.length; j++) {
      double h = 1e-5;
      double[] plus = theta.clone();
      double[] minus = theta.clone();
      plus[j] += h;
      minus[j] -= h;
      double fd = (lg.lossOnly(plus, block) - lg.lossOnly(minus, block)) / (2 * h);
      // Central differences: O(h²) truncation ≈ 1e-10 and rounding ≈ 1e-16/h ≈ 1e-11.
      assertThat(grad[j]).as("parameter %d", j).isCloseTo(fd, org.assertj.core.api.Assertions.within(1e-6 * Math.max(1, Math.abs(fd))));
    }
  }

  /** K Bernoulli outputs with soft targets: −Σ_k [y_k log p_k + (1 − y_k) log(1 − p_k)], written out. */
  @Test
  void bernoulliLossOfSeveralOutputsIsTheBinaryCrossEntropy() {
    Model m = Models.create(ModelSpec.mlp(1, new int[0], 2, "tanh", "bernoulli")); // f = W x + b, W 2×1
    double[] theta = {1.5, -2.0, 0.25, 0.5};
    ExampleBlock one = new ExampleBlock(0, 1, 1, 2, new double[] {0.8}, new double[] {0.3, 1.0}, null);
    double z1 = 1.5 * 0.8 + 0.25;
    double z2 = -2.0 * 0.8 + 0.5;
    double p1 = 1 / (1 + Math.exp(-z1));
    double p2 = 1 / (1 + Math.exp(-z2));
    double expected = -(0.3 * Math.log(p1) + 0.7 * Math.log(1 - p1)) - Math.log(p2);
    assertThat(new LossGradient(m, Loss.CROSS_ENTROPY).lossOnly(theta, one))
        .isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-14));
  }

  @Test
  void lossValuesMatchTheirDefinitions() {
    Model logistic = Models.create(ModelSpec.logistic(1));
    double[] theta = {2.0, -1.0}; // z = 2x − 1
    ExampleBlock one = new ExampleBlock(0, 2, 1, 1, new double[] {1.0, 0.0}, new double[] {1, 0}, null);
    double z1 = 1.0;
    double z2 = -1.0;
    double expected = -Math.log(1 / (1 + Math.exp(-z1))) - Math.log(1 - 1 / (1 + Math.exp(-z2)));
    assertThat(new LossGradient(logistic, Loss.CROSS_ENTROPY).lossOnly(theta, one)).isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-14));

    Model lin = Models.create(ModelSpec.linearBasis(1, 1, "monomial", 1)); // f = a + b t
    ExampleBlock pts = new ExampleBlock(0, 2, 1, 1, new double[] {0.5, -1.0}, new double[] {1.0, 2.0}, null);
    double[] ab = {0.25, 2.0};
    double r1 = 0.25 + 2.0 * 0.5 - 1.0;
    double r2 = 0.25 - 2.0 - 2.0;
    assertThat(new LossGradient(lin, Loss.MSE).lossOnly(ab, pts)).isCloseTo(r1 * r1 + r2 * r2, org.assertj.core.api.Assertions.within(1e-14));
  }

  @Test
  void incompatibleLossIsAUsageError() {
    Model softmax = Models.create(ModelSpec.softmax(2, 3));
    assertThatThrownBy(() -> Loss.parse("mse", softmax)).isInstanceOf(PullbackException.class).satisfies(e -> assertThat(Flags.message((PullbackException) e)).contains("--loss mse"));
    assertThatThrownBy(() -> Loss.parse("hinge", softmax)).isInstanceOf(PullbackException.class).hasMessageContaining("valid: mse, cross-entropy");
  }

  /** An empty block (a mini-batch sample that kept none of its rows) adds no squared error: not the previous block's again. */
  @Test
  void emptyBlockHasNoSquaredError() {
    Model m = Models.create(ModelSpec.mlp(3, new int[] {4, 2}, 3, "sigmoid,linear", "bernoulli"));
    LossGradient lg = new LossGradient(m, Loss.defaultFor(m));
    double[] theta = m.initialParams(1);
    double[] grad = new double[m.numParams()];
    lg.accumulate(theta, block(3, m, -1), grad);
    assertThat(lg.squaredErrorSum()).isPositive();
    lg.accumulate(theta, block(3, m, -1).slice(0, 0), grad);
    assertThat(lg.squaredErrorSum()).isZero();
  }

  /**
   * Loss and correct count in one pass: the loss is {@link LossGradient#lossOnly}'s, and the count the
   * weight of the examples whose largest softmax output (one logistic output: f &gt; 0) is their label,
   * counted here from the model's own outputs.
   */
  @Test
  void lossAndCorrectCountsTheRightPredictions() {
    for (Object[] c : new Object[][] {{ModelSpec.softmax(3, 4), 4}, {ModelSpec.logistic(3), 2}}) {
      Model m = Models.create((ModelSpec) c[0]);
      int classes = (Integer) c[1];
      ExampleBlock block = block(7, m, classes);
      LossGradient lg = new LossGradient(m, Loss.defaultFor(m));
      double[] theta = m.initialParams(5);
      double[] f = new double[block.rows() * m.outputDim()];
      m.forward(theta, block, f);
      double expected = 0;
      for (int e = 0; e < block.rows(); e++) {
        int predicted;
        if (m.outputDim() == 1) {
          predicted = f[e] > 0 ? 1 : 0;
        } else {
          predicted = 0;
          for (int j = 1; j < m.outputDim(); j++) if (f[e * m.outputDim() + j] > f[e * m.outputDim() + predicted]) predicted = j;
        }
        if (predicted == (int) block.label(e)) expected += block.weight(e);
      }
      double[] lc = lg.lossAndCorrect(theta, block);
      assertThat(lg.hasAccuracy()).isTrue();
      assertThat(lc[0]).isEqualTo(lg.lossOnly(theta, block));
      assertThat(lc[1]).isEqualTo(expected, org.assertj.core.api.Assertions.within(1e-12));
      assertThat(lc[1]).isGreaterThan(0).isLessThan(block.weightSum());
    }
  }
}
