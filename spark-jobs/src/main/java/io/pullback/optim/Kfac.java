package io.pullback.optim;

import io.pullback.PullbackException;
import io.pullback.linalg.Blas;
import io.pullback.linalg.DenseOps;
import io.pullback.metric.representation.KfacMetric;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * K-FAC (Martens &amp; Grosse 2015, "Optimizing Neural Networks with Kronecker-factored Approximate
 * Curvature"), the optimiser of the paper's Sections 5–7, with KFAC-JAX's choices where the paper
 * leaves one. Each step t, given the mini-batch's Kronecker factors {@code A_l, S_l} at θ_t (the
 * {@link KfacMetric} the driver built on the step's examples), the gradient g and the exact
 * curvature oracle ({@link CurvatureOracle}, on the same examples):
 * <ol>
 *   <li><b>Factors</b> ({@link #updateFactors}): running averages {@code Ā ← ε Ā + (1 − ε) A},
 *       {@code S̄ ← ε S̄ + (1 − ε) S} with {@code ε_t = min(1 − 1/t, ε_max)} (§5; so step 1 takes
 *       the batch's factors as they are);</li>
 *   <li><b>Inverses</b> ({@link #refreshInverses}) at steps {@code 1, T₃+1, …}: eigendecompositions
 *       {@code Ā = U_A diag(a) U_Aᵀ}, {@code S̄ = U_S diag(s) U_Sᵀ} (LAPACK {@code dsyevd}) and
 *       {@code π_l = √((tr Ā/p)/(tr S̄/q))} (§6.3), kept until the next refresh, so that any λ costs
 *       only products;</li>
 *   <li><b>Direction</b> ({@link #direction}): {@code Δ = −F̆⁻¹ g} with factored Tikhonov damping,
 *       per layer {@code Δ_l = −(S̄ + (γ/π) I)⁻¹ G_l (Ā + πγ I)⁻¹}, {@code γ = √λ} (KFAC-JAX's
 *       choice; the paper adapts γ separately every T₂ steps), computed as
 *       {@code U_S [(U_Sᵀ G_l U_A) ⊘ ((s + γ/π)(a + πγ)ᵀ)] U_Aᵀ};</li>
 *   <li><b>Rescaling and momentum</b> ({@link #chooseStep}, §7): {@code δ = αΔ + μδ₀} (δ₀ the previous
 *       update) minimising the damped quadratic model {@code M(δ) = ½ δᵀ(cG + λI)δ + gᵀδ} with the
 *       exact G of the mini-batch: the 2×2 system
 *       {@code [ΔᵀBΔ, ΔᵀBδ₀; δ₀ᵀBΔ, δ₀ᵀBδ₀] (α, μ) = −(gᵀΔ, gᵀδ₀)}, {@code B = cG + λI}, from the
 *       three forms {@code ΔᵀGΔ, ΔᵀGδ₀, δ₀ᵀGδ₀} of one curvature pass; without δ₀ (step 1) or when
 *       the system is singular, {@code μ = 0, α = −gᵀΔ/ΔᵀBΔ};</li>
 *   <li><b>Damping</b> ({@link #adaptDamping}, §6.5) at steps {@code T₁, 2T₁, …}: the reduction ratio
 *       {@code ρ = (h(θ+δ) − h(θ)) / q(δ)} with the undamped model change
 *       {@code q = α gᵀΔ + μ gᵀδ₀ + ½ c (α²ΔᵀGΔ + 2αμ ΔᵀGδ₀ + μ²δ₀ᵀGδ₀)} (KFAC-JAX's default, no
 *       damping term in q) and {@code h(θ+δ)} from the loss oracle on the same mini-batch (one forward
 *       pass); {@code λ ← ω₁λ} if ρ &gt; 3/4, {@code λ ← λ/ω₁} if ρ &lt; 1/4 (or q ≥ 0, or ρ not
 *       finite), {@code ω₁ = (19/20)^{T₁}}, clamped to [{@value #MIN_DAMPING}, {@value #MAX_DAMPING}].</li>
 * </ol>
 * No step is rejected (the paper's K-FAC has no rejection). The {@code --l2} term enters the loss and
 * the gradient but not the curvature model.
 *
 * <p><b>Cost</b> per step on the driver, per layer ({@code p = in + 1}, {@code q = out}): the factor
 * averages {@code O(p² + q²)}; the direction four {@code dgemm}s, {@code 4qp(p + q)} flops; every T₃
 * steps two eigendecompositions, {@code ≈ 9(p³ + q³)} flops. Memory: {@code 8·2(p² + q²)} bytes
 * per layer (averages and eigenvectors) plus O(N). The data passes (the mini-batch's loss and
 * gradient, its factors, the curvature forms, every T₁ steps one loss) are the driver loop's.
 *
 * <p><b>State</b> (checkpoints): the averages {@code A{l}}, {@code S{l}}, the eigenvectors and
 * eigenvalues {@code UA{l}}, {@code a{l}}, {@code US{l}}, {@code s{l}}, {@code pi{l}}, the previous
 * update {@code previous}, λ, the last α, μ and ρ, and the counters {@code t}, {@code layers}; a
 * restored run continues bit for bit.
 */
public final class Kfac implements Optimizer {
  private static final Logger LOG = LoggerFactory.getLogger(Kfac.class);
  /** Lower bound of λ (KFAC-JAX's {@code min_damping}). */
  public static final double MIN_DAMPING = 1e-8;
  /** Upper bound of λ. */
  public static final double MAX_DAMPING = 1e12;

  private final KfacConfig config;
  private final double omega;
  private double lambda;
  private long t;
  private int[][] index;
  private double[][] avgA;
  private double[][] avgS;
  private double[][] eigA;
  private double[][] valA;
  private double[][] eigS;
  private double[][] valS;
  private double[] pi;
  private double[] previous;
  private double alpha = 1.0;
  private double mu;
  private double rho = Double.NaN;
  /** Set by {@link #step}, used by {@link #acceptedStep}: the undamped model change of the last step. */
  private double predicted = Double.NaN;

  Kfac(KfacConfig config) {
    this.config = config;
    this.lambda = config.damping();
    this.omega = Math.pow(19.0 / 20.0, config.dampingEvery());
  }

  @Override
  public String name() {
    return "kfac";
  }

  @Override
  public boolean needsMetric(int step) {
    return true;
  }

  @Override
  public double damping() {
    return lambda;
  }

  /** The last α (1 before the first step). */
  @Override
  public double learningRate() {
    return alpha;
  }

  /** The last momentum μ chosen. */
  public double momentum() {
    return mu;
  }

  /** The last reduction ratio ρ (NaN until the first damping adaptation). */
  public double lastRho() {
    return rho;
  }

  /** The running average {@code Ā_l} (row-major p × p; a copy). */
  double[] averageA(int layer) {
    return avgA[layer].clone();
  }

  /** The running average {@code S̄_l} (row-major q × q; a copy). */
  double[] averageS(int layer) {
    return avgS[layer].clone();
  }

  @Override
  public double[] step(StepInput in) {
    if (!(in.metric() instanceof KfacMetric batch)) {
      throw new IllegalArgumentException("kfac needs the mini-batch's K-FAC factors (a KfacMetric) at every step, got "
          + (in.metric() == null ? "none" : in.metric().getClass().getSimpleName()));
    }
    if (in.curvature() == null) throw new IllegalArgumentException("kfac needs the curvature oracle at every step");
    t = Steps.advance(name(), t, in);
    updateFactors(batch);
    if (eigA == null || (t - 1) % config.inverseEvery() == 0) refreshInverses();
    double[] delta = direction(in.gradient());
    double[] step = chooseStep(in, delta);
    previous = step;
    double[] theta = in.theta();
    double[] next = new double[theta.length];
    for (int i = 0; i < next.length; i++) next[i] = theta[i] + step[i];
    return next;
  }

  /** {@link #step}, then at steps {@code T₁, 2T₁, …} the loss at θ_{t+1} from {@code oracle} and {@link #adaptDamping}. */
  @Override
  public double[] acceptedStep(StepInput in, LossOracle oracle) {
    double[] next = step(in);
    if (t % config.dampingEvery() == 0) adaptDamping(in.loss(), oracle.loss(next));
    return next;
  }

  /** {@code Ā ← ε Ā + (1 − ε) A} (and S), {@code ε = min(1 − 1/t, ε_max)}; the layer maps from the first batch. */
  private void updateFactors(KfacMetric batch) {
    int layers = batch.layers();
    if (index == null) {
      index = new int[layers][];
      for (int l = 0; l < layers; l++) index[l] = batch.indexMap(l).clone();
    }
    if (avgA != null && avgA.length != layers) {
      throw new IllegalArgumentException("kfac: the metric has " + layers + " layers, the state " + avgA.length);
    }
    double eps = Math.min(1.0 - 1.0 / t, config.decay());
    if (avgA == null) {
      avgA = new double[layers][];
      avgS = new double[layers][];
      eps = 0;
    }
    for (int l = 0; l < layers; l++) {
      avgA[l] = average(avgA[l], batch.factorA(l), eps);
      avgS[l] = average(avgS[l], batch.factorS(l), eps);
    }
  }

  private static double[] average(double[] old, double[] current, double eps) {
    if (old == null || eps == 0) return current.clone();
    if (old.length != current.length) {
      throw new IllegalArgumentException("kfac: a factor of " + current.length + " entries after one of " + old.length);
    }
    double[] out = new double[old.length];
    for (int i = 0; i < out.length; i++) out[i] = eps * old[i] + (1 - eps) * current[i];
    return out;
  }

  /** Eigendecompositions of every averaged factor and the π of every layer. */
  private void refreshInverses() {
    int layers = avgA.length;
    eigA = new double[layers][];
    valA = new double[layers][];
    eigS = new double[layers][];
    valS = new double[layers][];
    pi = new double[layers];
    for (int l = 0; l < layers; l++) {
      int p = side(avgA[l]);
      int q = side(avgS[l]);
      eigA[l] = avgA[l].clone();
      valA[l] = DenseOps.eigh(eigA[l], p);
      eigS[l] = avgS[l].clone();
      valS[l] = DenseOps.eigh(eigS[l], q);
      double ta = trace(avgA[l], p) / p;
      double ts = trace(avgS[l], q) / q;
      pi[l] = ta > 0 && ts > 0 ? Math.sqrt(ta / ts) : 1.0;
    }
  }

  /** {@code Δ = −F̆⁻¹ g}, layer by layer (see the class comment). */
  private double[] direction(double[] g) {
    double[] delta = new double[g.length];
    double gamma = Math.sqrt(lambda);
    for (int l = 0; l < avgA.length; l++) {
      int p = side(avgA[l]);
      int q = side(avgS[l]);
      double[] w = new double[q * p]; // column-major p × q = row-major q × p: entry (o, i) at o·p + i
      int[] map = index[l];
      for (int k = 0; k < w.length; k++) w[k] = g[map[k]];
      double[] y = dampedInverse(w, l, p, q, gamma);
      for (int k = 0; k < w.length; k++) delta[map[k]] = -y[k];
    }
    return delta;
  }

  /** {@code (S̄ + γ/π)⁻¹ V (Ā + πγ)⁻¹} with {@code W = Vᵀ} column-major p × q, by the stored eigenvectors. */
  private double[] dampedInverse(double[] w, int l, int p, int q, double gamma) {
    var blas = Blas.get();
    double[] t1 = new double[p * q];
    double[] x = new double[p * q];
    blas.dgemm("T", "N", p, q, p, 1.0, eigA[l], p, w, p, 0.0, t1, p);   // U_Aᵀ W
    blas.dgemm("N", "N", p, q, q, 1.0, t1, p, eigS[l], q, 0.0, x, p);   // (U_Aᵀ W) U_S = Xᵀ
    double shiftA = pi[l] * gamma;
    double shiftS = gamma / pi[l];
    for (int i = 0; i < q; i++) {
      double si = Math.max(0.0, valS[l][i]) + shiftS;
      for (int j = 0; j < p; j++) {
        double denom = si * (Math.max(0.0, valA[l][j]) + shiftA);
        x[i * p + j] = denom > 0 ? x[i * p + j] / denom : 0.0;
      }
    }
    blas.dgemm("N", "N", p, q, p, 1.0, eigA[l], p, x, p, 0.0, t1, p);   // U_A Xᵀ
    double[] y = new double[p * q];
    blas.dgemm("N", "T", p, q, q, 1.0, t1, p, eigS[l], q, 0.0, y, p);   // (U_A Xᵀ) U_Sᵀ = Yᵀ
    return y;
  }

  /** The update {@code αΔ + μδ₀} minimising the damped quadratic model (see the class comment); sets α, μ and the predicted change. */
  private double[] chooseStep(StepInput in, double[] delta) {
    double[] g = in.gradient();
    double[] prev = previous != null && DenseOps.dot(previous, previous) > 0 ? previous : null;
    double c = config.curvatureScale();
    double[] forms = in.curvature().forms(delta, prev != null ? prev : new double[delta.length]);
    double[] coef = solveStep(forms, DenseOps.dot(delta, delta), prev == null ? 0 : DenseOps.dot(delta, prev),
        prev == null ? 0 : DenseOps.dot(prev, prev), DenseOps.dot(g, delta), prev == null ? 0 : DenseOps.dot(g, prev), c, lambda);
    alpha = coef[0];
    mu = coef[1];
    predicted = coef[2];
    double[] step = new double[delta.length];
    for (int i = 0; i < step.length; i++) step[i] = alpha * delta[i] + (prev == null ? 0 : mu * prev[i]);
    return step;
  }

  /**
   * (α, μ, q): the minimiser of {@code ½ (α, μ) M (α, μ)ᵀ + (α, μ)·b} with
   * {@code M = [c·gΔΔ + λ·ΔΔ, c·gΔδ + λ·Δδ; …, c·gδδ + λ·δδ]}, {@code b = (gᵀΔ, gᵀδ)}, and the
   * undamped model change {@code q} at it. {@code forms = [ΔᵀGΔ, ΔᵀGδ, δᵀGδ]}. Without δ
   * ({@code δδ = 0}) or when M is singular (determinant below {@code 1e-12·m11·m22}):
   * {@code μ = 0, α = −b₁/m₁₁} (0 when Δ = 0).
   */
  static double[] solveStep(double[] forms, double dd, double dp, double pp, double b1, double b2, double c, double lambda) {
    double m11 = c * forms[0] + lambda * dd;
    double m12 = c * forms[1] + lambda * dp;
    double m22 = c * forms[2] + lambda * pp;
    double a;
    double m = 0;
    double det = m11 * m22 - m12 * m12;
    if (pp > 0 && det > 1e-12 * m11 * m22) {
      a = (-b1 * m22 + b2 * m12) / det;
      m = (-b2 * m11 + b1 * m12) / det;
    } else {
      a = m11 > 0 ? -b1 / m11 : 0.0;
    }
    double q = a * b1 + m * b2 + 0.5 * c * (a * a * forms[0] + 2 * a * m * forms[1] + m * m * forms[2]);
    return new double[] {a, m, q};
  }

  /** Levenberg–Marquardt from ρ = (h(θ+δ) − h(θ))/q (see the class comment). */
  private void adaptDamping(double loss, double newLoss) {
    rho = (newLoss - loss) / predicted;
    double before = lambda;
    if (!(predicted < 0) || !Double.isFinite(rho) || rho < 0.25) {
      lambda = Math.min(MAX_DAMPING, lambda / omega);
    } else if (rho > 0.75) {
      lambda = Math.max(MIN_DAMPING, lambda * omega);
    }
    LOG.debug("kfac step {}: rho {} (loss {} -> {}, predicted {}), damping {} -> {}", t, rho, loss, newLoss, predicted,
        before, lambda);
  }

  private static int side(double[] square) {
    return (int) Math.round(Math.sqrt(square.length));
  }

  private static double trace(double[] m, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += m[i * n + i];
    return s;
  }

  @Override
  public OptimizerState state() {
    Map<String, double[]> arrays = new TreeMap<>();
    if (previous != null) arrays.put("previous", previous);
    int layers = avgA == null ? 0 : avgA.length;
    Map<String, Double> scalars = new TreeMap<>(Map.of("lambda", lambda, "alpha", alpha, "mu", mu, "rho", rho,
        "predicted", predicted));
    for (int l = 0; l < layers; l++) {
      arrays.put("A" + l, avgA[l]);
      arrays.put("S" + l, avgS[l]);
      arrays.put("UA" + l, eigA[l]);
      arrays.put("a" + l, valA[l]);
      arrays.put("US" + l, eigS[l]);
      arrays.put("s" + l, valS[l]);
      scalars.put("pi" + l, pi[l]);
    }
    return new OptimizerState(name(), arrays, scalars, Map.of("t", t, "layers", (long) layers));
  }

  @Override
  public void restore(OptimizerState s) {
    s.requireOptimizer(name());
    t = s.counter("t");
    lambda = s.scalar("lambda");
    alpha = s.scalar("alpha");
    mu = s.scalar("mu");
    rho = s.scalar("rho");
    predicted = s.scalar("predicted");
    double[] prev = s.arrays().get("previous");
    previous = prev == null ? null : prev.clone();
    int layers = (int) s.counter("layers");
    index = null; // taken again from the next step's metric
    if (layers == 0) {
      avgA = avgS = eigA = valA = eigS = valS = null;
      pi = null;
      return;
    }
    avgA = new double[layers][];
    avgS = new double[layers][];
    eigA = new double[layers][];
    valA = new double[layers][];
    eigS = new double[layers][];
    valS = new double[layers][];
    pi = new double[layers];
    for (int l = 0; l < layers; l++) {
      avgA[l] = required(s, "A" + l);
      int p = side(avgA[l]);
      avgS[l] = required(s, "S" + l);
      int q = side(avgS[l]);
      eigA[l] = s.array("UA" + l, p * p);
      valA[l] = s.array("a" + l, p);
      eigS[l] = s.array("US" + l, q * q);
      valS[l] = s.array("s" + l, q);
      pi[l] = s.scalar("pi" + l);
    }
  }

  private static double[] required(OptimizerState s, String key) {
    double[] v = s.arrays().get(key);
    if (v == null) throw PullbackException.data("optimizer state of kfac has no array '" + key + "'");
    return v.clone();
  }
}
