package io.pullback.optim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Sherman–Morrison helpers against a dense LU solve (commons-math3) of the same matrices. */
class ShermanMorrisonTest {
  /** Relative tolerance: both are backward-stable O(N) / O(N³) computations on well-conditioned matrices. */
  private static final double TOL = 1e-12;

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5})
  void identityPlusRankOneMatchesDenseSolve(long seed) {
    System.out.println("seed " + seed);
    SplittableRandom rng = new SplittableRandom(seed);
    int n = 2 + rng.nextInt(20);
    double xi = rng.nextDouble(0.01, 3);
    double[] g = gaussian(rng, n);
    double[] v = gaussian(rng, n);
    RealMatrix a = new Array2DRowRealMatrix(n, n);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        a.setEntry(i, j, (i == j ? 1 : 0) + xi * g[i] * g[j]);
      }
    }
    double[] expected = new LUDecomposition(a).getSolver().solve(new ArrayRealVector(v)).toArray();
    assertClose(ShermanMorrison.applyInverseIdentityPlusRankOne(xi, g, v), expected);
    // v = g: g / (1 + ξ‖g‖²)
    double gg = 0;
    for (double x : g) {
      gg += x * x;
    }
    double[] scaled = new double[n];
    for (int i = 0; i < n; i++) {
      scaled[i] = g[i] / (1 + xi * gg);
    }
    assertClose(ShermanMorrison.applyInverseIdentityPlusRankOne(xi, g, g), scaled);
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {11, 12, 13, 14, 15})
  void diagonalPlusRankOneMatchesDenseSolve(long seed) {
    System.out.println("seed " + seed);
    SplittableRandom rng = new SplittableRandom(seed);
    int n = 2 + rng.nextInt(20);
    double xi = rng.nextDouble(0.01, 3);
    double[] d = new double[n];
    for (int i = 0; i < n; i++) {
      d[i] = rng.nextDouble(0.1, 10);
    }
    double[] g = gaussian(rng, n);
    double[] v = gaussian(rng, n);
    RealMatrix a = new Array2DRowRealMatrix(n, n);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        a.setEntry(i, j, (i == j ? d[i] : 0) + xi * g[i] * g[j]);
      }
    }
    double[] expected = new LUDecomposition(a).getSolver().solve(new ArrayRealVector(v)).toArray();
    assertClose(ShermanMorrison.applyInverseDiagonalPlusRankOne(d, xi, g, v), expected);
    double gDg = 0;
    for (int i = 0; i < n; i++) {
      gDg += g[i] * g[i] / d[i];
    }
    double[] scaled = new double[n];
    for (int i = 0; i < n; i++) {
      scaled[i] = g[i] / d[i] / (1 + xi * gDg);
    }
    assertClose(ShermanMorrison.applyInverseDiagonalPlusRankOne(d, xi, g, g), scaled);
  }

  static double[] gaussian(SplittableRandom rng, int n) {
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      // Box–Muller
      x[i] = Math.sqrt(-2 * Math.log(1 - rng.nextDouble())) * Math.cos(2 * Math.PI * rng.nextDouble());
    }
    return x;
  }

  static void assertClose(double[] actual, double[] expected) {
    double norm = 0;
    double err = 0;
    for (int i = 0; i < expected.length; i++) {
      norm = Math.max(norm, Math.abs(expected[i]));
      err = Math.max(err, Math.abs(actual[i] - expected[i]));
    }
    assertThat(err).as("max abs error relative to max |expected| = %s", norm).isLessThanOrEqualTo(TOL * Math.max(norm, 1e-300));
  }
}
