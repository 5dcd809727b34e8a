package io.pullback.optim;

/** Creates optimisers from a validated {@link OptimizerConfig}. */
public final class Optimizers {
  private Optimizers() {}

  /** A new optimiser for {@code config.optimizer()} (one of {@link OptimizerConfig#OPTIMIZERS}). */
  public static Optimizer create(OptimizerConfig config) {
    return switch (config.optimizer()) {
      case "ngd" -> new NaturalGradient(config);
      case "gd", "momentum" -> new GradientDescent(config);
      case "adam", "adamw" -> new Adam(config);
      case "induced", "induced-log", "induced-adam" -> new InducedMetricOptimizer(config);
      default -> throw new IllegalArgumentException("unknown optimizer " + config.optimizer());
    };
  }
}
