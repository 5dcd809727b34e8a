package io.pullback.optim;

import java.util.Map;

/**
 * Adam ({@code adam}) and AdamW ({@code adamw}, decoupled weight decay), Kingma &amp; Ba 2015 /
 * Loshchilov &amp; Hutter 2019, with bias correction:
 * <pre>
 *   m ← β1 m + (1−β1) g,   v ← β2 v + (1−β2) g∘g,
 *   m̂ = m/(1−β1ᵗ),  v̂ = v/(1−β2ᵗ),
 *   θ ← θ − η m̂/(√v̂ + ε) − η λ_wd θ        (the last term for adamw only)
 * </pre>
 * Cost O(N) per step; state m, v and t.
 */
public final class Adam implements Optimizer {
  private final String name;
  private final double lr;
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private double[] m;
  private double[] v;
  private long t;

  Adam(AdamConfig c) {
    this.name = c.name();
    this.lr = c.learningRate();
    this.beta1 = c.adamBeta1();
    this.beta2 = c.adamBeta2();
    this.eps = c.adamEpsilon();
    this.weightDecay = c.weightDecay(); // 0 for adam (AdamConfig refuses another value)
  }

  @Override
  public double[] step(StepInput in) {
    t = Steps.advance(name, t, in);
    double[] g = in.gradient();
    double[] theta = in.theta();
    int n = theta.length;
    if (m == null) {
      m = new double[n];
      v = new double[n];
    }
    Steps.requireLength(m, theta);
    double c1 = 1 - Math.pow(beta1, t);
    double c2 = 1 - Math.pow(beta2, t);
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      m[i] = beta1 * m[i] + (1 - beta1) * g[i];
      v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
      double mHat = m[i] / c1;
      double vHat = v[i] / c2;
      out[i] = theta[i] - lr * mHat / (Math.sqrt(vHat) + eps) - lr * weightDecay * theta[i];
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
    return new OptimizerState(name, m == null ? Map.of() : Map.of("m", m, "v", v), Map.of(), Map.of("t", t));
  }

  @Override
  public void restore(OptimizerState s) {
    s.requireOptimizer(name);
    t = s.counter("t");
    double[] mm = s.arrays().get("m");
    double[] vv = s.arrays().get("v");
    if ((mm == null) != (vv == null)) {
      throw io.pullback.PullbackException.data("adam state must hold both arrays m and v or neither");
    }
    m = mm == null ? null : mm.clone();
    v = vv == null ? null : s.array("v", mm.length);
  }
}
