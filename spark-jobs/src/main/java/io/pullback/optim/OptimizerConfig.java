package io.pullback.optim;

import io.pullback.PullbackException;
import java.util.List;
import java.util.Locale;

/**
 * Everything that configures an optimiser, validated on construction: every bad value is refused
 * with {@link PullbackException#usage} naming its command-line flag. Fields an optimiser does not
 * use are still validated (they have sensible defaults, see {@link #defaults(String)}).
 *
 * @param optimizer {@code --optimizer}: one of {@link #OPTIMIZERS}
 * @param learningRate {@code --lr} η &gt; 0
 * @param damping {@code --damping} λ ≥ 0 (ngd; &gt; 0 with the Levenberg–Marquardt schedule)
 * @param dampingSchedule {@code --damping-schedule}: {@code fixed} or {@code levenberg-marquardt}
 * @param refreshEvery {@code --refresh-every} k ≥ 1: ngd re-estimates the metric every k steps
 * @param curvatureScale {@code --curvature-scale} c &gt; 0: the LM quadratic model uses B = c·G
 *     (2 for squared loss with the function metric, 1 otherwise)
 * @param weightDecay {@code --weight-decay} ≥ 0, decoupled; only adamw and the induced optimisers accept a non-zero value
 * @param momentum {@code --momentum} μ ∈ [0, 1) of the heavy-ball optimiser
 * @param adamBeta1 {@code --adam-beta1} β1 ∈ [0, 1)
 * @param adamBeta2 {@code --adam-beta2} β2 ∈ [0, 1)
 * @param adamEpsilon {@code --adam-epsilon} ε &gt; 0
 * @param xi {@code --xi} ξ ≥ 0 of the induced optimisers
 * @param inducedBeta {@code --induced-beta} β ∈ [0, 1): EMA factor of the metric scale s
 * @param inducedMomentum {@code --induced-momentum} μ ∈ [0, 1): EMA factor of the momentum m
 * @param betaRms {@code --beta-rms} β_rms ∈ [0, 1) of induced-adam
 * @param inducedEpsilon {@code --induced-epsilon} ε &gt; 0 of induced-adam
 * @param allowJitter {@code --allow-jitter}: let the dense solver add diagonal jitter when G + λI is not positive definite
 */
