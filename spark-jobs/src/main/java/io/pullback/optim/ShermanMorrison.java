package io.pullback.optim;

/**
 * Inverses of a diagonal plus a rank-one term applied to a vector, in {@code O(N)}, by the
 * Sherman–Morrison formula {@code (A + u uᵀ)⁻¹ = A⁻¹ − A⁻¹u uᵀA⁻¹ / (1 + uᵀA⁻¹u)}. These are the
 * induced metrics of the graph of the loss (see {@link InducedMetricOptimizer}).
 */
public final class ShermanMorrison {
  private ShermanMorrison() {}

  /**
   * {@code (I + ξ g gᵀ)⁻¹ v = v − ξ (gᵀv) g / (1 + ξ‖g‖²)}. For {@code v = g} this is
   * {@code g / (1 + ξ‖g‖²)}. Inputs not modified; returns a new array.
   */
  public static double[] applyInverseIdentityPlusRankOne(double xi, double[] g, double[] v) {
    checkSameLength(g, v);
    double gv = 0;
    double gg = 0;
    for (int i = 0; i < g.length; i++) {
      gv += g[i] * v[i];
      gg += g[i] * g[i];
    }
    double c = xi * gv / (1 + xi * gg);
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i] - c * g[i];
    }
    return out;
  }

  /**
   * {@code (D + ξ g gᵀ)⁻¹ v = D⁻¹v − ξ (gᵀD⁻¹v) D⁻¹g / (1 + ξ gᵀD⁻¹g)} for a positive diagonal
   * {@code D = diag(d)}. For {@code v = g} this is {@code D⁻¹g / (1 + ξ gᵀD⁻¹g)}. Inputs not
   * modified; returns a new array.
   */
  public static double[] applyInverseDiagonalPlusRankOne(double[] d, double xi, double[] g, double[] v) {
    checkSameLength(g, v);
    checkSameLength(d, v);
    double gDv = 0;
    double gDg = 0;
    for (int i = 0; i < g.length; i++) {
      gDv += g[i] * v[i] / d[i];
      gDg += g[i] * g[i] / d[i];
    }
    double c = xi * gDv / (1 + xi * gDg);
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = (v[i] - c * g[i]) / d[i];
    }
    return out;
  }

  private static void checkSameLength(double[] a, double[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("vectors have " + a.length + " and " + b.length + " entries");
    }
  }
}
