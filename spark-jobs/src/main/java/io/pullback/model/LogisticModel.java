package io.pullback.model;

import io.pullback.data.ExampleBlock;
import java.util.SplittableRandom;

/**
 * Logistic regression: one output, the logit {@code z = w·x + b}; {@code p(y=1|x) = σ(z)}
 * ({@link OutputDistribution#BERNOULLI_LOGIT}).
 *
 * <p><b>Layout.</b> {@code θ = [w_1..w_D, b]}, N = D + 1.
 *
 * <p><b>Jacobian.</b> {@code ∂z/∂θ = [x, 1]}, independent of θ.
 *
 * <p><b>Cost</b> per block of B examples: forward and Jacobian O(B·(D+1)); no work memory.
 *
 * <p><b>Initial parameters.</b> Every θ_i, the bias included, {@code ~ N(0, 1/(D+1))} i.i.d. from
 * {@code SplittableRandom(seed)} (fan-in D+1: the bias is treated as the weight of a constant
 * feature).
 */
public final class LogisticModel implements LayeredModel {
  private static final long serialVersionUID = 1L;

  private final int inputDim;

  public LogisticModel(int inputDim) {
    this.inputDim = ModelChecks.positive("inputDim", inputDim);
  }

  @Override public String kind() { return "logistic"; }
  @Override public int inputDim() { return inputDim; }
  @Override public int outputDim() { return 1; }
  @Override public int numParams() { return inputDim + 1; }
  @Override public OutputDistribution distribution() { return OutputDistribution.BERNOULLI_LOGIT; }

  @Override
  public String parameterLayout() {
    return "logistic (D=" + inputDim + "): theta = [w_1..w_D, b], logit z = w.x + b; N = D+1 = " + numParams();
  }

  @Override
  public void forward(double[] theta, ExampleBlock block, double[] out) {
    ModelChecks.forward(this, theta, block, out);
    int rows = block.rows();
    double[] x = block.features();
    double bias = theta[inputDim];
    for (int b = 0; b < rows; b++) {
      int off = b * inputDim;
      double z = bias;
      for (int d = 0; d < inputDim; d++) z += theta[d] * x[off + d];
      out[b] = z;
    }
  }

  @Override
  public void jacobian(double[] theta, ExampleBlock block, double[] out, double[] jac) {
    ModelChecks.jacobian(this, theta, block, out, jac);
    forward(theta, block, out);
    int rows = block.rows();
    double[] x = block.features();
    io.pullback.linalg.Transpose.rowToColumnMajor(x, rows, inputDim, jac, 0, rows, 1);
    int col = inputDim * rows;
    for (int b = 0; b < rows; b++) jac[col + b] = 1.0;
  }

  /** The row-major Jacobian {@code [x_b, 1]} is a row copy: cheaper than the column-major transposition. */
  @Override
  public boolean hasRowMajorJacobian() {
    return true;
  }

  @Override
  public void jacobianRowMajor(double[] theta, ExampleBlock block, double[] out, double[] jac) {
    ModelChecks.jacobian(this, theta, block, out, jac);
    forward(theta, block, out);
    int rows = block.rows();
    double[] x = block.features();
    int n = inputDim + 1;
    for (int b = 0; b < rows; b++) {
      System.arraycopy(x, b * inputDim, jac, b * n, inputDim);
      jac[b * n + inputDim] = 1.0;
    }
  }

  /** {@code θ_i ~ N(0, 1/(D+1))} i.i.d. (bias included), in index order from {@code new SplittableRandom(seed)}. */
  @Override
  public double[] initialParams(long seed) {
    return ModelChecks.gaussianParams(seed, numParams(), 1.0 / Math.sqrt(inputDim + 1.0));
  }

  @Override
  public String toString() {
    return "LogisticModel[D=" + inputDim + "]";
  }

  @Override public int layers() { return 1; }
  @Override public int layerInputs(int layer) { return inputDim(); }
  @Override public int layerOutputs(int layer) { return 1; }
  @Override public int paramIndex(int layer, int o, int i) { return i; }
  @Override public int layerStart(int layer) { return 0; }

  @Override
  public void layerStatistics(double[] theta, ExampleBlock block, double[] cot, int r, double[][] inputs, double[][] deltas) {
    LayeredModel.singleLayerStatistics(block, 1, cot, r, inputs, deltas);
  }
}
