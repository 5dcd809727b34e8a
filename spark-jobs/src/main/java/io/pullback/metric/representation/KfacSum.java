package io.pullback.metric.representation;

import io.pullback.data.ExampleBlock;
import io.pullback.metric.aggregate.GramAccumulator;
import io.pullback.metric.FactorRows;
import io.pullback.metric.LayerStatistics;
import io.pullback.metric.aggregate.BlockSum;
import io.pullback.model.LayeredModel;

/**
 * The unnormalised Kronecker factors of every layer, concatenated: for layer l with
 * {@code p = in_l + 1} and {@code q = out_l}, first {@code A_l = Σ_b w_b ã_b ã_bᵀ} ({@code p × p},
 * {@code ã = [a_l; 1]}), then {@code S_l = Σ_{b,i} δ_{b,i} δ_{b,i}ᵀ} ({@code q × q}; the δ's are the
 * back-propagated factor-row coefficients, which carry {@code √w_b}). Both are Grams of rows,
 * accumulated per partition with the metric's own {@link GramAccumulator} kernel (one level-3 BLAS
 * call each per block). Cost per block: one forward pass ({@link LayerStatistics}), the back-propagation of
 * {@code B·r} cotangents, and {@code 2·B·p² + 2·B·r·q²} flops per layer.
 */
final class KfacSum implements BlockSum {
  private static final long serialVersionUID = 1L;
  private final FactorRows rows;
  private final double[] theta;

  KfacSum(FactorRows rows, double[] theta) {
    LayerStatistics.layered(rows, "kfac");
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
    LayerStatistics stats = new LayerStatistics(rows, "kfac");
    LayeredModel model = stats.model();
    int layers = model.layers();
    int r = rows.rowsPerExample();
    double[][] inputs = stats.inputs();
    double[][] deltas = stats.deltas();
    GramAccumulator[] aGram = new GramAccumulator[layers];
    GramAccumulator[] sGram = new GramAccumulator[layers];
    for (int l = 0; l < layers; l++) {
      aGram[l] = new GramAccumulator(model.layerInputs(l) + 1);
      sGram[l] = new GramAccumulator(model.layerOutputs(l));
    }
    return new Adder() {
      private double[] aug = new double[0];

      @Override
      public void add(ExampleBlock block, double[] acc) {
        int b = block.rows();
        if (b == 0) return;
        stats.compute(theta, block);
        int br = b * r;
        for (int l = 0; l < layers; l++) {
          int in = model.layerInputs(l);
          int p = in + 1;
          if (aug.length < b * p) aug = new double[b * p];
          for (int e = 0; e < b; e++) {
            double sw = Math.sqrt(block.weight(e));
            for (int j = 0; j < in; j++) aug[j * b + e] = sw * inputs[l][j * b + e];
            aug[in * b + e] = sw;
          }
          aGram[l].add(aug, b, block.weightSum(), b);
          sGram[l].add(deltas[l], br, block.weightSum(), b);
        }
      }

      @Override
      public void finish(double[] acc) {
        int off = 0;
        for (int l = 0; l < layers; l++) {
          BlockSum.addGram(aGram[l], acc, off);
          off += aGram[l].n() * aGram[l].n();
          BlockSum.addGram(sGram[l], acc, off);
          off += sGram[l].n() * sGram[l].n();
        }
      }
    };
  }
}
