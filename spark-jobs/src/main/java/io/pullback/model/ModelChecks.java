package io.pullback.model;

import io.pullback.data.ExampleBlock;

/** Argument checks shared by the models; every message names the offending value and what is valid. */
final class ModelChecks {
  private ModelChecks() {}

  /** "tanh, relu, gelu, sigmoid, linear". */
  static String activationNames() {
    return io.pullback.Names.list(Activation.values(), Activation::cliName);
  }

  static void forward(Model m, double[] theta, ExampleBlock block, double[] outputs) {
    inputs(m, theta, block);
    long need = (long) block.rows() * m.outputDim();
    if (outputs.length < need) {
      throw new IllegalArgumentException("outputs has " + outputs.length + " values, needs B*K = " + need);
    }
  }

  /** θ's length and the block's width (what a pass that writes no outputs checks). */
  static void inputs(Model m, double[] theta, ExampleBlock block) {
    if (theta.length != m.numParams()) {
      throw new IllegalArgumentException(m.kind() + " model: theta has " + theta.length
          + " values, expected N = " + m.numParams() + " (" + m.parameterLayout() + ")");
    }
    if (block.dim() != m.inputDim()) {
      throw new IllegalArgumentException(m.kind() + " model: block has " + block.dim()
          + " features per example, the model expects D = " + m.inputDim());
    }
  }

  /** {@code s} vectors of length N in {@code v} and an accumulator of {@code s·N} values. */
  static void products(Model m, double[] v, int s, double[] acc) {
    long need = (long) s * m.numParams();
    if (s < 0 || v.length < need || acc.length < need) {
      throw new IllegalArgumentException("s = " + s + " vectors of N = " + m.numParams() + " need " + need
          + " values; v has " + v.length + ", acc " + acc.length);
    }
  }

  static void jacobian(Model m, double[] theta, ExampleBlock block, double[] outputs, double[] jac) {
    forward(m, theta, block, outputs);
    long need = (long) block.rows() * m.outputDim() * m.numParams();
    if (need > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("a Jacobian of B*K*N = " + need
          + " values does not fit in one array; use smaller blocks (B = " + block.rows() + ")");
    }
    if (jac.length < need) {
      throw new IllegalArgumentException("jacobian has " + jac.length + " values, needs B*K*N = " + need);
    }
  }

  static int positive(String name, int value) {
    if (value < 1) throw new IllegalArgumentException(name + " must be >= 1, got " + value);
    return value;
  }

  /** {@code n} values {@code sd·N(0,1)} i.i.d., in index order from {@code new SplittableRandom(seed)}. */
  static double[] gaussianParams(long seed, int n, double sd) {
    java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
    double[] theta = new double[n];
    for (int i = 0; i < n; i++) theta[i] = sd * rng.nextGaussian();
    return theta;
  }
}
