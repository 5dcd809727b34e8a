package io.pullback.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.pullback.data.SyntheticSpec;
import org.apache.commons.math3.analysis.integration.gauss.GaussIntegratorFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The gauss-legendre generator's rule, kept per JVM, against a fresh commons-math rule and quadrature identities. */
class SyntheticGeneratorTest {

  /**
   * The kept rule is bit-identical to a fresh high-precision rule (so caching changes no datum),
   * every later request returns the same bits, and a caller writing into its copy cannot change
   * what the next one gets. Independently of commons-math: the probability weights sum to 1 and
   * the rule integrates x^k exactly for every k below 2n against the uniform measure on [-1, 1]
   * (1/(k+1) for even k, 0 for odd k).
   */
  @ParameterizedTest
  @ValueSource(ints = {1, 2, 7, 16, 32})
  void theKeptRuleIsTheHighPrecisionRuleAndIntegratesPolynomialsExactly(int n) {
    var fresh = new GaussIntegratorFactory().legendreHighPrecision(n, -1, 1);
    double[][] first = SyntheticGenerator.gaussLegendre(n);
    for (int i = 0; i < n; i++) {
      assertThat(first[0][i]).isEqualTo(fresh.getPoint(i));
      assertThat(first[1][i]).isEqualTo(fresh.getWeight(i) / 2);
    }
    first[0][0] = Double.NaN;
    first[1][0] = Double.NaN;
    double[][] again = SyntheticGenerator.gaussLegendre(n);
    assertThat(again[0][0]).isEqualTo(fresh.getPoint(0));
    assertThat(again[1][0]).isEqualTo(fresh.getWeight(0) / 2);

    for (int k = 0; k < 2 * n; k++) {
      double sum = 0;
      for (int i = 0; i < n; i++) sum += again[1][i] * Math.pow(again[0][i], k);
      assertThat(sum).as("n = %d, x^%d", n, k).isCloseTo(k % 2 == 0 ? 1.0 / (k + 1) : 0.0, within(1e-13));
    }
  }

  /** Rows of a gauss-legendre data set are the rule's nodes, weighted by its probability weights, whatever generator instance makes them. */
  @ParameterizedTest
  @ValueSource(ints = {5, 24})
  void rowsAreTheNodesWithTheirWeights(int n) {
    SyntheticSpec spec = SyntheticSpec.parse("synthetic:gauss-legendre?rows=" + n + "&features=1&seed=3&noise=0.05");
    var fresh = new GaussIntegratorFactory().legendreHighPrecision(n, -1, 1);
    SyntheticGenerator a = new SyntheticGenerator(spec);
    SyntheticGenerator b = new SyntheticGenerator(spec);
    for (int i = 0; i < n; i++) {
      assertThat(a.row(i).features()[0]).isEqualTo(fresh.getPoint(i));
      assertThat(a.row(i).weight()).isEqualTo(fresh.getWeight(i) / 2);
      assertThat(b.row(i)).usingRecursiveComparison().isEqualTo(a.row(i));
    }
  }
}
