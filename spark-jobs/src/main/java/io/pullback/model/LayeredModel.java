package io.pullback.model;

import io.pullback.data.ExampleBlock;

/**
 * A model made of affine layers {@code z_l = W_l a_l + b_l} (l = 0..layers−1, {@code a_0 = x}), so
 * that every per-example gradient restricted to layer l is a Kronecker product
 * {@code δ_l ⊗ [a_l; 1]}: what K-FAC and the per-layer block-diagonal metric need.
 *
 * <p>Implemented by {@code logistic} and {@code softmax} (one layer) and {@code mlp}.
 */
public interface LayeredModel extends Model {

  /** The number of affine layers. */
  int layers();

  /** {@code in_l}, the input width of layer l (without the bias). */
  int layerInputs(int layer);

  /** {@code out_l}, the output width of layer l. */
  int layerOutputs(int layer);

  /** The index in θ of {@code W_l[o, i]} for {@code i < in_l}, or of {@code b_l[o]} for {@code i = in_l}. */
  int paramIndex(int layer, int o, int i);

  /** The first θ index of layer l's parameters; layer l owns {@code [start_l, start_{l+1})}, contiguous. */
  int layerStart(int layer);

  /**
   * Per-layer inputs and back-propagated cotangents for a block: with {@code r} cotangent vectors
   * {@code c_{b,i} ∈ R^K} per example ({@code cot[(b·r + i)·K + k]}), writes
   * {@code inputs[l]} = the layer inputs {@code a_l}, column-major {@code B × in_l}, and
   * {@code deltas[l]} = {@code ∂(c_{b,i}ᵀ f(x_b))/∂z_l}, column-major {@code (B·r) × out_l}.
   * Then {@code c_{b,i}ᵀ ∂f/∂W_l[o, j] = deltas[l][o, (b,i)] · inputs[l][b, j]}.
   * Arrays are allocated when null or too short.
   */
  void layerStatistics(double[] theta, ExampleBlock block, double[] cot, int r, double[][] inputs, double[][] deltas);

  /** The cotangents of a block given its outputs: {@code B·r·K} values laid out as in {@link #layerStatistics}. */
  @FunctionalInterface
  interface CotangentsOf {
    /** @param outputs the block's outputs {@code B·K} (not modified); returns the cotangents (length at least {@code B·r·K}) */
    double[] apply(double[] outputs);
  }

  /**
   * As {@link #layerStatistics(double[], ExampleBlock, double[], int, double[][], double[][])}, with
   * cotangents that depend on the outputs (fisher kinds), computed from the same evaluation: the
   * default evaluates the model once for the outputs and again in {@code layerStatistics}; the MLP
   * overrides it with one forward pass.
   */
  default void layerStatistics(double[] theta, ExampleBlock block, CotangentsOf cot, int r, double[][] inputs, double[][] deltas) {
    double[] outputs = new double[Math.max(1, block.rows() * outputDim())];
    forward(theta, block, outputs);
    layerStatistics(theta, block, cot.apply(outputs), r, inputs, deltas);
  }

  /** For one-layer models ({@code z = W x + b}): inputs = x, deltas = the cotangents. */
  static void singleLayerStatistics(ExampleBlock block, int k, double[] cot, int r, double[][] inputs, double[][] deltas) {
    int rows = block.rows();
    int d = block.dim();
    if (inputs[0] == null || inputs[0].length < rows * d) inputs[0] = new double[Math.max(1, rows * d)];
    if (deltas[0] == null || deltas[0].length < rows * r * k) deltas[0] = new double[Math.max(1, rows * r * k)];
    double[] x = block.features();
    for (int b = 0; b < rows; b++) {
      for (int j = 0; j < d; j++) inputs[0][j * rows + b] = x[b * d + j];
    }
    int br = rows * r;
    for (int t = 0; t < br; t++) {
      for (int o = 0; o < k; o++) deltas[0][o * br + t] = cot[t * k + o];
    }
  }
}
