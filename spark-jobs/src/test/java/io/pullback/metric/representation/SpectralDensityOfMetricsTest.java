package io.pullback.metric.representation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import io.pullback.data.ExampleBlock;
import io.pullback.linalg.SpectralDensity;
import io.pullback.linalg.Spectra;
import io.pullback.metric.FactorRows;
import io.pullback.metric.aggregate.BlockData;
import io.pullback.model.Model;
import io.pullback.model.TestModels;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * SLQ on the matrix-free {@code implicit} metric of real models and metric kinds against the
 * {@code dsyevd} spectrum of the naive dense metric. With S ≥ N the Gauss nodes are G's
 * eigenvalues, so the quadrature's CDF {@code F̂(x) = (1/P) Σ_p Σ_{θ ≤ x} τ²} differs from the exact
 * {@code F(x) = #{λ_i ≤ x}/N} only by the probes: {@code F̂(x) = (1/P) Σ_p v_pᵀ Π_x v_p / N} with Π_x
 * the projector on the k eigenvectors below x, whose Rademacher variance is
 * {@code 2(‖Π‖_F² − Σ Π_ii²)/(N²P) ≤ 2·min(k, N − k)/(N²P)}. Allowed: 4 such standard errors, at
 * the midpoints between distinct eigenvalues.
 */
class SpectralDensityOfMetricsTest {

  static List<MetricRepresentationContractTest.Case> cases() {
    List<MetricRepresentationContractTest.Case> all = MetricRepresentationContractTest.cases();
    // mlp function, mlp fisher, logistic empirical-fisher, and a metric with a null space (rank < N).
    return List.of(all.get(0), all.get(1), all.get(4), all.get(6));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void quadratureCdfMatchesDsyevdWithinTheProbeVariance(MetricRepresentationContractTest.Case c) {
    long seed = 91;
    int probes = 10;
    Model model = c.model();
    int n = model.numParams();
    List<ExampleBlock> blocks = MetricRepresentationContractTest.data(model, c.examples(), seed);
    double[] theta = TestModels.randomTheta(model, seed);
    double[] g = io.pullback.metric.NaiveMetricAccess.metric(model, c.kind(), 3, seed, theta, blocks);
    double[] lambda = Spectra.eigenvalues(g, n);
    RepresentationOptions opts = new RepresentationOptions(1, 1e-14, 20 * n, seed, false, 8192, 3);
    MetricRepresentation implicit = Representations.build(RepresentationKind.IMPLICIT, BlockData.of(blocks),
        new FactorRows(model, c.kind(), 3, seed), theta, opts);
    List<SpectralDensity.Quadrature> quad = SpectralDensity.quadrature(implicit::mv, n, probes, n + 5, seed);
    double top = lambda[n - 1];
    int checked = 0;
    for (int k = 1; k < n; k++) {
      if (lambda[k] - lambda[k - 1] <= 1e-6 * top) continue;
      double x = 0.5 * (lambda[k - 1] + lambda[k]);
      double estimate = 0;
      for (SpectralDensity.Quadrature q : quad) {
        for (int j = 0; j < q.nodes().length; j++) if (q.nodes()[j] <= x) estimate += q.weights()[j] / probes;
      }
      double se = Math.sqrt(2.0 * Math.min(k, n - k) / probes) / n;
      assertThat(estimate).as("%s: F(%s), %d of %d eigenvalues below", c, x, k, n).isCloseTo((double) k / n, offset(4 * se));
      checked++;
    }
    assertThat(checked).as("distinct eigenvalue gaps checked").isGreaterThanOrEqualTo(Math.min(n - 1, 5));
    // Every node is an eigenvalue (S ≥ N: the Krylov space is invariant).
    for (SpectralDensity.Quadrature q : quad) {
      for (double theta0 : q.nodes()) {
        double nearest = Double.POSITIVE_INFINITY;
        for (double l : lambda) nearest = Math.min(nearest, Math.abs(l - theta0));
        assertThat(nearest).as("%s: node %s", c, theta0).isLessThan(1e-9 * top);
      }
    }
    SpectralDensity.Density d = SpectralDensity.smooth(quad, 1000);
    double mass = 0;
    for (int i = 1; i < d.grid().length; i++) mass += 0.5 * (d.density()[i] + d.density()[i - 1]) * (d.grid()[i] - d.grid()[i - 1]);
    assertThat(mass).isCloseTo(1.0, offset(1e-3));
  }
  /**
   * Issue 17 item 1: SLQ with the probes advanced together on the implicit metric's block product
   * ({@link SpectralDensity#blockQuadrature}, one pass per Lanczos step for all probes) gives the
   * nodes and weights of the one-probe-at-a-time quadrature on {@code mv} to rounding (1e-9 of
   * λ_max), in S passes instead of P·S (fewer when Krylov spaces close early, as on the rank-8 metric).
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void blockQuadratureEqualsProbeByProbeQuadratureInFewerPasses(MetricRepresentationContractTest.Case c) {
    long seed = 93;
    int probes = 4;
    int steps = 12;
    Model model = c.model();
    int n = model.numParams();
    List<ExampleBlock> blocks = MetricRepresentationContractTest.data(model, c.examples(), seed);
    double[] theta = TestModels.randomTheta(model, seed);
    RepresentationOptions opts = new RepresentationOptions(1, 1e-14, 20 * n, seed, false, 8192, 3);
    ImplicitMetric implicit = (ImplicitMetric) Representations.build(RepresentationKind.IMPLICIT, BlockData.of(blocks),
        new FactorRows(model, c.kind(), 3, seed), theta, opts);
    List<SpectralDensity.Quadrature> one = SpectralDensity.quadrature(implicit::mv, n, probes, steps, seed);
    long before = (long) implicit.details().get("data_passes");
    List<SpectralDensity.Quadrature> block = SpectralDensity.blockQuadrature(implicit::mm, n, probes, steps, seed);
    long passes = (long) implicit.details().get("data_passes") - before;
    // One pass per step of the longest run for all probes (a run stops early when its Krylov space closes: rank < N).
    long total = 0;
    long longest = 0;
    for (SpectralDensity.Quadrature q : one) {
      total += q.nodes().length;
      longest = Math.max(longest, q.nodes().length);
    }
    assertThat(before).isEqualTo(total);
    assertThat(passes).as("one pass per step for all %d probes", probes).isEqualTo(longest);
    double top = 0;
    for (SpectralDensity.Quadrature q : one) for (double x : q.nodes()) top = Math.max(top, Math.abs(x));
    for (int p = 0; p < probes; p++) {
      assertThat(block.get(p).nodes()).hasSameSizeAs(one.get(p).nodes());
      for (int j = 0; j < one.get(p).nodes().length; j++) {
        assertThat(block.get(p).nodes()[j]).isCloseTo(one.get(p).nodes()[j], offset(1e-9 * top));
        assertThat(block.get(p).weights()[j]).isCloseTo(one.get(p).weights()[j], offset(1e-7));
      }
    }
  }
}
