package io.pullback.optim;

import io.pullback.Names;
import io.pullback.PullbackException;
import io.pullback.loss.L2Penalty;
import java.util.Locale;

/**
 * Damped natural-gradient descent ({@code ngd}):
 * {@code θ ← θ − η (G + (2λ₂/c)P + λI)⁻¹ g}, where {@code P} is the penalised part of the
 * {@code --l2} term ({@link L2Penalty}; the identity when every coordinate is penalised). See
 * {@link NaturalGradient} for the damping schedules, the metric refresh and the cost.
 *
 * @param learningRate η &gt; 0 and finite (default 1; train's default is the Gauss–Newton step 1/c)
 * @param damping λ ≥ 0 and finite (default 1e-3); &gt; 0 with the Levenberg–Marquardt schedule, which
 *     adapts it by multiplication
 * @param dampingSchedule how λ evolves (default {@link DampingSchedule#FIXED})
 * @param refreshEvery k ≥ 1: the metric is re-estimated every k steps (default 1)
 * @param curvatureScale c &gt; 0 and finite: the loss's curvature is {@code B = c·G + 2λ₂P} (2 for
 *     squared loss with the function metric, 1 otherwise; default 1)
 * @param allowJitter let the dense solver add diagonal jitter when the system is not positive
 *     definite (default false)
 * @param l2 the loss's L2 term, whose curvature enters the system (default {@link L2Penalty#NONE})
 */
public record NaturalGradientConfig(double learningRate, double damping, DampingSchedule dampingSchedule,
                                    int refreshEvery, double curvatureScale, boolean allowJitter, L2Penalty l2)
    implements OptimizerConfig {

  /** How ngd's damping λ evolves. */
  public enum DampingSchedule {
    FIXED("fixed"), LEVENBERG_MARQUARDT("levenberg-marquardt");

    private final String cliName;

    DampingSchedule(String cliName) {
      this.cliName = cliName;
    }

    /** The name on the command line. */
    public String cliName() {
      return cliName;
    }

    /**
     * Parses a schedule name ({@code {dampingSchedule}}).
     *
     * @throws PullbackException (usage) naming the valid values
     */
    public static DampingSchedule parse(String s) {
      DampingSchedule d = Names.find(values(), DampingSchedule::cliName, s == null ? "" : s.trim().toLowerCase(Locale.ROOT));
      if (d != null) return d;
      throw PullbackException.usage("{dampingSchedule} must be one of fixed, levenberg-marquardt, got " + s);
    }
  }

  public NaturalGradientConfig {
    Checks.positive("learningRate", learningRate);
    Checks.nonNegative("damping", damping);
    if (dampingSchedule == null) {
      throw PullbackException.usage("{dampingSchedule} must be one of fixed, levenberg-marquardt, got null");
    }
    if (dampingSchedule == DampingSchedule.LEVENBERG_MARQUARDT && !(damping > 0)) {
      throw PullbackException.usage("{damping} must be > 0 with {dampingSchedule} levenberg-marquardt (it is adapted by"
          + " multiplication), got " + damping + "; try {damping} 1e-3");
    }
    if (refreshEvery < 1) {
      throw PullbackException.usage("{refreshEvery} must be >= 1, got " + refreshEvery);
    }
    Checks.positive("curvatureScale", curvatureScale);
    if (l2 == null) throw new IllegalArgumentException("l2 must not be null (use L2Penalty.NONE)");
  }

  /** η = 1, λ = 1e-3 fixed, refresh every step, c = 1, no jitter, no L2 term. */
  public static NaturalGradientConfig defaults() {
    return new NaturalGradientConfig(1.0, 1e-3, DampingSchedule.FIXED, 1, 1.0, false, L2Penalty.NONE);
  }

  /** Whether λ follows the Levenberg–Marquardt schedule. */
  public boolean levenbergMarquardt() {
    return dampingSchedule == DampingSchedule.LEVENBERG_MARQUARDT;
  }

  @Override
  public String name() {
    return "ngd";
  }

  @Override
  public Optimizer create() {
    return new NaturalGradient(this);
  }
}
