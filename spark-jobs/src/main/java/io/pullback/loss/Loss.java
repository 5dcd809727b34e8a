package io.pullback.loss;

import io.pullback.Names;
import io.pullback.PullbackException;
import io.pullback.model.Model;
import io.pullback.model.OutputDistribution;

/**
 * Training losses (DESIGN.md section 1), averaged with the example weights {@code w_x/Σw}:
 * <ul>
 *   <li>{@code mse}: {@code ℓ = ||f(x) − y||²} (no ½, the seed's convention), for Gaussian-output
 *       models ({@code linear-basis}, {@code mlp});</li>
 *   <li>{@code cross-entropy}: {@code ℓ = −log p(y|x)}, for {@code logistic} (Bernoulli of the logit),
 *       {@code softmax} (categorical) and {@code mlp} with those likelihoods; with K Bernoulli outputs
 *       {@code ℓ = −Σ_k [y_k log p_k + (1 − y_k) log(1 − p_k)]} (labels in [0, 1]).</li>
 * </ul>
 * The per-example derivative with respect to the outputs, {@code c = ∂ℓ/∂f}, is what the gradient
 * pass multiplies by the Jacobian: mse {@code 2(f − y)}; Bernoulli {@code σ(z_k) − y_k}; categorical
 * {@code p − e_y}.
 */
public enum Loss {
  MSE("mse"),
  CROSS_ENTROPY("cross-entropy");

  private final String cliName;

  Loss(String cliName) {
    this.cliName = cliName;
  }

  public String cliName() {
    return cliName;
  }

  /** {@code cross-entropy} for logistic/softmax outputs, {@code mse} otherwise. */
  public static Loss defaultFor(Model model) {
    return model.distribution() == OutputDistribution.GAUSSIAN ? MSE : CROSS_ENTROPY;
  }

  /** Parses a CLI name; null gives the model's default. */
  public static Loss parse(String name, Model model) {
    if (name == null) return defaultFor(model);
    Loss l = Names.find(values(), Loss::cliName, name);
    if (l != null) {
      l.requireCompatible(model);
      return l;
    }
    throw PullbackException.usage("{loss}: unknown loss '" + name + "'; valid: mse, cross-entropy");
  }

  /** Refuses a loss the model's outputs cannot define. */
  public void requireCompatible(Model model) {
    boolean gaussian = model.distribution() == OutputDistribution.GAUSSIAN;
    if (this == MSE && !gaussian) {
      throw PullbackException.usage("{loss} mse needs real-valued outputs; the " + model.kind() + " model is trained with {loss} cross-entropy");
    }
    if (this == CROSS_ENTROPY && gaussian) {
      throw PullbackException.usage("{loss} cross-entropy needs a logistic or softmax model; the " + model.kind() + " model is trained with {loss} mse");
    }
  }

  @Override
  public String toString() {
    return cliName;
  }
}
