package io.pullback.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullback.data.ExampleBlock;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Jacobian-vector and vector-Jacobian products ({@link Model#jvp}, {@link Model#vjp}) against the
 * explicit Jacobian (itself checked against finite differences in {@link ModelJacobianTest}):
 * {@code J·v} and {@code Jᵀ·u} summed naively, entry by entry. Tolerance 1e-12 relative to the
 * largest entry: both sides are sums of ~50 O(1) products in different orders.
 */
class ModelProductsTest {

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    long seed = 900;
    for (Named<Model> m : TestModels.allModels()) cases.add(Arguments.of(m, seed++));
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} seed={1}")
  @MethodSource("cases")
  void productsEqualNaiveJacobianProducts(Model model, long seed) {
    System.out.println("seed " + seed + " " + model);
    SplittableRandom rng = new SplittableRandom(seed);
    ExampleBlock block = TestModels.randomBlock(model, rng, 3, 9, false);
    double[] theta = TestModels.randomTheta(model, seed);
    int n = model.numParams();
    int bk = block.rows() * model.outputDim();
    double[] jac = new double[bk * n];
    double[] out = new double[bk];
    model.jacobian(theta, block, out, jac);

    double[] v = new double[n];
    for (int j = 0; j < n; j++) v[j] = rng.nextDouble(-1, 1);
    double[] jv = new double[bk];
    double[] outJvp = new double[bk];
    model.jvp(theta, block, v, outJvp, jv);
    double[] refJv = new double[bk];
    for (int t = 0; t < bk; t++) {
      for (int j = 0; j < n; j++) refJv[t] += jac[j * bk + t] * v[j];
    }
    assertThat(outJvp).containsExactly(out, org.assertj.core.data.Offset.offset(1e-14));
    assertClose(jv, refJv);

    double[] u = new double[bk];
    for (int t = 0; t < bk; t++) u[t] = rng.nextDouble(-1, 1);
    double[] grad = new double[n];
    for (int j = 0; j < n; j++) grad[j] = 0.5 * j; // vjp accumulates
    model.vjp(theta, block, u, grad);
    double[] refGrad = new double[n];
    for (int j = 0; j < n; j++) {
      refGrad[j] = 0.5 * j;
      for (int t = 0; t < bk; t++) refGrad[j] += jac[j * bk + t] * u[t];
    }
    assertClose(grad, refGrad);
  }

  static void assertClose(double[] actual, double[] expected) {
    double scale = 1;
    for (double e : expected) scale = Math.max(scale, Math.abs(e));
    for (int i = 0; i < expected.length; i++) {
      assertThat(Math.abs(actual[i] - expected[i])).as("entry %d", i).isLessThanOrEqualTo(1e-12 * scale);
    }
  }
}