public record OptimizerConfig(String optimizer, double learningRate, double damping, DampingSchedule dampingSchedule,
    int refreshEvery, double curvatureScale, double weightDecay, double momentum, double adamBeta1, double adamBeta2,
    double adamEpsilon, double xi, double inducedBeta, double inducedMomentum, double betaRms, double inducedEpsilon,
    boolean allowJitter, double l2) {

  /** The optimiser names accepted by {@code --optimizer}. */
  public static final List<String> OPTIMIZERS =
      List.of("ngd", "gd", "momentum", "adam", "adamw", "induced", "induced-log", "induced-adam");

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

    /** Parses {@code --damping-schedule}. */
    public static DampingSchedule parse(String s) {
      for (DampingSchedule d : values()) {
        if (d.cliName.equalsIgnoreCase(s == null ? "" : s.trim())) {
          return d;
        }
      }
      throw PullbackException.usage("--damping-schedule must be one of fixed, levenberg-marquardt, got " + s);
    }
  }

  public OptimizerConfig {
    if (optimizer == null || !OPTIMIZERS.contains(optimizer.toLowerCase(Locale.ROOT))) {
      throw PullbackException.usage("--optimizer must be one of " + String.join(", ", OPTIMIZERS) + ", got " + optimizer);
    }
    optimizer = optimizer.toLowerCase(Locale.ROOT);
    positive("--lr", learningRate);
    nonNegative("--damping", damping);
    if (dampingSchedule == null) {
      throw PullbackException.usage("--damping-schedule must be one of fixed, levenberg-marquardt, got null");
    }
    if (dampingSchedule == DampingSchedule.LEVENBERG_MARQUARDT && !(damping > 0)) {
      throw PullbackException.usage("--damping must be > 0 with --damping-schedule levenberg-marquardt (it is adapted by"
          + " multiplication), got " + damping + "; try --damping 1e-3");
    }
    if (refreshEvery < 1) {
      throw PullbackException.usage("--refresh-every must be >= 1, got " + refreshEvery);
    }
    positive("--curvature-scale", curvatureScale);
    nonNegative("--weight-decay", weightDecay);
    if (weightDecay != 0 && !(optimizer.equals("adamw") || optimizer.startsWith("induced"))) {
      throw PullbackException.usage("--weight-decay is only supported by adamw, induced, induced-log and induced-adam"
          + " (decoupled decay); got --weight-decay " + weightDecay + " with --optimizer " + optimizer
          + "; use 0 or one of those optimizers");
    }
    unitInterval("--momentum", momentum);
    unitInterval("--adam-beta1", adamBeta1);
    unitInterval("--adam-beta2", adamBeta2);
    positive("--adam-epsilon", adamEpsilon);
    nonNegative("--xi", xi);
    unitInterval("--induced-beta", inducedBeta);
    unitInterval("--induced-momentum", inducedMomentum);
    unitInterval("--beta-rms", betaRms);
    positive("--induced-epsilon", inducedEpsilon);
    nonNegative("--l2", l2);
  }

  /**
   * The defaults for {@code optimizer}: η = 1e-3 for adam/adamw, η = 0.1 for the induced
   * optimisers, η = 1 for ngd, η = 0.01 for gd/momentum; λ = 1e-3 fixed, refresh every step,
   * c = 1, no weight decay, μ = 0.9, Adam (0.9, 0.999, 1e-8), induced ξ = β = 0.1, μ = 0.9,
   * β_rms = 0.99, ε = 1e-8, no jitter.
   */
  public static OptimizerConfig defaults(String optimizer) {
    String name = optimizer == null ? null : optimizer.toLowerCase(Locale.ROOT);
    double lr = name == null ? 1.0 : switch (name) {
      case "adam", "adamw" -> 1e-3;
      case "induced", "induced-log", "induced-adam" -> 0.1;
      case "gd", "momentum" -> 0.01;
      default -> 1.0;
    };
    return new OptimizerConfig(optimizer, lr, 1e-3, DampingSchedule.FIXED, 1, 1.0, 0.0, 0.9, 0.9, 0.999, 1e-8,
        0.1, 0.1, 0.9, 0.99, 1e-8, false, 0.0);
  }

  public OptimizerConfig withLearningRate(double v) {
    return new OptimizerConfig(optimizer, v, damping, dampingSchedule, refreshEvery, curvatureScale, weightDecay,
        momentum, adamBeta1, adamBeta2, adamEpsilon, xi, inducedBeta, inducedMomentum, betaRms, inducedEpsilon, allowJitter, l2);
  }

  public OptimizerConfig withDamping(double v, DampingSchedule schedule) {
    return new OptimizerConfig(optimizer, learningRate, v, schedule, refreshEvery, curvatureScale, weightDecay,
        momentum, adamBeta1, adamBeta2, adamEpsilon, xi, inducedBeta, inducedMomentum, betaRms, inducedEpsilon, allowJitter, l2);
  }

  public OptimizerConfig withRefreshEvery(int v) {
    return new OptimizerConfig(optimizer, learningRate, damping, dampingSchedule, v, curvatureScale, weightDecay,
        momentum, adamBeta1, adamBeta2, adamEpsilon, xi, inducedBeta, inducedMomentum, betaRms, inducedEpsilon, allowJitter, l2);
  }

  public OptimizerConfig withCurvatureScale(double v) {
    return new OptimizerConfig(optimizer, learningRate, damping, dampingSchedule, refreshEvery, v, weightDecay,
        momentum, adamBeta1, adamBeta2, adamEpsilon, xi, inducedBeta, inducedMomentum, betaRms, inducedEpsilon, allowJitter, l2);
  }

  public OptimizerConfig withWeightDecay(double v) {
    return new OptimizerConfig(optimizer, learningRate, damping, dampingSchedule, refreshEvery, curvatureScale, v,
        momentum, adamBeta1, adamBeta2, adamEpsilon, xi, inducedBeta, inducedMomentum, betaRms, inducedEpsilon, allowJitter, l2);
  }

  public OptimizerConfig withMomentum(double v) {
    return new OptimizerConfig(optimizer, learningRate, damping, dampingSchedule, refreshEvery, curvatureScale,
        weightDecay, v, adamBeta1, adamBeta2, adamEpsilon, xi, inducedBeta, inducedMomentum, betaRms, inducedEpsilon, allowJitter, l2);
  }

  public OptimizerConfig withAdam(double beta1, double beta2, double epsilon) {
    return new OptimizerConfig(optimizer, learningRate, damping, dampingSchedule, refreshEvery, curvatureScale,
        weightDecay, momentum, beta1, beta2, epsilon, xi, inducedBeta, inducedMomentum, betaRms, inducedEpsilon, allowJitter, l2);
  }

  public OptimizerConfig withInduced(double xi, double beta, double mu, double betaRms, double epsilon) {
    return new OptimizerConfig(optimizer, learningRate, damping, dampingSchedule, refreshEvery, curvatureScale,
        weightDecay, momentum, adamBeta1, adamBeta2, adamEpsilon, xi, beta, mu, betaRms, epsilon, allowJitter, l2);
  }

  public OptimizerConfig withAllowJitter(boolean v) {
    return new OptimizerConfig(optimizer, learningRate, damping, dampingSchedule, refreshEvery, curvatureScale,
        weightDecay, momentum, adamBeta1, adamBeta2, adamEpsilon, xi, inducedBeta, inducedMomentum, betaRms, inducedEpsilon, v, l2);
  }

  /**
   * The coefficient λ₂ of the loss's {@code λ₂‖θ‖²} term ({@code --l2}): ngd adds its curvature
   * {@code 2λ₂I} to the metric's system; the other optimisers see it only through the gradient.
   */
  public OptimizerConfig withL2(double v) {
    return new OptimizerConfig(optimizer, learningRate, damping, dampingSchedule, refreshEvery, curvatureScale,
        weightDecay, momentum, adamBeta1, adamBeta2, adamEpsilon, xi, inducedBeta, inducedMomentum, betaRms, inducedEpsilon,
        allowJitter, v);
  }

  private static void positive(String flag, double v) {
    if (!(v > 0) || !Double.isFinite(v)) {
      throw PullbackException.usage(flag + " must be > 0 and finite, got " + v);
    }
  }

  private static void nonNegative(String flag, double v) {
    if (!(v >= 0) || !Double.isFinite(v)) {
      throw PullbackException.usage(flag + " must be >= 0 and finite, got " + v);
    }
  }

  private static void unitInterval(String flag, double v) {
    if (!(v >= 0 && v < 1)) {
      throw PullbackException.usage(flag + " must be in [0, 1), got " + v);
    }
  }
}
