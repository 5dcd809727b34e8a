package io.pullback.loss;

import io.pullback.data.ExampleBlock;
import io.pullback.model.Model;
import java.io.Serializable;

/**
 * The weighted loss sum and gradient of a block: {@code Σ_b w_b ℓ(x_b)} and
 * {@code Σ_b w_b J(x_b)ᵀ c_b} with {@code c_b = ∂ℓ/∂f(x_b)} (see {@link Loss}).
 *
 * <p>Cost per block: a forward pass and one vector-Jacobian product {@link Model#vjp} (reverse mode
 * for the MLP: {@code O(B·N)} flops, no Jacobian stored; the other models form the Jacobian,
 * {@code O(B·K·N)} memory, and call {@code dgemv}). Scratch buffers are per instance and not thread-safe; each Spark task
 * works on its own deserialised copy.
 */
public final class LossGradient implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Model model;
  private final Loss loss;
  private transient double[] outputs;
  private transient double[] coefficients;
  private transient double squaredError;

  public LossGradient(Model model, Loss loss) {
    loss.requireCompatible(model);
    this.model = model;
    this.loss = loss;
  }

  public Model model() {
    return model;
  }

  public Loss loss() {
    return loss;
  }

  /**
   * Adds the block's weighted gradient into {@code gradient} and returns its weighted loss sum.
   *
   * @param theta parameters (not modified)
   * @param block examples (not modified)
   * @param gradient (modified) length N, accumulated into
   */
  public double accumulate(double[] theta, ExampleBlock block, double[] gradient) {
    int b = block.rows();
    int k = model.outputDim();
    int rows = b * k;
    squaredError = 0;
    if (rows == 0) return 0.0;
    if (outputs == null || outputs.length < rows) outputs = new double[rows];
    if (coefficients == null || coefficients.length < rows) coefficients = new double[rows];
    model.forward(theta, block, outputs);
    double total = 0;
    squaredError = 0;
    for (int e = 0; e < b; e++) {
      double w = block.weight(e);
      total += w * lossAndCoefficients(block, e, k, outputs, coefficients);
      squaredError += w * squaredError(block, e, k, outputs, coefficients);
      for (int j = 0; j < k; j++) coefficients[e * k + j] *= w;
    }
    model.vjp(theta, block, coefficients, gradient);
    return total;
  }

  /**
   * The weighted squared error of the block of the last {@link #accumulate}:
   * {@code Σ_b w_b ‖E[y|x_b] − y_b‖²} with the model's mean prediction — Gaussian f, Bernoulli
   * {@code p_k = σ(f_k)} (an autoencoder's squared reconstruction error, summed over the outputs),
   * categorical the probabilities against the one-hot label (the Brier score). Free: from the same
   * forward pass.
   */
  public double squaredErrorSum() {
    return squaredError;
  }

  /** ‖E[y|x_e] − y_e‖², from the loss coefficients c = ∂ℓ/∂f of example e (already written). */
  private double squaredError(ExampleBlock block, int e, int k, double[] f, double[] c) {
    double s = 0;
    for (int j = 0; j < k; j++) {
      // Gaussian: c = 2(f − y); Bernoulli: c = p − y; categorical: c = p − e_y.
      double r = model.distribution() == io.pullback.model.OutputDistribution.GAUSSIAN ? c[e * k + j] / 2 : c[e * k + j];
      s += r * r;
    }
    return s;
  }

  /** The weighted loss sum of a block without the gradient (one forward pass). */
  public double lossOnly(double[] theta, ExampleBlock block) {
    int b = block.rows();
    int k = model.outputDim();
    if (b == 0) return 0.0;
    if (outputs == null || outputs.length < b * k) outputs = new double[b * k];
    if (coefficients == null || coefficients.length < b * k) coefficients = new double[b * k];
    model.forward(theta, block, outputs);
    double total = 0;
    for (int e = 0; e < b; e++) total += block.weight(e) * lossAndCoefficients(block, e, k, outputs, coefficients);
    return total;
  }

  /**
   * Whether {@link #lossAndCorrect} counts correct predictions: a categorical output (the most
   * probable class) or a single Bernoulli output (p &gt; ½), not a Gaussian one nor several Bernoulli
   * outputs (an autoencoder).
   */
  public boolean hasAccuracy() {
    return model.distribution() == io.pullback.model.OutputDistribution.CATEGORICAL_SOFTMAX
        || (model.distribution() == io.pullback.model.OutputDistribution.BERNOULLI_LOGIT && model.outputDim() == 1);
  }

  /**
   * The weighted loss sum of a block and the weighted count of its examples predicted right, from one
   * forward pass: categorical, the class of the largest output (the first of equal ones) against the
   * label; one Bernoulli output, {@code f > 0} (p &gt; ½) against {@code y > ½}. The count is 0 when
   * {@link #hasAccuracy} is false.
   *
   * @return {loss sum, correct weight}
   */
  public double[] lossAndCorrect(double[] theta, ExampleBlock block) {
    double loss = lossOnly(theta, block);
    int k = model.outputDim();
    double correct = 0;
    for (int e = 0; hasAccuracy() && e < block.rows(); e++) {
      boolean right;
      if (k == 1) {
        right = (outputs[e] > 0) == (block.label(e) > 0.5);
      } else {
        int best = 0;
        for (int j = 1; j < k; j++) if (outputs[e * k + j] > outputs[e * k + best]) best = j;
        right = best == (int) block.label(e);
      }
      if (right) correct += block.weight(e);
    }
    return new double[] {loss, correct};
  }

  /** ℓ of example e, writing {@code ∂ℓ/∂f} into {@code c[e·K .. e·K+K)}. */
  private double lossAndCoefficients(ExampleBlock block, int e, int k, double[] f, double[] c) {
    int o = e * k;
    switch (model.distribution()) {
      case GAUSSIAN -> {
        double l = 0;
        for (int j = 0; j < k; j++) {
          double r = f[o + j] - block.labels()[e * block.labelDim() + j];
          l += r * r;
          c[o + j] = 2 * r;
        }
        return l;
      }
      case BERNOULLI_LOGIT -> {
        // Σ_k softplus(z_k) − y_k z_k = −Σ_k [y_k log p_k + (1 − y_k) log(1 − p_k)], ∂/∂z_k = p_k − y_k.
        double l = 0;
        int yo = e * block.labelDim();
        for (int j = 0; j < k; j++) {
          double z = f[o + j];
          double y = block.labels()[yo + j];
          double softplus = Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
          double p = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
          c[o + j] = p - y;
          l += softplus - y * z;
        }
        return l;
      }
      case CATEGORICAL_SOFTMAX -> {
        int y = (int) block.label(e);
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < k; j++) max = Math.max(max, f[o + j]);
        double sum = 0;
        for (int j = 0; j < k; j++) sum += Math.exp(f[o + j] - max);
        double logSum = max + Math.log(sum);
        for (int j = 0; j < k; j++) c[o + j] = Math.exp(f[o + j] - logSum) - (j == y ? 1 : 0);
        return logSum - f[o + y];
      }
      default -> throw new AssertionError(model.distribution());
    }
  }
}
