package io.pullback.metric.representation;

import io.pullback.linalg.DenseMetricSolver;
import io.pullback.linalg.DenseOps;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The block-diagonal approximation: G restricted to contiguous parameter groups
 * {@code [s_g, s_{g+1})} (one group per layer of an MLP: its {@code W_l} and {@code b_l}; the whole
 * vector for single-layer models), cross-group entries dropped. Trace and diagonal are G's exactly.
 *
 * <p>Costs with group sizes {@code n_g}: memory {@code 8·Σ n_g²}; products {@code 2·Σ n_g²}; solves
 * one Cholesky per block per new λ ({@code Σ n_g³/3}). Estimating it costs the factor rows plus
 * {@code 2·M·r·Σ n_g²} flops (one {@code dgemm} per block and group), shuffles {@code 8·Σ n_g²·P} bytes.
 */
public final class BlockDiagonalMetric implements MetricRepresentation {
  private final int n;
  private final int[] starts;
  private final double[][] blocks;
  private final DenseMetricSolver[] solvers;

  /**
   * @param starts group boundaries {@code 0 = s_0 < s_1 < … < s_g = N}
   * @param blocks block g is row-major {@code n_g × n_g} (kept, not copied)
   */
  public BlockDiagonalMetric(int[] starts, double[][] blocks, boolean allowJitter) {
    if (starts.length != blocks.length + 1 || starts[0] != 0) {
      throw new IllegalArgumentException("starts must have one more entry than blocks and begin at 0");
    }
    this.n = starts[starts.length - 1];
    this.starts = starts.clone();
    this.blocks = blocks;
    this.solvers = new DenseMetricSolver[blocks.length];
    for (int g = 0; g < blocks.length; g++) {
      solvers[g] = new DenseMetricSolver(blocks[g], starts[g + 1] - starts[g], allowJitter);
    }
  }

  /** The group boundaries (a copy). */
  public int[] groupStarts() {
    return starts.clone();
  }

  @Override public RepresentationKind kind() { return RepresentationKind.BLOCK_DIAG; }
  @Override public boolean exact() { return blocks.length == 1; }
  @Override public int n() { return n; }

  @Override
  public double[] multiply(double[] v) {
    Checks.length(v, n);
    double[] y = new double[n];
    for (int g = 0; g < blocks.length; g++) {
      double[] part = solvers[g].multiply(slice(v, g));
      System.arraycopy(part, 0, y, starts[g], part.length);
    }
    return y;
  }

  @Override
  public double[] solve(double[] v, double lambda) {
    Checks.length(v, n);
    Checks.lambda(lambda);
    double[] x = new double[n];
    for (int g = 0; g < blocks.length; g++) {
      double[] part = solvers[g].solve(slice(v, g), lambda);
      System.arraycopy(part, 0, x, starts[g], part.length);
    }
    return x;
  }

  private double[] slice(double[] v, int g) {
    double[] s = new double[starts[g + 1] - starts[g]];
    System.arraycopy(v, starts[g], s, 0, s.length);
    return s;
  }

  @Override
  public double[] diagonal() {
    double[] d = new double[n];
    for (int g = 0; g < blocks.length; g++) {
      int m = starts[g + 1] - starts[g];
      for (int i = 0; i < m; i++) d[starts[g] + i] = blocks[g][i * m + i];
    }
    return d;
  }

  @Override
  public double frobeniusNorm() {
    double s = 0;
    for (double[] b : blocks) {
      double f = DenseOps.frobenius(b);
      s += f * f;
    }
    return Math.sqrt(s);
  }

  @Override
  public double[] toDense() {
    MetricRepresentation.requireDenseFits(kind(), n);
    double[] full = new double[n * n];
    for (int g = 0; g < blocks.length; g++) {
      int m = starts[g + 1] - starts[g];
      int s = starts[g];
      for (int i = 0; i < m; i++) System.arraycopy(blocks[g], i * m, full, (s + i) * n + s, m);
    }
    return full;
  }

  @Override
  public Map<String, NpyArray> exports() {
    Map<String, NpyArray> out = new LinkedHashMap<>();
    for (int g = 0; g < blocks.length; g++) {
      int m = starts[g + 1] - starts[g];
      out.put("block_" + g, new NpyArray(blocks[g], new long[] {m, m}));
    }
    double[] s = new double[starts.length];
    for (int i = 0; i < s.length; i++) s[i] = starts[i];
    out.put("block_starts", new NpyArray(s, new long[] {s.length}));
    return out;
  }

  @Override
  public Map<String, Object> details() {
    return Map.of("groups", blocks.length);
  }

  /**
   * A stored block-diagonal metric: {@code block_starts} (the group starts and N) and one
   * {@code block_g} (m×m) per group. Cost: reading the blocks, one Cholesky per block on first solve.
   *
   * @throws io.pullback.PullbackException (data) for missing, mis-shaped or inconsistent files
   */
  static BlockDiagonalMetric read(StoredArrays files, int n, boolean allowJitter) {
    double[] s = files.read("block_starts").data();
    if (s.length < 2 || s[0] != 0 || s[s.length - 1] != n) {
      throw io.pullback.PullbackException.data(files.location("block_starts") + " must run from 0 to N = " + n + ", got "
          + java.util.Arrays.toString(s));
    }
    int[] starts = new int[s.length];
    double[][] blocks = new double[s.length - 1][];
    for (int g = 0; g < s.length; g++) {
      starts[g] = (int) s[g];
      if (g > 0 && !(starts[g] > starts[g - 1])) {
        throw io.pullback.PullbackException.data(files.location("block_starts") + " must increase, got " + java.util.Arrays.toString(s));
      }
    }
    for (int g = 0; g < blocks.length; g++) {
      int m = starts[g + 1] - starts[g];
      blocks[g] = files.matrix("block_" + g, m, m);
    }
    return new BlockDiagonalMetric(starts, blocks, allowJitter);
  }
}
