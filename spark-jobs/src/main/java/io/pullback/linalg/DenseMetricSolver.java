package io.pullback.linalg;

import io.pullback.PullbackException;
import org.netlib.util.intW;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A dense metric {@code G} (N×N, row-major, symmetric) answering {@code (G + λI)⁻¹v} by a
 * Cholesky factorisation (LAPACK {@code dpotrf}/{@code dpotrs}, upper triangle of the column-major
 * view, which for a symmetric matrix is the same array) and {@code G·v} by BLAS {@code dgemv}.
 *
 * <p>The factorisation of {@code G + λI} is cached for the last λ, so repeated solves with the
 * same damping (every ngd step with a fixed schedule and {@code --refresh-every k > 1}) cost one
 * {@code O(N³/3)} factorisation and then {@code O(N²)} per solve. Memory: the metric (kept by
 * reference, not copied, never modified) plus one N×N factor.
 *
 * <p>If {@code G + λI} is not positive definite (a rank-deficient metric with λ = 0, or rounding
 * on a nearly singular one): with jitter disabled, a {@link PullbackException#usage} error asks
 * for {@code --damping > 0} (or {@code --allow-jitter}); with jitter enabled, {@code ε·mean(diag)}
 * is added to the diagonal with ε = 1e-10, multiplied by 10 until the factorisation succeeds (at
 * most 10 tries), each attempt logged at WARN; {@link #lastJitter()} reports the amount used.
 */
public final class DenseMetricSolver implements MetricSolver {
  private static final Logger LOG = LoggerFactory.getLogger(DenseMetricSolver.class);
  /** First relative jitter. */
  static final double FIRST_JITTER = 1e-10;
  /** Maximum number of jitter attempts. */
  static final int MAX_JITTER_TRIES = 10;

  private final int n;
  private final double[] g;
  private final boolean allowJitter;
  private double cachedLambda = Double.NaN;
  private double[] factor;
  private double lastJitter;

  /**
   * @param g the metric, row-major N×N and symmetric (not copied, not modified; do not modify it
   *     while this solver is in use)
   * @param n the dimension N
   * @param allowJitter whether to add diagonal jitter when {@code G + λI} is not positive definite
   */
  public DenseMetricSolver(double[] g, int n, boolean allowJitter) {
    if (n < 0 || g == null || g.length != (long) n * n) {
      throw new IllegalArgumentException("metric must have n*n = " + ((long) n * n) + " entries, got "
          + (g == null ? "null" : g.length));
    }
    for (int i = 0; i < g.length; i++) {
      if (!Double.isFinite(g[i])) {
        throw PullbackException.data("metric entry (" + (i / n) + ", " + (i % n) + ") is " + g[i] + "; it must be finite");
      }
    }
    this.n = n;
    this.g = g;
    this.allowJitter = allowJitter;
  }

  @Override
  public int n() {
    return n;
  }

  /** The metric array (the caller's, not a copy). */
  public double[] matrix() {
    return g;
  }

  /** Whether jitter is allowed. */
  public boolean allowJitter() {
    return allowJitter;
  }

  /** The diagonal jitter added in the latest factorisation (0 when none was needed). */
  public double lastJitter() {
    return lastJitter;
  }

  @Override
  public double[] solve(double[] v, double lambda) {
    checkLength(v);
    if (!(lambda >= 0) || !Double.isFinite(lambda)) {
      throw new IllegalArgumentException("lambda must be >= 0 and finite, got " + lambda);
    }
    if (n == 0) {
      return new double[0];
    }
    if (factor == null || Double.doubleToLongBits(lambda) != Double.doubleToLongBits(cachedLambda)) {
      factor = null;
      factor = factorise(lambda);
      cachedLambda = lambda;
    }
    double[] x = v.clone();
    intW info = new intW(0);
    Blas.lapack().dpotrs("U", n, 1, factor, n, x, n, info);
    if (info.val != 0) {
      throw new IllegalStateException("dpotrs failed with info = " + info.val);
    }
    return x;
  }

  @Override
  public double[] multiply(double[] v) {
    checkLength(v);
    double[] y = new double[n];
    if (n > 0) {
      Blas.get().dgemv("N", n, n, 1.0, g, n, v, 1, 0.0, y, 1);
    }
    return y;
  }

  private double[] factorise(double lambda) {
    double meanDiag = 0;
    for (int i = 0; i < n; i++) {
      meanDiag += g[i * n + i] + lambda;
    }
    meanDiag /= n;
    double scale = meanDiag > 0 ? meanDiag : 1.0;
    double jitter = 0;
    int minor = tryCholesky(lambda);
    if (minor == 0) {
      lastJitter = 0;
      return work;
    }
    if (!allowJitter) {
      throw PullbackException.usage("the metric G + λI (λ = " + lambda + ", N = " + n + ") is not positive definite"
          + " (Cholesky failed at leading minor " + minor + "); add {damping} > 0 (e.g. {damping} 1e-6 times the mean"
          + " diagonal " + meanDiag + ") or {allowJitter}");
    }
    double eps = FIRST_JITTER;
    for (int attempt = 1; attempt <= MAX_JITTER_TRIES; attempt++, eps *= 10) {
      jitter = eps * scale;
      LOG.warn("metric G + λI (λ = {}) is not positive definite (leading minor {}); retrying with jitter {}"
          + " (= {} x mean diagonal {}), attempt {} of {}", lambda, minor, jitter, eps, scale, attempt, MAX_JITTER_TRIES);
      minor = tryCholesky(lambda + jitter);
      if (minor == 0) {
        lastJitter = jitter;
        return work;
      }
    }
    throw PullbackException.usage("the metric G + λI (λ = " + lambda + ", N = " + n + ") is not positive definite"
        + " even with jitter " + jitter + " (" + MAX_JITTER_TRIES + " tries); is the metric symmetric positive"
        + " semi-definite? Add a larger {damping}");
  }

  private double[] work;

  /** Factorises G + shift·I into {@link #work}; returns 0 on success, else the failing leading minor. */
  private int tryCholesky(double shift) {
    if (work == null) {
      work = new double[n * n];
    }
    System.arraycopy(g, 0, work, 0, n * n);
    for (int i = 0; i < n; i++) {
      work[i * n + i] += shift;
    }
    intW info = new intW(0);
    Blas.lapack().dpotrf("U", n, work, n, info);
    if (info.val < 0) {
      throw new IllegalStateException("dpotrf argument " + (-info.val) + " is invalid");
    }
    return info.val;
  }

  private void checkLength(double[] v) {
    if (v.length != n) {
      throw new IllegalArgumentException("vector has " + v.length + " entries, the metric is " + n + "x" + n);
    }
  }
}
