package io.pullback.optim;

import io.pullback.Names;
import java.util.Locale;

/**
 * The induced-metric optimisers ({@code induced}, {@code induced-log}, {@code induced-adam}) of
 * Harvey et al.: a bias-corrected momentum {@code m̂} scaled by {@code a_t = 1/(1 + |ŝ_t|)} (or
 * {@code L_t/(L_t² + ŝ_t)} for induced-log), {@code ŝ} the moving average of {@code ξ‖g‖²} (of
 * {@code ξ gᵀD⁻¹g} with Adam's RMS diagonal D for induced-adam). Formulas:
 * {@link InducedMetricOptimizer}.
 *
 * @param variant which of the three
 * @param learningRate η &gt; 0 and finite (default 0.1)
 * @param xi ξ ≥ 0 and finite (default 0.1)
 * @param inducedBeta β ∈ [0, 1), EMA factor of the metric scale s (default 0.1)
 * @param inducedMomentum μ ∈ [0, 1), EMA factor of the momentum m (default 0.9)
 * @param betaRms β_rms ∈ [0, 1) of induced-adam's second moment (default 0.99)
 * @param inducedEpsilon ε &gt; 0 and finite of induced-adam (default 1e-8)
 * @param weightDecay λ_wd ≥ 0, decoupled (default 0)
 */
public record InducedConfig(Variant variant, double learningRate, double xi, double inducedBeta, double inducedMomentum,
                            double betaRms, double inducedEpsilon, double weightDecay) implements OptimizerConfig {

  /** The three variants, by optimiser name. */
  public enum Variant {
    INDUCED("induced"), LOG("induced-log"), ADAM("induced-adam");

    private final String optimizerName;

    Variant(String optimizerName) {
      this.optimizerName = optimizerName;
    }

    /** The optimiser name. */
    public String optimizerName() {
      return optimizerName;
    }

    /** The variant of an induced optimiser's name. */
    public static Variant parse(String name) {
      Variant v = Names.find(values(), Variant::optimizerName, name.toLowerCase(Locale.ROOT));
      if (v != null) return v;
      throw new IllegalArgumentException("not an induced optimizer: " + name);
    }
  }

  public InducedConfig {
    if (variant == null) throw new IllegalArgumentException("variant must not be null");
    Checks.positive("learningRate", learningRate);
    OptimizerConfig.checkWeightDecay(variant.optimizerName(), weightDecay);
    Checks.nonNegative("xi", xi);
    Checks.unitInterval("inducedBeta", inducedBeta);
    Checks.unitInterval("inducedMomentum", inducedMomentum);
    Checks.unitInterval("betaRms", betaRms);
    Checks.positive("inducedEpsilon", inducedEpsilon);
  }

  /** η = 0.1, ξ = 0.1, β = 0.1, μ = 0.9, β_rms = 0.99, ε = 1e-8, no weight decay (the paper's). */
  public static InducedConfig defaults(Variant variant) {
    return new InducedConfig(variant, 0.1, 0.1, 0.1, 0.9, 0.99, 1e-8, 0.0);
  }

  @Override
  public String name() {
    return variant.optimizerName();
  }

  @Override
  public Optimizer create() {
    return new InducedMetricOptimizer(this);
  }
}
