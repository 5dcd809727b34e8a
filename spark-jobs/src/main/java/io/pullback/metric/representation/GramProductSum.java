package io.pullback.metric.representation;

import io.pullback.data.ExampleBlock;
import io.pullback.metric.FactorRows;
import io.pullback.metric.aggregate.BlockSum;

/**
 * {@code Σ_blocks R_bᵀ R_b v_s} for s = 1..k vectors (length {@code k·N}, vector s at {@code s·N}),
 * matrix-free: per block and vector one JVP and one VJP ({@link FactorRows#addGramProduct}); no
 * factor rows or Jacobians are formed when the model overrides {@code jvp}/{@code vjp} (MLP).
 */
final class GramProductSum implements BlockSum {
  private static final long serialVersionUID = 1L;
  private final FactorRows rows;
  private final double[] theta;
  private final double[][] vectors;

  GramProductSum(FactorRows rows, double[] theta, double[][] vectors) {
    this.rows = rows;
    this.theta = theta;
    this.vectors = vectors;
  }

  @Override
  public int length() {
    return Math.multiplyExact(vectors.length, rows.model().numParams());
  }

  @Override
  public Adder newAdder() {
    int n = rows.model().numParams();
    FactorRows.Workspace ws = rows.newWorkspace(0);
    double[] part = new double[n];
    return (ExampleBlock block, double[] acc) -> {
      for (int s = 0; s < vectors.length; s++) {
        java.util.Arrays.fill(part, 0.0);
        rows.addGramProduct(theta, block, ws, vectors[s], part);
        int off = s * n;
        for (int j = 0; j < n; j++) acc[off + j] += part[j];
      }
    };
  }
}
