package io.pullback.optim;

import io.pullback.PullbackException;
import io.pullback.linalg.DenseMetricSolver;
import io.pullback.linalg.MetricSolver;
import io.pullback.loss.L2Penalty;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Damped natural-gradient descent ({@code ngd}): {@code θ ← θ − η (G + (2λ₂/c)P + λI)⁻¹ g}
 * (configured by {@link NaturalGradientConfig}).
 *
 * <h2>The {@code --l2} term</h2>
 * A loss {@code L(θ) + λ₂ θᵀPθ} ({@link L2Penalty}: {@code P} is the identity without the bias
 * coordinates) has curvature {@code B = c·G + 2λ₂P} ({@code c = --curvature-scale}), so the
 * regularisation enters the system with its own curvature: ngd solves with
 * {@code G + (2λ₂/c)P + λI} (for cross-entropy, c = 1: {@code (G + 2λ₂P + λI) δ = ∇L}, and with
 * η = 1, λ = 0 and the Fisher metric of a canonical-link model this is Newton's method on the
 * regularised objective), and the Levenberg–Marquardt model predicts with that B. When some
 * coordinates are left out ({@code U}, |U| = b), the metric answers only scalar shifts, so the solve
 * goes through the Woodbury identity with {@code S = G + (s + λ)I}, {@code s = 2λ₂/c} and
 * {@code E = [e_u]_{u ∈ U}}:
 * <pre>
 *   (S − s E Eᵀ)⁻¹ g = S⁻¹g + S⁻¹E (I/s − Eᵀ S⁻¹ E)⁻¹ Eᵀ S⁻¹ g
 * </pre>
 * {@code b + 1} solves with the same shift (for a dense metric, one Cholesky factor serves them all)
 * and a b×b Cholesky solve; {@code S⁻¹E} and the b×b factor are kept while the metric and λ stay the
 * same ({@code --refresh-every k}, fixed damping), so those steps cost one solve.
 *
 * <h2>Metric refresh</h2>
 * With {@code --refresh-every k}, {@link #needsMetric(int)} is true at steps 1, k+1, 2k+1, …
 * ({@code (t−1) mod k = 0}); the driver passes a new metric then, and the optimiser keeps the last
 * {@link MetricSolver} for the other steps (a metric passed on another step is used and kept too).
 * After {@link #restore} the kept metric comes back only if it was a {@link DenseMetricSolver}
 * (its matrix is part of the state when k &gt; 1); otherwise {@code needsMetric} is true until one
 * is supplied.
 *
 * <h2>Levenberg–Marquardt damping</h2> ({@code --damping-schedule levenberg-marquardt}; Martens
 * 2010, Martens &amp; Grosse 2015). After each step the optimiser records the reduction predicted by
 * the quadratic model {@code q = −(gᵀδ + ½ δᵀBδ)}, with {@code δ = θ_{t+1} − θ_t} and
 * {@code B = c·G + 2λ₂P} ({@code c = --curvature-scale}: 2 for squared loss with the function metric,
 * whose Gauss–Newton matrix is 2G, else 1). At the next step, with the actual reduction
 * {@code r = L_t − L_{t+1}} ({@code L_{t+1}} is the next {@link StepInput#loss()}), it forms
 * {@code ρ = r/q} and sets {@code λ ← λ·2/3} if ρ &gt; 3/4, {@code λ ← λ·3/2} if ρ &lt; 1/4 (also when
 * {@code q ≤ 0} or ρ is not finite), clamped to [1e-12, 1e12].
 *
 * <h2>Rejection protocol</h2> (for the driver)
 * <ol>
 *   <li>{@code θ1 = step(in_t)}; evaluate {@code L(θ1)} (and the gradient, which the next step needs);</li>
 *   <li>if {@code rejectLastStep(L(θ1))} is true — the loss is NaN/±∞ or larger than {@code L_t} —
 *       the optimiser has multiplied λ by 10 (clamped) and forgotten the step: the driver discards
 *       θ1, keeps θ_t and calls {@code step(in_t)} again with the same StepInput, then repeats 2
 *       (it should cap the number of retries, e.g. 20, and stop with an error beyond);</li>
 *   <li>otherwise the step is accepted and step t+1 runs with {@code L_{t+1} = L(θ1)}.</li>
 * </ol>
 * {@code rejectLastStep} returns false (accept) when λ is already at its ceiling and the loss is
 * finite, logging a warning; with a non-finite loss at the ceiling it throws
 * {@link PullbackException#data}. With the fixed schedule it never rejects.
 *
 * <p>Cost per step: one solve with the metric ({@code O(N³/3)} when λ changed or a new metric
 * came, else {@code O(N²)} for a dense metric; b more with unpenalised coordinates, see above) and,
 * for LM, one product {@code G·δ} ({@code O(N²)}).
 */
public final class NaturalGradient implements Optimizer {
  private static final Logger LOG = LoggerFactory.getLogger(NaturalGradient.class);
  /** Bounds of the LM damping. */
  public static final double MIN_DAMPING = 1e-12;
  public static final double MAX_DAMPING = 1e12;
  /** LM factors: decrease when ρ &gt; 3/4, increase when ρ &lt; 1/4, and on a rejected step. */
  public static final double OMEGA_DEC = 2.0 / 3.0;
  public static final double OMEGA_INC = 3.0 / 2.0;
  public static final double REJECT_FACTOR = 10.0;

  private final double lr;
  private final int refreshEvery;
  private final boolean lm;
  private final double curvatureScale;
  /** The loss's {@code λ₂θᵀPθ} term, and its curvature in metric units, {@code s = 2λ₂/c}. */
  private final L2Penalty l2;
  private final double l2Shift;
  private final int[] unpenalised;
  /** The Woodbury terms {@code S⁻¹E} (by column) and the b×b system, for {@link #correctionMetric} and shift. */
  private MetricSolver correctionMetric;
  private double correctionShift = Double.NaN;
  private double[][] sInverseE;
  private DenseMetricSolver capacitance;
  private final boolean allowJitter;
  private double lambda;
  private MetricSolver metric;
  private double pendingPredicted = Double.NaN;
  private double pendingLoss = Double.NaN;
  private double lastRho = Double.NaN;
  private long t;

  NaturalGradient(NaturalGradientConfig c) {
    this.lr = c.learningRate();
    this.refreshEvery = c.refreshEvery();
    this.lm = c.levenbergMarquardt();
    this.curvatureScale = c.curvatureScale();
    this.l2 = c.l2();
    this.l2Shift = 2 * l2.coefficient() / c.curvatureScale();
    this.unpenalised = l2.unpenalised();
    this.allowJitter = c.allowJitter();
    this.lambda = lm ? clamp(c.damping()) : c.damping();
  }

  @Override
  public double[] step(StepInput in) {
    if (in.metric() != null) {
      metric = in.metric();
    } else if (metric == null) {
      throw new IllegalStateException("ngd: no metric at step " + in.step() + " (needsMetric(" + in.step() + ") is "
          + needsMetric(in.step()) + "); the driver must pass one");
    }
    if (metric.n() != in.theta().length) {
      throw new IllegalArgumentException("the kept metric is " + metric.n() + "x" + metric.n() + " but theta has "
          + in.theta().length + " entries");
    }
    if (lm && !Double.isNaN(pendingPredicted)) {
      adapt(pendingLoss - in.loss(), pendingPredicted);
    }
    pendingPredicted = Double.NaN;
    pendingLoss = Double.NaN;
    double[] g = in.gradient();
    double[] theta = in.theta();
    double[] x = solveSystem(g);
    int n = theta.length;
    double[] out = new double[n];
    double[] delta = new double[n];
    for (int i = 0; i < n; i++) {
      delta[i] = -lr * x[i];
      out[i] = theta[i] + delta[i];
    }
    if (lm) {
      double[] gDelta = metric.multiply(delta);
      double lin = 0;
      double quad = 0;
      for (int i = 0; i < n; i++) {
        lin += g[i] * delta[i];
        quad += delta[i] * gDelta[i];
      }
      // q = −(gᵀδ + ½ δᵀBδ) with B = c·G + 2λ₂P: the regularisation's curvature included.
      pendingPredicted = -(lin + 0.5 * curvatureScale * quad + l2.coefficient() * l2.penalisedSquares(delta));
      pendingLoss = in.loss();
    }
    t = in.step();
    return out;
  }

  /** {@code (G + sP + λI)⁻¹ g}: one shifted solve, and the Woodbury correction when some coordinates are unpenalised. */
  private double[] solveSystem(double[] g) {
    double shift = lambda + l2Shift;
    double[] y = metric.solve(g, shift);
    if (l2Shift == 0 || unpenalised.length == 0) return y;
    prepareCorrection(shift);
    int b = unpenalised.length;
    double[] ey = new double[b];
    for (int j = 0; j < b; j++) ey[j] = y[unpenalised[j]];
    double[] z = capacitance.solve(ey, 0);
    for (int k = 0; k < b; k++) {
      double[] column = sInverseE[k];
      for (int i = 0; i < y.length; i++) y[i] += column[i] * z[k];
    }
    return y;
  }

  /** {@code S⁻¹E} and {@code I/s − EᵀS⁻¹E} (symmetrised) for the kept metric and {@code shift}, unless already there. */
  private void prepareCorrection(double shift) {
    if (correctionMetric == metric && correctionShift == shift) return;
    int b = unpenalised.length;
    int n = metric.n();
    sInverseE = new double[b][];
    for (int k = 0; k < b; k++) {
      double[] e = new double[n];
      e[unpenalised[k]] = 1;
      sInverseE[k] = metric.solve(e, shift);
    }
    double[] w = new double[b * b];
    for (int j = 0; j < b; j++) {
      for (int k = 0; k < b; k++) {
        double ejSek = 0.5 * (sInverseE[k][unpenalised[j]] + sInverseE[j][unpenalised[k]]);
        w[j * b + k] = (j == k ? 1 / l2Shift : 0) - ejSek;
      }
    }
    capacitance = new DenseMetricSolver(w, b, allowJitter);
    correctionMetric = metric;
    correctionShift = shift;
  }

  private void adapt(double actual, double predicted) {
    double rho = actual / predicted;
    lastRho = rho;
    double before = lambda;
    if (actual == 0 && predicted == 0) {
      return;
    }
    if (!(predicted > 0) || !Double.isFinite(rho) || rho < 0.25) {
      lambda = clamp(lambda * OMEGA_INC);
    } else if (rho > 0.75) {
      lambda = clamp(lambda * OMEGA_DEC);
    }
    LOG.debug("ngd LM: actual reduction {}, predicted {}, rho {}, damping {} -> {}", actual, predicted, rho, before, lambda);
  }

  /** With the Levenberg–Marquardt schedule: every step is checked against the loss it reaches. */
  @Override
  public boolean checksSteps() {
    return lm;
  }

  @Override
  public boolean rejectLastStep(double newLoss) {
    if (!lm || Double.isNaN(pendingPredicted)) {
      return false;
    }
    boolean bad = !Double.isFinite(newLoss) || newLoss > pendingLoss;
    if (!bad) {
      return false;
    }
    if (lambda >= MAX_DAMPING) {
      if (!Double.isFinite(newLoss)) {
        throw PullbackException.data("ngd: the loss is " + newLoss + " after step " + t + " even with the maximal damping "
            + MAX_DAMPING + "; the model or the data produce non-finite values");
      }
      LOG.warn("ngd: loss rose from {} to {} at step {} with the damping at its ceiling {}; accepting the step",
          pendingLoss, newLoss, t, MAX_DAMPING);
      return false;
    }
    double before = lambda;
    lambda = clamp(lambda * REJECT_FACTOR);
    LOG.info("ngd: rejected step {} (loss {} -> {}); damping {} -> {}", t, pendingLoss, newLoss, before, lambda);
    pendingPredicted = Double.NaN;
    pendingLoss = Double.NaN;
    return true;
  }

  /** ρ = actual/predicted reduction of the latest judged step (NaN before any). */
  public double lastRho() {
    return lastRho;
  }

  /** The reduction the quadratic model predicted for the latest step (NaN when none is pending). */
  public double pendingPredictedReduction() {
    return pendingPredicted;
  }

  private static double clamp(double l) {
    return Math.min(MAX_DAMPING, Math.max(MIN_DAMPING, l));
  }

  @Override
  public String name() {
    return "ngd";
  }

  @Override
  public double damping() {
    return lambda;
  }

  @Override
  public double learningRate() {
    return lr;
  }

  @Override
  public OptimizerState state() {
    Map<String, double[]> arrays = new HashMap<>();
    if (refreshEvery > 1 && metric instanceof DenseMetricSolver dense) {
      arrays.put("metric", dense.matrix());
    }
    return new OptimizerState("ngd", arrays, Map.of("lambda", lambda, "pending_predicted", pendingPredicted,
        "pending_loss", pendingLoss, "last_rho", lastRho), Map.of("t", t));
  }

  @Override
  public void restore(OptimizerState s) {
    s.requireOptimizer("ngd");
    t = s.counter("t");
    lambda = s.scalar("lambda");
    pendingPredicted = s.scalar("pending_predicted");
    pendingLoss = s.scalar("pending_loss");
    lastRho = s.scalars().getOrDefault("last_rho", Double.NaN);
    double[] g = s.arrays().get("metric");
    metric = null;
    if (g != null) {
      int n = (int) Math.round(Math.sqrt(g.length));
      if ((long) n * n != g.length) {
        throw PullbackException.data("ngd state: the saved metric has " + g.length + " entries, not a square");
      }
      metric = new DenseMetricSolver(g.clone(), n, allowJitter);
    }
  }

  @Override
  public boolean needsMetric(int step) {
    return (step - 1) % refreshEvery == 0 || (metric == null && t > 0);
  }
}
