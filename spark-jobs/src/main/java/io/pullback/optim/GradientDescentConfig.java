package io.pullback.optim;

/**
 * Plain gradient descent ({@code gd}): {@code θ ← θ − η g}. See {@link GradientDescent}.
 *
 * @param learningRate η &gt; 0 and finite (default 0.01)
 */
public record GradientDescentConfig(double learningRate) implements OptimizerConfig {
  public GradientDescentConfig {
    Checks.positive("learningRate", learningRate);
  }

  /** η = 0.01. */
  public static GradientDescentConfig defaults() {
    return new GradientDescentConfig(0.01);
  }

  @Override
  public String name() {
    return "gd";
  }

  @Override
  public Optimizer create() {
    return new GradientDescent(this);
  }
}
