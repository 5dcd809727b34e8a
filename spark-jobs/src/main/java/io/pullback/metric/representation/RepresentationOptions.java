package io.pullback.metric.representation;

/**
 * Settings of the representations that take any.
 *
 * @param rank k for {@code low-rank} (≥ 1, ≤ N)
 * @param cgTol relative residual at which {@code implicit} solves stop (0 &lt; tol &lt; 1)
 * @param cgMaxIter most CG iterations (data passes) per {@code implicit} solve
 * @param seed seeds the {@code low-rank} test matrix
 * @param allowJitter whether dense Cholesky factorisations may add diagonal jitter
 * @param maxDualRows most factor rows {@code ntk-dual} gathers on the driver
 */
public record RepresentationOptions(int rank, double cgTol, int cgMaxIter, long seed, boolean allowJitter, int maxDualRows) {
  public static final int DEFAULT_RANK = 64;
  public static final double DEFAULT_CG_TOL = 1e-6;
  public static final int DEFAULT_CG_MAX_ITER = 100;
  public static final int DEFAULT_MAX_DUAL_ROWS = 8192;

  public RepresentationOptions {
    if (rank < 1) throw new IllegalArgumentException("--rank must be >= 1, got " + rank);
    if (!(cgTol > 0) || !(cgTol < 1)) throw new IllegalArgumentException("--cg-tol must be in (0, 1), got " + cgTol);
    if (cgMaxIter < 1) throw new IllegalArgumentException("--cg-max-iter must be >= 1, got " + cgMaxIter);
    if (maxDualRows < 1) throw new IllegalArgumentException("maxDualRows must be >= 1, got " + maxDualRows);
  }

  public static RepresentationOptions defaults() {
    return new RepresentationOptions(DEFAULT_RANK, DEFAULT_CG_TOL, DEFAULT_CG_MAX_ITER, 0L, false, DEFAULT_MAX_DUAL_ROWS);
  }
}
