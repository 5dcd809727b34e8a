package io.pullback.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.pullback.data.ExampleBlock;
import java.util.SplittableRandom;
import org.apache.commons.math3.analysis.polynomials.PolynomialFunction;
import org.apache.commons.math3.analysis.polynomials.PolynomialsUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Parameter layouts (DESIGN.md section 3), basis order and values, initialisation and the factory. */
class ModelLayoutTest {

  @Test
  void softmaxBiasIsLastColumnOfEachRow() {
    long seed = 11;
    System.out.println("seed " + seed);
    SoftmaxModel m = new SoftmaxModel(4, 3);
    double[] theta = TestModels.randomTheta(m, seed);
    ExampleBlock block = TestModels.randomBlock(m, new SplittableRandom(seed), 0, 5, false);
    double[] base = new double[15];
    m.forward(theta, block, base);
    for (int k = 0; k < 3; k++) {
      double[] t = theta.clone();
      t[k * 5 + 4] += 0.75; // bias of class k
      double[] out = new double[15];
      m.forward(t, block, out);
      for (int b = 0; b < 5; b++) {
        for (int c = 0; c < 3; c++) {
          // Exactly: z + 0.75 rounds identically; other logits are recomputed bit-for-bit.
          double expected = c == k ? base[b * 3 + c] + 0.75 : base[b * 3 + c];
          assertThat(out[b * 3 + c]).isCloseTo(expected, within(1e-15));
        }
      }
      // weight of feature j for class k: logit k moves by 0.5·x_j, the others not at all
      t = theta.clone();
      t[k * 5 + 2] += 0.5;
      m.forward(t, block, out);
      for (int b = 0; b < 5; b++) {
        for (int c = 0; c < 3; c++) {
          double expected = c == k ? base[b * 3 + c] + 0.5 * block.feature(b, 2) : base[b * 3 + c];
          assertThat(out[b * 3 + c]).isCloseTo(expected, within(1e-14));
        }
      }
    }
  }

  @Test
  void logisticIsWeightsThenBias() {
    LogisticModel m = new LogisticModel(3);
    double[] theta = {0.5, -2.0, 1.5, 0.25};
    ExampleBlock block = ExampleBlock.of(0, 3, new double[] {1, 2, 3, -1, 0, 0.5}, new double[] {0, 1});
    double[] out = new double[2];
    m.forward(theta, block, out);
    assertThat(out[0]).isEqualTo(0.5 - 4.0 + 4.5 + 0.25);
    assertThat(out[1]).isEqualTo(-0.5 + 0.75 + 0.25);
  }

  @Test
  void mlpLayoutMatchesNaivePerExampleForward() {
    for (Activation act : Activation.values()) {
      long seed = 21 + act.ordinal();
      System.out.println("seed " + seed + " " + act);
      MlpModel m = new MlpModel(3, new int[] {6, 4}, 2, act);
      assertThat(m.numParams()).isEqualTo(4 * 6 + 7 * 4 + 5 * 2);
      assertThat(m.weightOffset(2)).isEqualTo(24);
      assertThat(m.biasOffset(2)).isEqualTo(24 + 24);
      double[] theta = TestModels.randomTheta(m, seed);
      ExampleBlock block = TestModels.randomBlock(m, new SplittableRandom(seed), 0, 13, false);
      double[] out = new double[26];
      m.forward(theta, block, out);
      for (int b = 0; b < 13; b++) {
        double[] x = {block.feature(b, 0), block.feature(b, 1), block.feature(b, 2)};
        double[] f = TestModels.naiveMlp(m.widths(), act.cliName(), theta, x, null);
        // Tolerance 1e-12: same maths, different summation order (BLAS) on O(1) values.
        assertThat(out[b * 2]).isCloseTo(f[0], within(1e-12));
        assertThat(out[b * 2 + 1]).isCloseTo(f[1], within(1e-12));
      }
    }
  }

