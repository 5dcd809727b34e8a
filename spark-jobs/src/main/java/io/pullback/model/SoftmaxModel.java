package io.pullback.model;

import io.pullback.data.ExampleBlock;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Multinomial logistic regression: K logits {@code z_k = Σ_j W[k,j]·x_j + W[k,D]};
 * {@code p = softmax(z)} ({@link OutputDistribution#CATEGORICAL_SOFTMAX}).
 *
 * <p><b>Layout.</b> {@code θ = vec(W)}, {@code W ∈ R^{K×(D+1)}} row-major, last column the bias:
 * {@code θ[k·(D+1) + j]} is the weight of feature j for class k, {@code θ[k·(D+1) + D]} the bias of
 * class k. N = K·(D+1). The parametrisation is over-complete (adding the same vector to every row
 * of W changes no probability), so the {@code fisher} metric has a null space of dimension D+1.
 *
 * <p><b>Jacobian.</b> {@code ∂z_k/∂θ[k'·(D+1)+j] = δ_{kk'}·x̃_j} with {@code x̃ = [x, 1]}.
 *
 * <p><b>Cost</b> per block of B examples: forward O(B·K·(D+1)); Jacobian write O(B·K·N)
 * (a fraction (K−1)/K of it zeros); no work memory.
 *
 * <p><b>Initial parameters.</b> Every θ_i, biases included, {@code ~ N(0, 1/(D+1))} i.i.d. from
 * {@code SplittableRandom(seed)}.
 */
public final class SoftmaxModel implements LayeredModel {
  private static final long serialVersionUID = 1L;

  private final int inputDim;
  private final int classes;

  public SoftmaxModel(int inputDim, int classes) {
    this.inputDim = ModelChecks.positive("inputDim", inputDim);
    if (classes < 2) {
      throw new IllegalArgumentException("classes (K) must be >= 2 for softmax, got " + classes
          + "; use logistic for two classes with one logit");
    }
    this.classes = classes;
  }

  @Override public String kind() { return "softmax"; }
  @Override public int inputDim() { return inputDim; }
  @Override public int outputDim() { return classes; }
  @Override public int numParams() { return classes * (inputDim + 1); }
  @Override public OutputDistribution distribution() { return OutputDistribution.CATEGORICAL_SOFTMAX; }

  @Override
  public String parameterLayout() {
    return "softmax (D=" + inputDim + ", K=" + classes + "): theta = vec(W), W in R^{K x (D+1)} row-major, "
        + "theta[k*(D+1) + j] = weight of feature j for class k, theta[k*(D+1) + D] = bias of class k; N = "
        + numParams();
  }

  @Override
  public void forward(double[] theta, ExampleBlock block, double[] out) {
    ModelChecks.forward(this, theta, block, out);
    int rows = block.rows();
    int d1 = inputDim + 1;
    double[] x = block.features();
    for (int b = 0; b < rows; b++) {
      int off = b * inputDim;
      for (int k = 0; k < classes; k++) {
        int w = k * d1;
        double z = theta[w + inputDim];
        for (int j = 0; j < inputDim; j++) z += theta[w + j] * x[off + j];
        out[b * classes + k] = z;
      }
    }
  }

  @Override
  public void jacobian(double[] theta, ExampleBlock block, double[] out, double[] jac) {
    ModelChecks.jacobian(this, theta, block, out, jac);
    forward(theta, block, out);
    int rows = block.rows();
    int bk = rows * classes;
    int d1 = inputDim + 1;
    double[] x = block.features();
    Arrays.fill(jac, 0, bk * numParams(), 0.0);
    for (int k = 0; k < classes; k++) {
      // Column (k, j) holds x_j at rows b·K + k: a blocked transpose with row stride K.
      io.pullback.linalg.Transpose.rowToColumnMajor(x, rows, inputDim, jac, k * d1 * bk + k, bk, classes);
      int bias = (k * d1 + inputDim) * bk + k;
      for (int b = 0; b < rows; b++) jac[bias + b * classes] = 1.0;
    }
  }

  /** {@code θ_i ~ N(0, 1/(D+1))} i.i.d. (biases included), in index order from {@code new SplittableRandom(seed)}. */
  @Override
  public double[] initialParams(long seed) {
    return ModelChecks.gaussianParams(seed, numParams(), 1.0 / Math.sqrt(inputDim + 1.0));
  }

  @Override
  public String toString() {
    return "SoftmaxModel[D=" + inputDim + ", K=" + classes + "]";
  }

  @Override public int layers() { return 1; }
  @Override public int layerInputs(int layer) { return inputDim; }
  @Override public int layerOutputs(int layer) { return classes; }
  @Override public int paramIndex(int layer, int o, int i) { return o * (inputDim + 1) + i; }
  @Override public int layerStart(int layer) { return 0; }

  @Override
  public void layerStatistics(double[] theta, ExampleBlock block, double[] cot, int r, double[][] inputs, double[][] deltas) {
    LayeredModel.singleLayerStatistics(block, classes, cot, r, inputs, deltas);
  }
}
