package io.pullback.optim;

/**
 * Heavy-ball momentum ({@code momentum}): {@code v ← μ v + g, θ ← θ − η v}, {@code v₀ = 0}. See
 * {@link GradientDescent}.
 *
 * @param learningRate η &gt; 0 and finite (default 0.01)
 * @param momentum μ ∈ [0, 1) (default 0.9; μ = 0 is {@code gd})
 */
public record MomentumConfig(double learningRate, double momentum) implements OptimizerConfig {
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