  /** Per-layer activations (sigmoid, linear code layer, relu) against the naive forward with the same list. */
  @Test
  void mlpPerLayerActivationsMatchNaiveForward() {
    long seed = 41;
    System.out.println("seed " + seed);
    Model m = Models.create(ModelSpec.mlp(3, new int[] {6, 2, 5}, 3, "sigmoid,linear,relu", "bernoulli"));
    assertThat(m.parameterLayout()).contains("sigmoid,linear,relu hidden");
    double[] theta = TestModels.randomTheta(m, seed);
    ExampleBlock block = TestModels.randomBlock(m, new SplittableRandom(seed), 0, 9, false);
    double[] out = new double[27];
    m.forward(theta, block, out);
    for (int b = 0; b < 9; b++) {
      double[] x = {block.feature(b, 0), block.feature(b, 1), block.feature(b, 2)};
      double[] f = TestModels.naiveMlp(((MlpModel) m).widths(), "sigmoid,linear,relu", theta, x, null);
      for (int k = 0; k < 3; k++) assertThat(out[b * 3 + k]).isCloseTo(f[k], within(1e-12));
    }
    // One name applies to every hidden layer.
    assertThat(((MlpModel) Models.create(ModelSpec.mlp(3, new int[] {4, 4}, 1, "sigmoid"))).activations())
        .containsExactly(Activation.SIGMOID, Activation.SIGMOID);
  }

  @Test
  void bernoulliWithSeveralOutputsTakesOneLabelInZeroOnePerOutput() {
    assertThat(OutputDistribution.BERNOULLI_LOGIT.labelDim(4)).isEqualTo(4);
    assertThat(OutputDistribution.BERNOULLI_LOGIT.checkLabel(new double[] {0, 0.25, 1}, 3)).isNull();
    assertThat(OutputDistribution.BERNOULLI_LOGIT.checkLabel(new double[] {0, 1.5, 1}, 3))
        .contains("label value 1 is 1.5").contains("[0, 1]");
    assertThat(OutputDistribution.BERNOULLI_LOGIT.checkLabel(new double[] {0, 1}, 3)).contains("needs 3 label values");
    assertThat(OutputDistribution.BERNOULLI_LOGIT.checkLabel(0.0, 3)).contains("needs 3 label values");
  }

  @Test
  void mlpInitialisationHasFanInVarianceAndZeroBiases() {
    MlpModel m = new MlpModel(100, new int[] {200}, 3, Activation.TANH);
    double[] theta = m.initialParams(5);
    double sum2 = 0;
    for (int p = 0; p < m.biasOffset(1); p++) sum2 += theta[p] * theta[p];
    // 20000 draws of N(0, 1/100): sample variance within 5% (its sd is √(2/20000) ≈ 1% relative)
    assertThat(sum2 / m.biasOffset(1)).isCloseTo(0.01, within(0.0005));
    for (int o = 0; o < 200; o++) assertThat(theta[m.biasOffset(1) + o]).isZero();
    for (int o = 0; o < 3; o++) assertThat(theta[m.biasOffset(2) + o]).isZero();
  }

  @Test
  void gradedLexOrderAndCounts() {
    LinearBasisModel m = new LinearBasisModel(BasisFamily.MONOMIAL, 2, 1, 2);
    assertThat(m.multiIndices()).isDeepEqualTo(new int[][] {{0, 0}, {1, 0}, {0, 1}, {2, 0}, {1, 1}, {0, 2}});
    // C(d+D, D)
    assertThat(new LinearBasisModel(BasisFamily.LEGENDRE, 3, 1, 4).basisSize()).isEqualTo(35);
    assertThat(new LinearBasisModel(BasisFamily.LEGENDRE, 1, 1, 0).basisSize()).isEqualTo(1);
    // Fourier 1-D: index n has degree ceil(n/2): degree 2 → indices 0..4
    LinearBasisModel f1 = new LinearBasisModel(BasisFamily.FOURIER, 1, 1, 2);
    assertThat(f1.multiIndices()).isDeepEqualTo(new int[][] {{0}, {1}, {2}, {3}, {4}});
    LinearBasisModel f2 = new LinearBasisModel(BasisFamily.FOURIER, 2, 1, 1);
    assertThat(f2.multiIndices()).isDeepEqualTo(new int[][] {{0, 0}, {1, 0}, {2, 0}, {0, 1}, {0, 2}});
    assertThat(new LinearBasisModel(BasisFamily.FOURIER, 2, 1, 2).basisSize()).isEqualTo(13);
  }

