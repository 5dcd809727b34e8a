package io.pullback.metric.representation;

import io.pullback.data.ExampleBlock;
import io.pullback.linalg.Blas;
import io.pullback.metric.FactorRows;
import io.pullback.metric.aggregate.BlockSum;
import io.pullback.model.LayeredModel;

/**
 * The unnormalised Kronecker factors of every layer, concatenated: for layer l with
 * {@code p = in_l + 1} and {@code q = out_l}, first {@code A_l = Σ_b w_b ã_b ã_bᵀ} ({@code p × p},
 * {@code ã = [a_l; 1]}), then {@code S_l = Σ_{b,i} δ_{b,i} δ_{b,i}ᵀ} ({@code q × q}; the δ's are the
 * back-propagated factor-row coefficients, which carry {@code √w_b}). Both are Grams of rows, one
 * {@code dgemm} each per block. Cost per block: the forward pass, the back-propagation of
 * {@code B·r} cotangents, and {@code 2·B·p² + 2·B·r·q²} flops per layer.
 */
final class KfacSum implements BlockSum {
  private static final long serialVersionUID = 1L;
  private final FactorRows rows;
  private final double[] theta;

  KfacSum(FactorRows rows, double[] theta) {
    if (!(rows.model() instanceof LayeredModel)) {
      throw new IllegalArgumentException("kfac needs a layered model (logistic, softmax or mlp), not " + rows.model().kind());
    }
    this.rows = rows;
    this.theta = theta;
  }

  static int length(LayeredModel m) {
    long len = 0;
    for (int l = 0; l < m.layers(); l++) {
      long p = m.layerInputs(l) + 1L;
      long q = m.layerOutputs(l);
      len += p * p + q * q;
    }
    return Math.toIntExact(len);
  }

  @Override
  public int length() {
    return length((LayeredModel) rows.model());
  }

  @Override
  public Adder newAdder() {
    LayeredModel model = (LayeredModel) rows.model();
    int layers = model.layers();
    int k = model.outputDim();
    int r = rows.rowsPerExample();
    double[][] inputs = new double[layers][];
    double[][] deltas = new double[layers][];
    return new Adder() {
      private double[] outputs = new double[0];
      private double[] coef = new double[0];
      private double[] aug = new double[0];

      @Override
      public void add(ExampleBlock block, double[] acc) {
        int b = block.rows();
        if (b == 0) return;
        if (outputs.length < b * k) outputs = new double[b * k];
        if (coef.length < b * r * k) coef = new double[b * r * k];
        rows.coefficients(theta, block, outputs, coef);
        model.layerStatistics(theta, block, coef, r, inputs, deltas);
        int off = 0;
        int br = b * r;
        for (int l = 0; l < layers; l++) {
          int in = model.layerInputs(l);
          int p = in + 1;
          int q = model.layerOutputs(l);
          if (aug.length < b * p) aug = new double[b * p];
          for (int e = 0; e < b; e++) {
            double sw = Math.sqrt(block.weight(e));
            for (int j = 0; j < in; j++) aug[j * b + e] = sw * inputs[l][j * b + e];
            aug[in * b + e] = sw;
          }
          Blas.get().dgemm("T", "N", p, p, b, 1.0, aug, 0, b, aug, 0, b, 1.0, acc, off, p);
          off += p * p;
          Blas.get().dgemm("T", "N", q, q, br, 1.0, deltas[l], 0, br, deltas[l], 0, br, 1.0, acc, off, q);
          off += q * q;
        }
      }
    };
  }
}
