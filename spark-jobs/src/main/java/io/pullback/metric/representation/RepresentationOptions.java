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
 * @param tileSize T, the tile side of {@code blocked} (≥ 1)
 * @param denseLimitBytes largest {@code 8·N²} a {@code dense} build may allocate on the driver
 *     (default {@link MetricRepresentation#DEFAULT_DENSE_LIMIT_BYTES}; {@code estimate} lifts it, as
 *     its own {@code --dense-limit} and the Java array size bound it)
 * @param rankGiven whether {@code rank} was chosen by the user (then a rank above N is refused;
 *     the default is lowered to N)
 */
public record RepresentationOptions(int rank, double cgTol, int cgMaxIter, long seed, boolean allowJitter, int maxDualRows,
                                    int tileSize, long denseLimitBytes, boolean rankGiven) {
  public static final int DEFAULT_RANK = 64;
  public static final double DEFAULT_CG_TOL = 1e-6;
  public static final int DEFAULT_CG_MAX_ITER = 100;
  public static final int DEFAULT_MAX_DUAL_ROWS = 8192;
  /** The blocked tile side T when none is given: 1024 (8 MiB tiles). */
  public static final int DEFAULT_TILE_SIZE = 1024;

  public RepresentationOptions {
    if (rank < 1) throw new IllegalArgumentException("{rank} must be >= 1, got " + rank);
    if (!(cgTol > 0) || !(cgTol < 1)) throw new IllegalArgumentException("{cgTol} must be in (0, 1), got " + cgTol);
    if (cgMaxIter < 1) throw new IllegalArgumentException("{cgMaxIter} must be >= 1, got " + cgMaxIter);
    if (maxDualRows < 1) throw new IllegalArgumentException("maxDualRows must be >= 1, got " + maxDualRows);
    if (tileSize < 1) throw new IllegalArgumentException("{tileSize} must be >= 1, got " + tileSize);
    if (denseLimitBytes < 1) throw new IllegalArgumentException("denseLimitBytes must be >= 1, got " + denseLimitBytes);
  }

  /** With the rank a default (lowered to N when larger). */
  public RepresentationOptions(int rank, double cgTol, int cgMaxIter, long seed, boolean allowJitter, int maxDualRows,
                               int tileSize, long denseLimitBytes) {
    this(rank, cgTol, cgMaxIter, seed, allowJitter, maxDualRows, tileSize, denseLimitBytes, false);
  }

  /** The same options with the rank marked as given by the user. */
  public RepresentationOptions withRankGiven() {
    return new RepresentationOptions(rank, cgTol, cgMaxIter, seed, allowJitter, maxDualRows, tileSize, denseLimitBytes, true);
  }

  /** The rank a low-rank metric of N parameters uses: {@code rank}, or N when the default is larger. */
  public int rankFor(int n) {
    if (rankGiven && rank > n) {
      throw new IllegalArgumentException("{rank} " + rank + " exceeds N = " + n + " (a rank-k approximation of an N×N metric has"
          + " k <= N); give {rank} " + n + " or less");
    }
    return Math.min(rank, n);
  }

  /** With the default dense limit. */
  public RepresentationOptions(int rank, double cgTol, int cgMaxIter, long seed, boolean allowJitter, int maxDualRows,
                               int tileSize) {
    this(rank, cgTol, cgMaxIter, seed, allowJitter, maxDualRows, tileSize, MetricRepresentation.DEFAULT_DENSE_LIMIT_BYTES);
  }

  /** With the default tile size {@link #DEFAULT_TILE_SIZE}. */
  public RepresentationOptions(int rank, double cgTol, int cgMaxIter, long seed, boolean allowJitter, int maxDualRows) {
    this(rank, cgTol, cgMaxIter, seed, allowJitter, maxDualRows, DEFAULT_TILE_SIZE);
  }

  /** The same options with tile side {@code t}. */
  public RepresentationOptions withTileSize(int t) {
    return new RepresentationOptions(rank, cgTol, cgMaxIter, seed, allowJitter, maxDualRows, t, denseLimitBytes, rankGiven);
  }

  /** The same options with a dense build allowed up to {@code bytes}. */
  public RepresentationOptions withDenseLimitBytes(long bytes) {
    return new RepresentationOptions(rank, cgTol, cgMaxIter, seed, allowJitter, maxDualRows, tileSize, bytes, rankGiven);
  }

  public static RepresentationOptions defaults() {
    return new RepresentationOptions(DEFAULT_RANK, DEFAULT_CG_TOL, DEFAULT_CG_MAX_ITER, 0L, false, DEFAULT_MAX_DUAL_ROWS);
  }
}
