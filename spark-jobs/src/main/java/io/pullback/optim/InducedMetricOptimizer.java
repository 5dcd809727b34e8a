package io.pullback.optim;

import io.pullback.PullbackException;
import io.pullback.optim.InducedConfig.Variant;
import java.util.HashMap;
import java.util.Map;

/**
 * The induced-metric optimisers of Harvey et al., "Loss-landscape induced metric" (arXiv
 * 2509.03594; reference code github.com/harveyThomas4692/Induced-Metric-Optimiser,
 * {@code optimisers/torch_imp.py}, which this class follows step for step).
 *
 * <h2>Derivation</h2>
 * The graph of the loss {@code θ ↦ (θ, √ξ L(θ))} embeds parameter space in {@code R^{N+1}}. Pulling
 * back the Euclidean metric of {@code R^{N+1}} gives the induced metric
 * {@code g_ind = I + ξ ∇L ∇Lᵀ}. Its natural-gradient direction follows from Sherman–Morrison,
 * {@code (I + ξ g gᵀ)⁻¹ g = g − ξ g (gᵀg)/(1 + ξ‖g‖²) = g / (1 + ξ‖g‖²)}: the gradient, shrunk
 * by a scalar that approaches {@code 1/(ξ‖g‖²)} where the landscape is steep (a smooth gradient
 * clipping). With a diagonal base metric D (the RMS preconditioner of Adam),
 * {@code (D + ξ g gᵀ)⁻¹ g = D⁻¹g / (1 + ξ gᵀD⁻¹g)}. In both cases only the scalar
 * {@code ξ gᵀD⁻¹g} is needed; the optimiser replaces it by a bias-corrected moving average
 * {@code ŝ} before inverting, and applies the resulting scale to a bias-corrected momentum
 * {@code m̂} rather than to g. {@link ShermanMorrison} applies both inverses to general vectors.
 *
 * <h2>Updates</h2> (t is the 1-based step; {@code s₀ = 0}, {@code m₀ = 0}, {@code v₀ = 0})
 * <pre>
 *   m_t = μ m_{t−1} + (1−μ) g_t,            m̂_t = m_t/(1−μᵗ)
 *   induced:       s_t = β s_{t−1} + (1−β) ξ‖g_t‖²,   ŝ_t = s_t/(1−βᵗ),  a_t = 1/(1 + |ŝ_t|)
 *                  θ ← θ − η a_t m̂_t − η λ_wd θ
 *   induced-log:   as induced with a_t = L_t/(L_t² + ŝ_t)   (the graph of log L: ∇log L = g/L, and
 *                  (I + ξ g gᵀ/L²)⁻¹ g/L = L g/(L² + ξ‖g‖²))
 *   induced-adam:  v_t = β_rms v_{t−1} + (1−β_rms) g∘g,  v̂ = v_t/(1−β_rmsᵗ),  D = √v̂ + ε,
 *                  s_t = β s_{t−1} + (1−β) ξ Σ g_i²/D_i,  ŝ_t, a_t as induced,
 *                  θ ← θ − η a_t m̂_t/D − η λ_wd θ
 * </pre>
 * Weight decay is decoupled and uses {@code θ_t} (the reference code first shrinks θ, then adds
 * the scaled momentum: the same update). Cost O(N) per step; state m, s, t (and v).
 * For induced-log, the loss must be finite; where {@code L_t² + ŝ_t = 0} the scale is 0.
 */
public final class InducedMetricOptimizer implements Optimizer {
  private final String name;
  private final Variant variant;
  private final double lr;
  private final double xi;
  private final double beta;
  private final double mu;
  private final double betaRms;
  private final double eps;
  private final double weightDecay;
  private double[] m;
  private double[] v;
  private double s;
  private double lastScale = Double.NaN;
  private long t;

  InducedMetricOptimizer(InducedConfig c) {
    this.name = c.name();
    this.variant = c.variant();
    this.lr = c.learningRate();
    this.xi = c.xi();
    this.beta = c.inducedBeta();
    this.mu = c.inducedMomentum();
    this.betaRms = c.betaRms();
    this.eps = c.inducedEpsilon();
    this.weightDecay = c.weightDecay();
  }

  @Override
  public double[] step(StepInput in) {
    if (variant == Variant.LOG && !Double.isFinite(in.loss())) {
      throw PullbackException.data("induced-log needs a finite loss, got " + in.loss() + " at step " + in.step());
    }
    t = Steps.advance(name, t, in);
    double[] g = in.gradient();
    double[] theta = in.theta();
    int n = theta.length;
    if (m == null) {
      m = new double[n];
      if (variant == Variant.ADAM) {
        v = new double[n];
      }
    }
    Steps.requireLength(m, theta);
    double[] d = null;
    double trace = 0;
    if (variant == Variant.ADAM) {
      d = new double[n];
      double cRms = 1 - Math.pow(betaRms, t);
      for (int i = 0; i < n; i++) {
        v[i] = betaRms * v[i] + (1 - betaRms) * g[i] * g[i];
        d[i] = Math.sqrt(v[i] / cRms) + eps;
        trace += g[i] * g[i] / d[i];
      }
    } else {
      for (int i = 0; i < n; i++) {
        trace += g[i] * g[i];
      }
    }
    s = beta * s + (1 - beta) * xi * trace;
    double sHat = s / (1 - Math.pow(beta, t));
    double a;
    if (variant == Variant.LOG) {
      double l = in.loss();
      double denom = l * l + sHat;
      a = denom == 0 ? 0.0 : l / denom;
    } else {
      a = 1 / (1 + Math.abs(sHat));
    }
    lastScale = a;
    double cMu = 1 - Math.pow(mu, t);
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      m[i] = mu * m[i] + (1 - mu) * g[i];
      double mHat = m[i] / cMu;
      double dir = d == null ? mHat : mHat / d[i];
      out[i] = theta[i] - lr * a * dir - lr * weightDecay * theta[i];
    }
    return out;
  }

  /** The scale {@code a_t} of the latest step (NaN before the first), for logs. */
  public double lastScale() {
    return lastScale;
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
    Map<String, double[]> arrays = new HashMap<>();
    if (m != null) {
      arrays.put("m", m);
    }
    if (v != null) {
      arrays.put("v", v);
    }
    return new OptimizerState(name, arrays, Map.of("s", s, "last_scale", lastScale), Map.of("t", t));
  }

  @Override
  public void restore(OptimizerState st) {
    st.requireOptimizer(name);
    t = st.counter("t");
    s = st.scalar("s");
    lastScale = st.scalars().getOrDefault("last_scale", Double.NaN);
    double[] mm = st.arrays().get("m");
    m = mm == null ? null : mm.clone();
    v = null;
    if (variant == Variant.ADAM && m != null) {
      v = st.array("v", m.length);
    }
  }
}
