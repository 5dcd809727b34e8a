package io.pullback.optim;

/**
 * SGD with momentum ({@code momentum}): heavy ball {@code v ← μ v + g, θ ← θ − η v}, or with
 * {@code nesterov} Nesterov's form {@code v ← μ v + g, θ ← θ − η (g + μ v)} (Sutskever et al. 2013,
 * as PyTorch's {@code SGD(nesterov=True)}); {@code v₀ = 0}. See {@link GradientDescent}.
 *
 * @param learningRate η &gt; 0 and finite (default 0.01)
 * @param momentum μ ∈ [0, 1) (default 0.9; μ = 0 is {@code gd})
 * @param nesterov whether the step looks ahead along the new velocity (default false)
 */
public record MomentumConfig(double learningRate, double momentum, boolean nesterov) implements OptimizerConfig {
  /** Heavy ball. */
  public MomentumConfig(double learningRate, double momentum) {
    this(learningRate, momentum, false);
  }

  public MomentumConfig {
    Checks.positive("learningRate", learningRate);
    Checks.unitInterval("momentum", momentum);
  }

  /** η = 0.01, μ = 0.9. */
  public static MomentumConfig defaults() {
    return new MomentumConfig(0.01, 0.9);
  }

  @Override
  public String name() {
    return "momentum";
  }

  @Override
  public Optimizer create() {
    return new GradientDescent(this);
  }
}