  /** Basis values against an independent evaluation (commons-math3 Legendre coefficients, Math.pow, cos/sin). */
  @ParameterizedTest
  @EnumSource(BasisFamily.class)
  void basisValuesMatchIndependentFormulaAndLayout(BasisFamily family) {
    long seed = 31 + family.ordinal();
    System.out.println("seed " + seed + " " + family);
    LinearBasisModel m = new LinearBasisModel(family, 2, 2, 3);
    int mCount = m.basisSize();
    int[][] idx = m.multiIndices();
    ExampleBlock block = TestModels.randomBlock(m, new SplittableRandom(seed), 0, 6, false);
    double[] phi = m.designMatrix(block);
    for (int b = 0; b < 6; b++) {
      for (int i = 0; i < mCount; i++) {
        double v = 1;
        for (int d = 0; d < 2; d++) v *= oneD(family, idx[i][d], block.feature(b, d));
        // Tolerance: recurrence vs expanded coefficients for degree ≤ 6, values O(10).
        assertThat(phi[i * 6 + b]).as("basis %d example %d", i, b).isCloseTo(v, within(1e-12));
      }
    }
    // θ[k·M + m] multiplies basis m in output k
    double[] theta = TestModels.randomTheta(m, seed);
    double[] base = new double[12];
    m.forward(theta, block, base);
    int basis = mCount - 2;
    theta[mCount + basis] += 1.0;
    double[] out = new double[12];
    m.forward(theta, block, out);
    for (int b = 0; b < 6; b++) {
      assertThat(out[b * 2]).isEqualTo(base[b * 2]);
      assertThat(out[b * 2 + 1] - base[b * 2 + 1]).isCloseTo(phi[basis * 6 + b], within(1e-12));
    }
  }

  static double oneD(BasisFamily family, int n, double t) {
    switch (family) {
      case MONOMIAL: return Math.pow(t, n);
      case LEGENDRE: {
        PolynomialFunction p = PolynomialsUtils.createLegendrePolynomial(n);
        return Math.sqrt(2 * n + 1.0) * p.value(t);
      }
      case FOURIER: {
        if (n == 0) return 1;
        int k = (n + 1) / 2;
        return Math.sqrt(2) * (n % 2 == 1 ? Math.cos(Math.PI * k * t) : Math.sin(Math.PI * k * t));
      }
      default: throw new AssertionError();
    }
  }

  @Test
  void factoryBuildsEveryKind() {
    assertThat(Models.create(ModelSpec.linearBasis(2, 1, "legendre", 3))).isInstanceOf(LinearBasisModel.class)
        .extracting(Model::numParams).isEqualTo(10);
    assertThat(Models.create(ModelSpec.logistic(4)).numParams()).isEqualTo(5);
    assertThat(Models.create(ModelSpec.softmax(4, 3)).numParams()).isEqualTo(15);
    Model mlp = Models.create(ModelSpec.mlp(3, new int[] {5, 4}, 2, "gelu"));
    assertThat(mlp.numParams()).isEqualTo(4 * 5 + 6 * 4 + 5 * 2);
    assertThat(mlp.distribution()).isEqualTo(OutputDistribution.GAUSSIAN);
    assertThat(Models.create(ModelSpec.mlp(3, new int[] {5}, 4, "relu", "categorical")).distribution())
        .isEqualTo(OutputDistribution.CATEGORICAL_SOFTMAX);
    assertThat(ModelSpec.mlp(3, new int[] {5}, 2, "tanh")).isEqualTo(ModelSpec.mlp(3, new int[] {5}, 2, "tanh"));
  }

