package io.pullback.metric.representation;

import io.pullback.data.ExampleBlock;
import io.pullback.metric.FactorRows;
import io.pullback.metric.aggregate.BlockSum;

/**
 * The three quadratic forms of the metric on two vectors, unnormalised:
 * {@code [Σ_b |R_b u|², Σ_b (R_b u)·(R_b v), Σ_b |R_b v|²]} (so {@code uᵀGu, uᵀGv, vᵀGv} times
 * {@code Σw}), matrix-free: per block one forward pass for the factor-row coefficients
 * {@code C_b} ({@link FactorRows#coefficients}) and two Jacobian-vector products
 * ({@code R_b u = C_b (J_b u)}); no VJP, no factor rows, no Jacobian (MLP: about {@code 6·B·N} flops).
 * For a diagonal kind ({@link FactorRows#isDiagonal()}: function, Gaussian or Bernoulli fisher) the
 * coefficients are the K diagonal scales ({@code O(B·K)} memory, not {@code B·K·K}: an autoencoder
 * with K = 784 outputs needs this).
 */
final class GramFormSum implements BlockSum {
  private static final long serialVersionUID = 1L;
  private final FactorRows rows;
  private final double[] theta;
  private final double[] u;
  private final double[] v;

  GramFormSum(FactorRows rows, double[] theta, double[] u, double[] v) {
    this.rows = rows;
    this.theta = theta;
    this.u = u;
    this.v = v;
  }

  @Override
  public int length() {
    return 3;
  }

  @Override
  public Adder newAdder() {
    int k = rows.model().outputDim();
    int r = rows.rowsPerExample();
    return new Adder() {
      private double[] outputs = new double[0];
      private double[] coef = new double[0];
      private double[] ju = new double[0];
      private double[] jv = new double[0];

      @Override
      public void add(ExampleBlock block, double[] acc) {
        int b = block.rows();
        if (b == 0) return;
        if (outputs.length < b * k) {
          outputs = new double[b * k];
          ju = new double[b * k];
          jv = new double[b * k];
        }
        if (rows.isDiagonal()) {
          if (coef.length < b * k) coef = new double[b * k];
          rows.diagonalScales(theta, block, outputs, coef);
          rows.model().jvp(theta, block, u, outputs, ju);
          rows.model().jvp(theta, block, v, outputs, jv);
          for (int t = 0; t < b * k; t++) {
            double ru = coef[t] * ju[t];
            double rv = coef[t] * jv[t];
            acc[0] += ru * ru;
            acc[1] += ru * rv;
            acc[2] += rv * rv;
          }
          return;
        }
        if (coef.length < b * r * k) coef = new double[b * r * k];
        rows.coefficients(theta, block, outputs, coef);
        rows.model().jvp(theta, block, u, outputs, ju);
        rows.model().jvp(theta, block, v, outputs, jv);
        for (int e = 0; e < b; e++) {
          for (int i = 0; i < r; i++) {
            int c = (e * r + i) * k;
            double ru = 0;
            double rv = 0;
            for (int j = 0; j < k; j++) {
              ru += coef[c + j] * ju[e * k + j];
              rv += coef[c + j] * jv[e * k + j];
            }
            acc[0] += ru * ru;
            acc[1] += ru * rv;
            acc[2] += rv * rv;
          }
        }
      }
    };
  }
}
