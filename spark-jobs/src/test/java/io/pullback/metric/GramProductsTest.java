package io.pullback.metric;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullback.data.ExampleBlock;
import io.pullback.model.Model;
import io.pullback.model.TestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The block product {@link FactorRows#addGramProducts} (s vectors in one model evaluation) against
 * two independent references: the dense {@code G·V} of the naive per-example sum
 * ({@link NaiveMetric}: per-example Jacobians, factor rows by the table, {@code Σ w rᵀr}) and s
 * separate single-vector products. Every model × metric kind, with s = 1, 2, 3, 7 so that both routes
 * are taken (layered when {@code r ≤ 2s}, forward/reverse mode otherwise: an MLP with K = 3, or
 * mc-fisher with S = 5, takes the second at s = 1 and s = 2). Tolerance 1e-12 relative Frobenius:
 * sums of ~30 O(1) products in different orders.
 */
class GramProductsTest {

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    long seed = 900;
    for (Named<Model> m : TestModels.allModels()) {
      for (MetricKind k : MetricKind.values()) {
        for (int s : new int[] {1, 2, 3, 7}) cases.add(Arguments.of(m, k, s, seed++));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1} s={2} seed={3}")
  @MethodSource("cases")
  void blockProductEqualsDenseGramTimesBlockAndSeparateProducts(Model model, MetricKind kind, int s, long seed) {
    System.out.println("seed " + seed + " " + model + " " + kind + " s=" + s);
    List<ExampleBlock> data = FactorRowsTest.blocks(model, seed, 3, true, 6, 1, 5);
    double[] theta = TestModels.randomTheta(model, seed);
    int samples = 5;
    int n = model.numParams();
    double[] g = NaiveMetric.metric(model, kind, samples, seed, theta, data);
    double weight = 0;
    for (ExampleBlock b : data) weight += b.weightSum();
    SplittableRandom rng = new SplittableRandom(seed);
    double[] v = new double[s * n];
    for (int j = 0; j < v.length; j++) v[j] = rng.nextDouble(-1, 1);

    FactorRows fr = new FactorRows(model, kind, samples, seed);
    FactorRows.Workspace ws = fr.newWorkspace(0);
    double[] block = new double[s * n];
    for (ExampleBlock b : data) fr.addGramProducts(theta, b, ws, v, s, block);

    double[] dense = new double[s * n];
    double[] separate = new double[s * n];
    for (int t = 0; t < s; t++) {
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) dense[t * n + i] += weight * g[i * n + j] * v[t * n + j];
      }
      double[] one = java.util.Arrays.copyOfRange(v, t * n, (t + 1) * n);
      double[] acc = new double[n];
      FactorRows.Workspace fresh = fr.newWorkspace(0);
      for (ExampleBlock b : data) fr.addGramProduct(theta, b, fresh, one, acc);
      System.arraycopy(acc, 0, separate, t * n, n);
    }
    assertThat(NaiveMetric.relError(block, dense)).as("block vs dense G·V").isLessThan(1e-12);
    assertThat(NaiveMetric.relError(block, separate)).as("block vs s separate products").isLessThan(1e-12);
  }
}
