package io.pullback.optim;

import java.util.Map;

/**
 * Plain gradient descent {@code θ ← θ − η g} ({@code gd}) and heavy-ball momentum
 * ({@code momentum}): {@code v ← μ v + g, θ ← θ − η v}, with {@code v₀ = 0}. Cost O(N) per step;
 * state: the velocity v (momentum only) and the step counter.
 */
public final class GradientDescent implements Optimizer {
  private final String name;
  private final double lr;
  private final double mu;
  private final boolean nesterov;
  private double[] velocity;
  private long t;

  GradientDescent(GradientDescentConfig c) {
    this.name = c.name();
    this.lr = c.learningRate();
    this.mu = 0.0;
    this.nesterov = false;
  }

  GradientDescent(MomentumConfig c) {
    this.name = c.name();
    this.lr = c.learningRate();
    this.mu = c.momentum();
    this.nesterov = c.nesterov();
  }

  @Override
  public double[] step(StepInput in) {
    t = Steps.advance(name, t, in);
    double[] g = in.gradient();
    double[] theta = in.theta();
    double[] out = new double[theta.length];
    if (name.equals("gd")) {
      for (int i = 0; i < theta.length; i++) {
        out[i] = theta[i] - lr * g[i];
      }
      return out;
    }
    if (velocity == null) {
      velocity = new double[theta.length];
    }
    Steps.requireLength(velocity, theta);
    for (int i = 0; i < theta.length; i++) {
      velocity[i] = mu * velocity[i] + g[i];
      out[i] = theta[i] - lr * (nesterov ? g[i] + mu * velocity[i] : velocity[i]);
    }
    return out;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public double learningRate() {
    return lr;
  }

  @Override
  public OptimizerState state() {
    return new OptimizerState(name, velocity == null ? Map.of() : Map.of("velocity", velocity), Map.of(),
        Map.of("t", t));
  }

  @Override
  public void restore(OptimizerState s) {
    s.requireOptimizer(name);
    t = s.counter("t");
    double[] v = s.arrays().get("velocity");
    velocity = v == null ? null : v.clone();
  }
}