  @Test
  void factoryRejectsInvalidSpecsWithHelpfulMessages() {
    assertThatThrownBy(() -> Models.create(ModelSpec.mlp(3, new int[] {5}, 2, "softsign")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("activation")
        .hasMessageContaining("softsign").hasMessageContaining("tanh, relu, gelu, sigmoid, linear");
    assertThatThrownBy(() -> Models.create(ModelSpec.mlp(3, new int[] {5, 4, 3}, 2, "sigmoid,linear")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 names (sigmoid,linear) for 3 hidden layers")
        .hasMessageContaining("one per hidden layer");
    assertThatThrownBy(() -> Models.create(ModelSpec.linearBasis(2, 1, "legendre", -1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("degree").hasMessageContaining("-1");
    assertThatThrownBy(() -> Models.create(ModelSpec.linearBasis(2, 1, "chebyshev", 2)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("basis")
        .hasMessageContaining("chebyshev").hasMessageContaining("monomial, legendre, fourier");
    assertThatThrownBy(() -> Models.create(ModelSpec.softmax(2, 1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("softmax").hasMessageContaining("got 1")
        .hasMessageContaining(">= 2");
    assertThatThrownBy(() -> Models.create(new ModelSpec("svm", 2, 1, null, 0, null, null, null)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("svm")
        .hasMessageContaining("linear-basis, logistic, softmax, mlp");
    assertThatThrownBy(() -> Models.create(ModelSpec.logistic(0)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("inputDim");
    assertThatThrownBy(() -> Models.create(ModelSpec.mlp(3, new int[] {5, 0}, 2, "tanh")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hidden width 2");
    assertThatThrownBy(() -> Models.create(ModelSpec.mlp(3, new int[] {5}, 2, "tanh", "poisson")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("poisson").hasMessageContaining("gaussian");
    assertThatThrownBy(() -> Models.create(new ModelSpec("logistic", 2, 3, null, 0, null, null, null)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("softmax");
  }

  @Test
  void modelsRejectMismatchedThetaAndBlocks() {
    LogisticModel m = new LogisticModel(3);
    ExampleBlock block = ExampleBlock.of(0, 2, new double[] {1, 2}, new double[] {0});
    assertThatThrownBy(() -> m.forward(new double[4], block, new double[1]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("D = 3");
    ExampleBlock ok = ExampleBlock.of(0, 3, new double[] {1, 2, 3}, new double[] {0});
    assertThatThrownBy(() -> m.forward(new double[3], ok, new double[1]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("N = 4");
  }

  @ParameterizedTest
  @ValueSource(doubles = {0.0, 1.0})
  void bernoulliLabels(double y) {
    assertThat(OutputDistribution.BERNOULLI_LOGIT.checkLabel(y, 1)).isNull();
  }

  @Test
  void checkLabelMessages() {
    assertThat(OutputDistribution.BERNOULLI_LOGIT.checkLabel(-1, 1)).contains("-1.0").contains("0 or 1");
    assertThat(OutputDistribution.BERNOULLI_LOGIT.checkLabel(0.5, 1)).contains("0 or 1");
    assertThat(OutputDistribution.CATEGORICAL_SOFTMAX.checkLabel(2, 3)).isNull();
    assertThat(OutputDistribution.CATEGORICAL_SOFTMAX.checkLabel(3, 3)).contains("0..2");
    assertThat(OutputDistribution.CATEGORICAL_SOFTMAX.checkLabel(1.5, 3)).contains("integers 0..2");
    assertThat(OutputDistribution.CATEGORICAL_SOFTMAX.checkLabel(-1, 3)).contains("integers 0..2");
    assertThat(OutputDistribution.GAUSSIAN.checkLabel(-3.5, 1)).isNull();
    assertThat(OutputDistribution.GAUSSIAN.checkLabel(Double.NaN, 1)).contains("finite");
    assertThat(OutputDistribution.GAUSSIAN.checkLabel(Double.POSITIVE_INFINITY, 1)).contains("finite");
    assertThat(OutputDistribution.GAUSSIAN.checkLabel(new double[] {1, 2}, 2)).isNull();
    assertThat(OutputDistribution.GAUSSIAN.checkLabel(new double[] {1}, 2)).contains("needs 2");
    assertThat(OutputDistribution.GAUSSIAN.checkLabel(new double[] {1, Double.NaN}, 2)).contains("finite");
    assertThat(OutputDistribution.CATEGORICAL_SOFTMAX.checkLabel(new double[] {1}, 2)).isNull();
    assertThat(OutputDistribution.CATEGORICAL_SOFTMAX.checkLabel(new double[] {1, 0}, 2)).contains("exactly 1");
  }

  @Test
  void geluMatchesDefinition() {
    for (double z = -6; z <= 6; z += 0.37) {
      double phi = 0.5 * org.apache.commons.math3.special.Erf.erfc(-z / Math.sqrt(2));
      assertThat(Activation.GELU.value(z)).isCloseTo(z * phi, within(1e-15));
      double h = 1e-5;
      double fd = (Activation.GELU.value(z + h) - Activation.GELU.value(z - h)) / (2 * h);
      assertThat(Activation.GELU.derivative(z)).isCloseTo(fd, within(1e-9));
    }
  }
}
