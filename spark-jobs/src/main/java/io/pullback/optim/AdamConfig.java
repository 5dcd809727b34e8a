package io.pullback.optim;

/**
 * Adam ({@code adam}) and AdamW ({@code adamw}, decoupled weight decay), with bias correction:
 * {@code m ← β1 m + (1−β1) g}, {@code v ← β2 v + (1−β2) g∘g},
 * {@code θ ← θ − η m̂/(√v̂ + ε) − η λ_wd θ}. See {@link Adam}.
 *
 * @param decoupled true for adamw, the only one of the two that accepts a weight decay
 * @param learningRate η &gt; 0 and finite (default 1e-3)
 * @param adamBeta1 β1 ∈ [0, 1) (default 0.9)
 * @param adamBeta2 β2 ∈ [0, 1) (default 0.999)
 * @param adamEpsilon ε &gt; 0 and finite (default 1e-8)
 * @param weightDecay λ_wd ≥ 0 (default 0); non-zero only for adamw
 */
public record AdamConfig(boolean decoupled, double learningRate, double adamBeta1, double adamBeta2, double adamEpsilon,
                         double weightDecay) implements OptimizerConfig {
  public AdamConfig {
    Checks.positive("learningRate", learningRate);
    OptimizerConfig.checkWeightDecay(decoupled ? "adamw" : "adam", weightDecay);
    Checks.unitInterval("adamBeta1", adamBeta1);
    Checks.unitInterval("adamBeta2", adamBeta2);
    Checks.positive("adamEpsilon", adamEpsilon);
  }

  /** η = 1e-3, β1 = 0.9, β2 = 0.999, ε = 1e-8, no weight decay. */
  public static AdamConfig defaults(boolean decoupled) {
    return new AdamConfig(decoupled, 1e-3, 0.9, 0.999, 1e-8, 0.0);
  }

  @Override
  public String name() {
    return decoupled ? "adamw" : "adam";
  }

  @Override
  public Optimizer create() {
    return new Adam(this);
  }
}
