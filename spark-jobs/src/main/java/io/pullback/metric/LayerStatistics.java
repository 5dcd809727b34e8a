package io.pullback.metric;

import io.pullback.data.ExampleBlock;
import io.pullback.model.LayeredModel;

/**
 * A block's per-layer inputs and back-propagated factor-row coefficients
 * ({@link LayeredModel#layerStatistics}) with the coefficients of a {@link FactorRows}, from one
 * evaluation of the model: {@link #inputs()}{@code [l]} column-major {@code B × in_l},
 * {@link #deltas()}{@code [l]} column-major {@code (B·r) × out_l} (they carry {@code √w_b}), so
 * factor row {@code (b, i)} restricted to layer l is {@code δ_l[(b,i), o] · [a_l[b]; 1]}. What K-FAC,
 * EKFAC and the layered block product consume. Buffers grow to the largest block and are reused;
 * not thread-safe.
 */
public final class LayerStatistics {
  private final FactorRows rows;
  private final LayeredModel model;
  private final double[][] inputs;
  private final double[][] deltas;
  private double[] coef = new double[0];

  /** @throws IllegalArgumentException when the model has no layers, naming {@code what} needs them */
  public LayerStatistics(FactorRows rows, String what) {
    this.rows = rows;
    this.model = layered(rows, what);
    this.inputs = new double[model.layers()][];
    this.deltas = new double[model.layers()][];
  }

  /** The model as a layered one, or an error naming {@code what} needs layers. */
  public static LayeredModel layered(FactorRows rows, String what) {
    if (rows.model() instanceof LayeredModel layered) return layered;
    throw new IllegalArgumentException(what + " needs a layered model (logistic, softmax or mlp), not " + rows.model().kind());
  }

  public LayeredModel model() {
    return model;
  }

  /** Evaluates the block (one forward pass; the coefficients from its outputs; their back-propagation). */
  public void compute(double[] theta, ExampleBlock block) {
    int need = block.rows() * rows.rowsPerExample() * model.outputDim();
    if (coef.length < need) coef = new double[need];
    model.layerStatistics(theta, block, outputs -> {
      rows.coefficientsAt(block, outputs, coef);
      return coef;
    }, rows.rowsPerExample(), inputs, deltas);
  }

  /** Per layer the inputs of the last block, column-major {@code B × in_l} (shared, not copied). */
  public double[][] inputs() {
    return inputs;
  }

  /** Per layer the back-propagated coefficient rows of the last block, column-major {@code (B·r) × out_l} (shared). */
  public double[][] deltas() {
    return deltas;
  }
}
