package io.pullback.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.pullback.model.Model;
import io.pullback.model.ModelSpec;
import io.pullback.model.Models;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The L2 term against naive sums, and which coordinates each model's biases are (DESIGN.md section 3 layouts). */
class L2PenaltyTest {
  @Test
  void biasesFollowTheDocumentedLayouts() {
    // logistic θ = [w_1..w_D, b]
    assertThat(L2Penalty.biasIndices(model("logistic", 3, 1, 0))).containsExactly(3);
    // softmax θ = vec(W), W ∈ R^{K×(D+1)} row-major, bias last in each row
    assertThat(L2Penalty.biasIndices(model("softmax", 2, 3, 0))).containsExactly(2, 5, 8);
  }

  @Test
  void mlpBiasesAreEveryLayersBias() {
    // D = 2, hidden 3, outputs 1: W_0 (3×2) then b_0 (3), W_1 (1×3) then b_1 (1): N = 6 + 3 + 3 + 1 = 13
    Model mlp = model("mlp", 2, 1, 3);
    assertThat(mlp.numParams()).isEqualTo(13);
    assertThat(L2Penalty.biasIndices(mlp)).containsExactly(6, 7, 8, 12);
  }

  @Test
  void linearBasisHasNoBiases() {
    assertThat(L2Penalty.biasIndices(model("linear-basis", 1, 1, 0))).isEmpty();
  }

  @Test
  void valueAndGradientMatchNaiveSumsAndFiniteDifferences() {
    SplittableRandom rng = new SplittableRandom(7);
    System.out.println("seed 7");
    double[] theta = new double[9];
    for (int i = 0; i < theta.length; i++) theta[i] = rng.nextDouble(-2, 2);
    L2Penalty p = new L2Penalty(0.3, new int[] {2, 5, 8});
    double naive = 0;
    for (int i = 0; i < theta.length; i++) if (i != 2 && i != 5 && i != 8) naive += 0.3 * theta[i] * theta[i];
    assertThat(p.value(theta)).isCloseTo(naive, within(1e-14));
    double[] g = new double[theta.length];
    p.addGradient(theta, g);
    double h = 1e-6;
    for (int i = 0; i < theta.length; i++) {
      double[] plus = theta.clone();
      double[] minus = theta.clone();
      plus[i] += h;
      minus[i] -= h;
      // central difference of a quadratic: exact up to rounding
      assertThat(g[i]).as("∂/∂θ_%d", i).isCloseTo((p.value(plus) - p.value(minus)) / (2 * h), within(1e-8));
    }
    assertThat(g[2]).isZero();
    assertThat(L2Penalty.NONE.value(theta)).isZero();
    assertThat(L2Penalty.all(0.3).value(theta)).isCloseTo(naive + 0.3 * (theta[2] * theta[2] + theta[5] * theta[5]
        + theta[8] * theta[8]), within(1e-14));
  }

  @Test
  void equalByValue() {
    assertThat(new L2Penalty(0.5, new int[] {1, 3})).isEqualTo(new L2Penalty(0.5, new int[] {1, 3}))
        .hasSameHashCodeAs(new L2Penalty(0.5, new int[] {1, 3})).isNotEqualTo(new L2Penalty(0.5, new int[] {1}));
  }

  @Test
  void refusesBadArguments() {
    assertThatThrownBy(() -> L2Penalty.all(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1.0");
    assertThatThrownBy(() -> new L2Penalty(1, new int[] {3, 2})).isInstanceOf(IllegalArgumentException.class);
  }

  private static Model model(String kind, int d, int classesOrOutputs, int hidden) {
    ModelSpec spec = switch (kind) {
      case "logistic" -> ModelSpec.logistic(d);
      case "softmax" -> ModelSpec.softmax(d, classesOrOutputs);
      case "mlp" -> ModelSpec.mlp(d, new int[] {hidden}, classesOrOutputs, "tanh");
      default -> ModelSpec.linearBasis(d, 1, "legendre", 3);
    };
    return Models.create(spec);
  }
}
