package io.pullback.metric.representation;

import io.pullback.data.ExampleBlock;
import io.pullback.metric.FactorRows;
import io.pullback.metric.aggregate.BlockSum;

/**
 * {@code Σ_blocks R_bᵀ (R_b V)} for a block of s vectors (length {@code s·N}, vector t at
 * {@code t·N}), matrix-free: per example block one evaluation of the model and level-3 BLAS over
 * the vectors ({@link FactorRows#addGramProducts}), in groups of at most {@value #GROUP} vectors
 * (which bounds the work memory at {@code O(GROUP·B·max width)}); no factor rows or Jacobians are
 * formed for a layered model or one that overrides {@code jvpVjp} (MLP).
 */
final class GramProductSum implements BlockSum {
  private static final long serialVersionUID = 1L;
  /** Vectors per model evaluation. */
  static final int GROUP = 64;
  private final FactorRows rows;
  private final double[] theta;
  /** The vectors, vector t at {@code t·N}. */
  private final double[] vectors;
  private final int count;

  GramProductSum(FactorRows rows, double[] theta, double[][] vectors) {
    this.rows = rows;
    this.theta = theta;
    int n = rows.model().numParams();
    this.count = vectors.length;
    this.vectors = new double[Math.multiplyExact(count, n)];
    for (int t = 0; t < count; t++) System.arraycopy(vectors[t], 0, this.vectors, t * n, n);
  }

  @Override
  public int length() {
    return vectors.length;
  }

  @Override
  public Adder newAdder() {
    int n = rows.model().numParams();
    FactorRows.Workspace ws = rows.newWorkspace(0);
    int groups = (count + GROUP - 1) / GROUP;
    double[][] v = new double[groups][];
    double[][] part = new double[groups][];
    for (int g = 0; g < groups; g++) {
      int s = Math.min(GROUP, count - g * GROUP);
      v[g] = groups == 1 ? vectors : java.util.Arrays.copyOfRange(vectors, g * GROUP * n, (g * GROUP + s) * n);
      part[g] = groups == 1 ? null : new double[s * n];
    }
    return (ExampleBlock block, double[] acc) -> {
      if (groups == 1) {
        rows.addGramProducts(theta, block, ws, vectors, count, acc);
        return;
      }
      for (int g = 0; g < groups; g++) {
        int s = v[g].length / n;
        java.util.Arrays.fill(part[g], 0.0);
        rows.addGramProducts(theta, block, ws, v[g], s, part[g]);
        int off = g * GROUP * n;
        for (int j = 0; j < s * n; j++) acc[off + j] += part[g][j];
      }
    };
  }
}
