package io.pullback.metric.representation;

import io.pullback.data.ExampleBlock;
import io.pullback.linalg.Blas;
import io.pullback.metric.FactorRows;
import io.pullback.metric.LayerStatistics;
import io.pullback.metric.aggregate.BlockSum;
import io.pullback.model.LayeredModel;

/**
 * EKFAC's second pass: the metric's second moments in the Kronecker eigenbasis of each layer,
 * {@code D_l[o', i'] = Σ_{b,i} (U_Sᵀ δ_{b,i})[o']² · (U_Aᵀ ã_b)[i']²} (unnormalised, row-major
 * {@code q × p} per layer, concatenated), with {@code ã_b = [a_l; 1]} and the δ's the
 * back-propagated factor-row coefficients (which carry {@code √w_b}); so {@code D_l / Σw} is
 * {@code diag(Q_lᵀ G_l Q_l)} for {@code Q_l = U_S ⊗ U_A} and {@code G_l} the exact layer block.
 *
 * <p>Cost per block: one forward pass and the back-propagation of {@code B·r} cotangents, then per
 * layer three {@code dgemm}: {@code 2·B·p² + 2·B·r·q² + 2·B·p·q} flops. Task memory
 * {@code 8·Σ(p² + q² + q·p)} (the broadcast eigenvectors and the accumulator) plus
 * {@code O(B·(p + r·q))} work arrays.
 */
final class EkfacSum implements BlockSum {
  private static final long serialVersionUID = 1L;
  private final FactorRows rows;
  private final double[] theta;
  /** Per layer U_A and U_S, column-major (column j the eigenvector j). */
  private final double[][] ua;
  private final double[][] us;

  EkfacSum(FactorRows rows, double[] theta, double[][] uaColumnMajor, double[][] usColumnMajor) {
    LayerStatistics.layered(rows, "ekfac");
    this.rows = rows;
    this.theta = theta;
    this.ua = uaColumnMajor;
    this.us = usColumnMajor;
  }

  static int length(LayeredModel m) {
    long len = 0;
    for (int l = 0; l < m.layers(); l++) len += (m.layerInputs(l) + 1L) * m.layerOutputs(l);
    return Math.toIntExact(len);
  }

  @Override
  public int length() {
    return length((LayeredModel) rows.model());
  }

  @Override
  public Adder newAdder() {
    LayerStatistics stats = new LayerStatistics(rows, "ekfac");
    LayeredModel model = stats.model();
    int r = rows.rowsPerExample();
    return new Adder() {
      private double[] aug = new double[0];
      private double[] pa = new double[0];
      private double[] ps = new double[0];
      private double[] z = new double[0];

      @Override
      public void add(ExampleBlock block, double[] acc) {
        int b = block.rows();
        if (b == 0) return;
        stats.compute(theta, block);
        int off = 0;
        for (int l = 0; l < model.layers(); l++) {
          addLayer(stats.inputs()[l], stats.deltas()[l], l, b, r, model.layerInputs(l), model.layerOutputs(l), acc, off);
          off += (model.layerInputs(l) + 1) * model.layerOutputs(l);
        }
      }

      /** acc[off + o'·p + i'] += Σ_b (Σ_i (δU_S)²[(b,i), o']) · (ÃU_A)²[b, i']. */
      private void addLayer(double[] inputs, double[] deltas, int l, int b, int r, int in, int q, double[] acc, int off) {
        int p = in + 1;
        int br = b * r;
        if (aug.length < b * p) aug = new double[b * p];
        System.arraycopy(inputs, 0, aug, 0, b * in);
        java.util.Arrays.fill(aug, b * in, b * p, 1.0);
        if (pa.length < b * p) pa = new double[b * p];
        if (ps.length < br * q) ps = new double[br * q];
        if (z.length < b * q) z = new double[b * q];
        Blas.get().dgemm("N", "N", b, p, p, 1.0, aug, 0, b, ua[l], 0, p, 0.0, pa, 0, b);
        Blas.get().dgemm("N", "N", br, q, q, 1.0, deltas, 0, br, us[l], 0, q, 0.0, ps, 0, br);
        for (int t = 0; t < b * p; t++) pa[t] *= pa[t];
        for (int o = 0; o < q; o++) {
          for (int e = 0; e < b; e++) {
            double s = 0;
            for (int i = 0; i < r; i++) {
              double x = ps[o * br + e * r + i];
              s += x * x;
            }
            z[o * b + e] = s;
          }
        }
        // Row-major q × p accumulator = column-major p × q: += P² ᵀ Z.
        Blas.get().dgemm("T", "N", p, q, b, 1.0, pa, 0, b, z, 0, b, 1.0, acc, off, p);
      }
    };
  }
}
