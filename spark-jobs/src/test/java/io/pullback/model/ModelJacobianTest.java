package io.pullback.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullback.data.ExampleBlock;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Analytic Jacobians against central finite differences of {@code forward}.
 *
 * <p>Tolerance: every entry {@code |J − J_fd| ≤ 1e-6·max(1, |J|)}. With step
 * {@code h = 1e-5·max(1, |θ_j|)} the central difference has truncation error O(h²·f''') ≈ 1e-10
 * and rounding error O(ε·|f|/h) ≈ 1e-11 for these O(1) models, so 1e-6 leaves a wide margin.
 */
class ModelJacobianTest {

  static Stream<Arguments> smoothCases() {
    List<Arguments> cases = new ArrayList<>();
    long seed = 101;
    for (Named<Model> m : TestModels.smoothModels()) cases.add(Arguments.of(m, seed++));
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} seed={1}")
  @MethodSource("smoothCases")
  void jacobianEqualsCentralDifferences(Model model, long seed) {
    System.out.println("seed " + seed + " " + model);
    SplittableRandom rng = new SplittableRandom(seed);
    ExampleBlock block = TestModels.randomBlock(model, rng, 1000, 7, false);
    double[] theta = TestModels.randomTheta(model, seed);
    assertJacobianMatchesFd(model, theta, block);
  }

  /** ReLU: only examples whose hidden pre-activations are all at least 0.05 away from the kink. */
  @Test
  void reluJacobianEqualsCentralDifferencesAwayFromKinks() {
    long seed = 202;
    System.out.println("seed " + seed);
    MlpModel model = new MlpModel(3, new int[] {5, 4}, 2, Activation.RELU);
    double[] theta = TestModels.randomTheta(model, seed);
    SplittableRandom rng = new SplittableRandom(seed);
    ExampleBlock candidates = TestModels.randomBlock(model, rng, 0, 200, false);
    List<double[]> kept = new ArrayList<>();
    for (int b = 0; b < candidates.rows() && kept.size() < 10; b++) {
      double[] x = {candidates.feature(b, 0), candidates.feature(b, 1), candidates.feature(b, 2)};
      List<Double> pre = new ArrayList<>();
      TestModels.naiveMlp(model.widths(), "relu", theta, x, pre);
      if (pre.stream().allMatch(z -> Math.abs(z) > 0.05)) kept.add(x);
    }
    assertThat(kept).hasSize(10);
    double[] features = new double[kept.size() * 3];
    for (int i = 0; i < kept.size(); i++) System.arraycopy(kept.get(i), 0, features, 3 * i, 3);
    ExampleBlock block = new ExampleBlock(0, kept.size(), 3, 2, features, new double[kept.size() * 2], null);
    assertJacobianMatchesFd(model, theta, block);
  }

  static void assertJacobianMatchesFd(Model model, double[] theta, ExampleBlock block) {
    int bk = block.rows() * model.outputDim();
    int n = model.numParams();
    double[] out = new double[bk];
    double[] jac = new double[bk * n];
    java.util.Arrays.fill(jac, Double.NaN); // every entry must be written
    model.jacobian(theta, block, out, jac);
    double[] fwd = new double[bk];
    model.forward(theta, block, fwd);
    assertThat(out).as("jacobian() outputs equal forward()").containsExactly(fwd);
    double[] plus = new double[bk];
    double[] minus = new double[bk];
    for (int j = 0; j < n; j++) {
      double[] t = theta.clone();
      double h = 1e-5 * Math.max(1.0, Math.abs(theta[j]));
      t[j] = theta[j] + h;
      model.forward(t, block, plus);
      t[j] = theta[j] - h;
      model.forward(t, block, minus);
      for (int r = 0; r < bk; r++) {
        double fd = (plus[r] - minus[r]) / (2 * h);
        double an = jac[j * bk + r];
        assertThat(Math.abs(an - fd)).as("param %d row %d: analytic %s fd %s", j, r, an, fd)
            .isLessThanOrEqualTo(1e-6 * Math.max(1.0, Math.abs(an)));
      }
    }
  }

  /** The Jacobian of a block equals the Jacobians of its examples taken one at a time (exactly, for these sizes). */
  @ParameterizedTest(name = "{0}")
  @MethodSource("io.pullback.model.TestModels#allModels")
  void blockJacobianEqualsPerExampleJacobians(Model model) {
    long seed = 303;
    System.out.println("seed " + seed + " " + model);
    ExampleBlock block = TestModels.randomBlock(model, new SplittableRandom(seed), 50, 9, false);
    double[] theta = TestModels.randomTheta(model, seed);
    int k = model.outputDim();
    int n = model.numParams();
    int bk = block.rows() * k;
    double[] out = new double[bk];
    double[] jac = new double[bk * n];
    model.jacobian(theta, block, out, jac);
    double[] o1 = new double[k];
    double[] j1 = new double[k * n];
    for (int b = 0; b < block.rows(); b++) {
      model.jacobian(theta, TestModels.slice(block, b, b + 1), o1, j1);
      for (int kk = 0; kk < k; kk++) {
        assertThat(out[b * k + kk]).isCloseTo(o1[kk], org.assertj.core.api.Assertions.within(1e-13));
        for (int j = 0; j < n; j++) {
          assertThat(jac[j * bk + b * k + kk]).as("b=%d k=%d j=%d", b, kk, j)
              .isCloseTo(j1[j * k + kk], org.assertj.core.api.Assertions.within(1e-13));
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.pullback.model.TestModels#allModels")
  void initialParamsAreSeededAndMentionedInLayout(Model model) {
    assertThat(model.initialParams(7)).containsExactly(model.initialParams(7));
    assertThat(model.initialParams(7)).isNotEqualTo(model.initialParams(8));
    assertThat(model.initialParams(7)).hasSize(model.numParams());
    assertThat(model.parameterLayout()).contains(model.kind()).contains(Integer.toString(model.numParams()));
  }

  @Test
  void emptyBlockIsFine() {
    for (Named<Model> nm : TestModels.allModels()) {
      Model m = nm.getPayload();
      ExampleBlock empty = new ExampleBlock(0, 0, m.inputDim(), 1, new double[0], new double[0], null);
      m.jacobian(m.initialParams(1), empty, new double[0], new double[0]);
      m.forward(m.initialParams(1), empty, new double[0]);
    }
  }
}
