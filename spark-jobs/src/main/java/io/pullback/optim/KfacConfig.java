package io.pullback.optim;

/**
 * K-FAC ({@code kfac}, Martens &amp; Grosse 2015, with KFAC-JAX's choices where the paper leaves
 * one; see {@link Kfac} and docs/optimizers.md).
 *
 * @param damping the initial λ &gt; 0 (Tikhonov damping of the quadratic model, and
 *     {@code γ = √λ} of the factored damping of the Kronecker factors), then adapted
 * @param decay ε_max ∈ [0, 1): the factors' running averages use {@code ε_t = min(1 − 1/t, ε_max)}
 *     (default 0.95; 0 keeps only the current mini-batch's factors)
 * @param inverseEvery T₃ ≥ 1: the factors' eigendecompositions are recomputed at steps
 *     {@code 1, T₃+1, 2T₃+1, …} (default 20)
 * @param dampingEvery T₁ ≥ 1: λ is adapted (Levenberg–Marquardt, from the reduction ratio) at steps
 *     {@code T₁, 2T₁, …} (default 5)
 * @param curvatureScale c &gt; 0: the quadratic model's curvature is {@code c·G} (2 for squared loss
 *     without ½ with the function metric, else 1)
 */
public record KfacConfig(double damping, double decay, int inverseEvery, int dampingEvery, double curvatureScale)
    implements OptimizerConfig {
  public KfacConfig {
    Checks.positive("damping", damping);
    Checks.unitInterval("kfacDecay", decay);
    if (inverseEvery < 1) throw io.pullback.PullbackException.usage("{inverseEvery} must be >= 1, got " + inverseEvery);
    if (dampingEvery < 1) throw io.pullback.PullbackException.usage("{dampingEvery} must be >= 1, got " + dampingEvery);
    Checks.positive("curvatureScale", curvatureScale);
  }

  /** λ = 1, ε = 0.95, T₃ = 20, T₁ = 5, c = 1. */
  public static KfacConfig defaults() {
    return new KfacConfig(1.0, 0.95, 20, 5, 1.0);
  }

  @Override
  public String name() {
    return "kfac";
  }

  /** Not a setting: K-FAC chooses its learning rate α each step (1 is reported before the first). */
  @Override
  public double learningRate() {
    return 1.0;
  }

  @Override
  public Optimizer create() {
    return new Kfac(this);
  }
}
