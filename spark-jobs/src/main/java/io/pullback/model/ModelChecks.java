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
    if (theta.length != m.numParams()) {
      throw new IllegalArgumentException(m.kind() + " model: theta has " + theta.length
          + " values, expected N = " + m.numParams() + " (" + m.parameterLayout() + ")");
    }
    if (block.dim() != m.inputDim()) {
      throw new IllegalArgumentException(m.kind() + " model: block has " + block.dim()
          + " features per example, the model expects D = " + m.inputDim());
    }
    long need = (long) block.rows() * m.outputDim();
    if (outputs.length < need) {
      throw new IllegalArgumentException("outputs has " + outputs.length + " values, needs B*K = " + need);
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
