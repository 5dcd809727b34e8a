package io.pullback.distributed;

import io.pullback.PullbackException;
import io.pullback.distributed.BlockedMetricEstimator.BlockedMetric;
import io.pullback.distributed.BlockedMetricEstimator.Tile;
import io.pullback.linalg.ConjugateGradient;
import io.pullback.metric.aggregate.TileProducts;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * Linear algebra on a distributed {@link BlockedMetric}: products, quadratic forms, damped solves by
 * conjugate gradients driven from the driver, and the statistics, without ever holding an
 * {@code N×N} array on the driver (except {@link #toDense}, which checks first).
 *
 * <p>Notation: tiles {@code G_IJ} ({@code I ≤ J}, side T, {@code nt = ⌈N/T⌉} per side, {@code N(N+T)/2}
 * stored values); the lower tiles are {@code G_JI = G_IJᵀ}.
 *
 * <p>Costs of one {@link #mv} (a <em>pass</em> over the tiles): {@code ≈ 2·N²} flops; reads the
 * {@code 4·N·(N+T)} bytes of persisted tiles; broadcasts v ({@code 8·N} bytes); shuffles the
 * per-tile products, {@code ≈ 8·N·(nt+1)} bytes; driver memory O(N); executor memory one tile plus
 * v and one T-vector per tile of the task. {@link #vTMv} is one pass without the shuffle (one number
 * per tile to the driver). {@link #solve} costs one pass per CG iteration plus one to verify the
 * final residual, and keeps five N-vectors on the driver.
 *
 * <p>Determinism: every sum has a fixed order that depends only on the tiles, not on how they are
 * partitioned or on the order tasks finish — the product block {@code y_K = Σ_L G_KL v_L} is summed
 * in increasing L after a sort, quadratic forms and statistics in tile order on the driver — so
 * results are bit-identical across reruns, task retries, and band plans of the same estimate.
 *
 * <p>Not thread-safe (one driver loop at a time).
 */
public final class BlockedMetricOps {
  private static final Logger LOG = LoggerFactory.getLogger(BlockedMetricOps.class);

  /** Largest array a JVM allocates. */
  static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

  /**
   * Outcome of a conjugate-gradient solve of {@code (G + λI)x = v}.
   *
   * @param x the solution
   * @param iterations CG iterations (one {@code G·p} pass each)
   * @param relativeResidual {@code ||v − (G + λI)x|| / ||v||}, recomputed from x with one extra pass
   * @param passes passes over the tiles, iterations plus residual checks
   * @param seconds wall time
   */
  public record CgResult(double[] x, int iterations, double relativeResidual, int passes, double seconds) {}

  /** CG stopped at its iteration cap before reaching the tolerance. */
  public static final class NotConvergedException extends PullbackException {
    private static final long serialVersionUID = 1L;
    private final transient CgResult partial;

    NotConvergedException(String message, CgResult partial) {
      super(USAGE, message);
      this.partial = partial;
    }

    /** The last iterate and its residual. */
    public CgResult partial() {
      return partial;
    }
  }

  private final BlockedMetric metric;
  private final int n;
  private final int tileSize;
  private final int nt;
  private final JavaSparkContext jsc;
  private long passes;

  /** Wraps an estimated metric (not copied; {@link #release()} frees its tiles). */
  public BlockedMetricOps(BlockedMetric metric) {
    this.metric = metric;
    this.n = metric.n();
    this.tileSize = metric.tileSize();
    this.nt = BlockedMetricEstimator.tileCols(n, tileSize);
    this.jsc = JavaSparkContext.fromSparkContext(metric.tiles().context());
  }

  /** The wrapped metric. */
  public BlockedMetric metric() {
    return metric;
  }

  /** N. */
  public int n() {
    return n;
  }

  /** Passes over the tiles so far ({@link #mv} and {@link #vTMv} calls, including those inside {@link #solve}). */
  public long passes() {
    return passes;
  }

  /**
   * {@code G·v}: each tile contributes {@code G_IJ v_J} to block I and, for {@code I ≠ J},
   * {@code G_IJᵀ v_I} to block J; block K sums its contributions in increasing L on an executor.
   *
   * @param v length N (not modified; broadcast)
   * @return {@code G·v}, length N
   */
  public double[] mv(double[] v) {
    checkLength(v, "v");
    int t = tileSize;
    int reducers = Math.max(1, Math.min(nt, metric.tiles().getNumPartitions()));
    Broadcast<double[]> bv = jsc.broadcast(v);
    try {
      List<Tuple2<Integer, double[]>> blocks = metric.tiles()
          .flatMapToPair(tile -> {
            double[] x = bv.value();
            List<Tuple2<Long, double[]>> out = new ArrayList<>(2);
            int i = tile.i();
            int j = tile.j();
            out.add(new Tuple2<>(productKey(i, j), TileProducts.rowBlock(tile.values(), tile.rows(), tile.cols(), x, j * t)));
            if (i != j) {
              out.add(new Tuple2<>(productKey(j, i), TileProducts.columnBlock(tile.values(), tile.rows(), tile.cols(), x, i * t)));
            }
            return out.iterator();
          })
          .repartitionAndSortWithinPartitions(new ContiguousRangePartitioner(reducers, 0, nt, OUTPUT_BLOCK))
          .mapPartitions(SumByBlock::new)
          .collect();
      double[] y = new double[n];
      int seen = 0;
      for (Tuple2<Integer, double[]> b : blocks) {
        System.arraycopy(b._2(), 0, y, b._1() * t, b._2().length);
        seen++;
      }
      if (seen != nt) throw new IllegalStateException("G·v: got " + seen + " of " + nt + " row blocks; the tiles are incomplete");
      passes++;
      return y;
    } finally {
      bv.destroy();
    }
  }

  /**
   * {@code vᵀGv = Σ_I v_IᵀG_II v_I + 2 Σ_{I<J} v_IᵀG_IJ v_J}: one number per tile, summed on the driver
   * in tile order.
   */
  public double vTMv(double[] v) {
    checkLength(v, "v");
    int t = tileSize;
    Broadcast<double[]> bv = jsc.broadcast(v);
    try {
      List<Tuple2<Long, Double>> parts = new ArrayList<>(metric.tiles().map(tile -> {
        double[] x = bv.value();
        double[] yi = TileProducts.rowBlock(tile.values(), tile.rows(), tile.cols(), x, tile.j() * t);
        double s = 0;
        int i0 = tile.i() * t;
        for (int a = 0; a < yi.length; a++) s += x[i0 + a] * yi[a];
        return new Tuple2<>(BlockedMetricEstimator.key(tile.i(), tile.j()), tile.i() == tile.j() ? s : 2 * s);
      }).collect());
      parts.sort(Comparator.comparing(Tuple2::_1));
      double s = 0;
      for (Tuple2<Long, Double> p : parts) s += p._2();
      passes++;
      return s;
    } finally {
      bv.destroy();
    }
  }

  /**
   * {@code (G + λI)⁻¹v} by {@link ConjugateGradient#solveVerified} on {@link #mv} (one pass per
   * iteration, from {@code x₀ = 0}, until the true residual {@code ||v − (G + λI)x|| ≤ tol·||v||},
   * restarting from x if rounding left it above the tolerance), with this class's failure contract. Converges for any symmetric positive
   * definite {@code G + λI} (λ > 0 makes it so); iterations grow like {@code √κ}, κ = condition number.
   *
   * @param v right-hand side, length N
   * @param lambda damping λ ≥ 0
   * @param tol relative residual to reach (> 0)
   * @param maxIter iteration cap (≥ 1)
   * @throws NotConvergedException (usage, exit 2) when maxIter iterations do not reach tol, naming
   *     {@code --cg-tol} and {@code --cg-max-iter} and the residual reached
   * @throws PullbackException (usage) when {@code G + λI} is found not positive definite
   */
  public CgResult solve(double[] v, double lambda, double tol, int maxIter) {
    checkLength(v, "v");
    if (!(lambda >= 0) || Double.isInfinite(lambda)) throw PullbackException.usage("damping λ must be finite and >= 0 ({damping}), got " + lambda);
    if (!(tol > 0) || tol >= 1) throw PullbackException.usage("CG tolerance must be in (0, 1) ({cgTol}), got " + tol);
    if (maxIter < 1) throw PullbackException.usage("CG iteration cap must be >= 1 ({cgMaxIter}), got " + maxIter);
    long start = System.nanoTime();
    long passes0 = passes;
    ConjugateGradient.Result r = ConjugateGradient.solveVerified(this::mv, v, lambda, tol, maxIter);
    double seconds = (System.nanoTime() - start) / 1e9;
    CgResult result = new CgResult(r.x(), r.iterations(), r.relativeResidual(), (int) (passes - passes0), seconds);
    if (r.indefinite()) {
      throw PullbackException.usage(String.format(Locale.ROOT,
          "CG: G + λI is not positive definite (pᵀ(G + λI)p = %.3e at iteration %d, λ = %.3e); use a damping λ > 0 ({damping})",
          r.curvature(), r.iterations(), lambda));
    }
    if (!r.converged()) {
      throw new NotConvergedException(String.format(Locale.ROOT,
          "CG did not converge: relative residual %.3e after %d iterations, above the tolerance %.3e;"
              + " raise the iteration cap ({cgMaxIter}, now %d), loosen the tolerance ({cgTol}) or raise the damping ({damping}, now %.3e)",
          r.relativeResidual(), r.iterations(), tol, maxIter, lambda), result);
    }
    LOG.info("CG solve (N = {}, λ = {}): {} iterations, relative residual {}, {} passes, {} s", n, lambda, r.iterations(),
        String.format(Locale.ROOT, "%.3e", r.relativeResidual()), passes - passes0, String.format(Locale.ROOT, "%.2f", seconds));
    return result;
  }

  /** {@code tr G}, from the diagonal computed with the estimate (no pass). */
  public double trace() {
    return metric.trace();
  }

  /** The diagonal of G, a copy (length N; no pass). */
  public double[] diagonal() {
    return metric.diagonal().clone();
  }

  /** {@code ||G||_F}, off-diagonal tiles counted twice (computed with the estimate; no pass). */
  public double frobeniusNorm() {
    return metric.frobeniusNorm();
  }

  /** The default limit of {@link #toDense()}: half the driver's maximum heap. */
  public static long defaultDenseLimitBytes() {
    return Runtime.getRuntime().maxMemory() / 2;
  }

  /** {@link #toDense(long)} with {@link #defaultDenseLimitBytes()}. */
  public double[] toDense() {
    return toDense(defaultDenseLimitBytes());
  }

  /**
   * The metric as a full symmetric {@code N×N} array on the driver (row-major, equal to column-major),
   * assembled one tile partition at a time ({@code 8·N²} bytes plus one partition of tiles).
   *
   * @param maxBytes refuse when {@code 8·N²} exceeds this
   * @throws PullbackException (usage) when {@code 8·N²} exceeds {@code maxBytes} or N² exceeds the
   *     largest Java array, saying how much is needed
   */
  public double[] toDense(long maxBytes) {
    long entries = (long) n * n;
    long bytes = 8L * entries;
    if (entries > MAX_ARRAY) {
      throw PullbackException.usage(String.format(Locale.ROOT,
          "the dense metric has N² = %d entries (N = %d), more than one Java array holds (%d); keep it blocked (products and solves work on the tiles)",
          entries, n, MAX_ARRAY));
    }
    if (bytes > maxBytes) {
      throw PullbackException.usage(String.format(Locale.ROOT,
          "the dense metric needs 8·N² = %s (N = %d), more than the limit of %s (by default half the driver heap, which is %s;"
              + " raise it with {driverMemory}); keep it blocked (products and solves work on the tiles)",
          gb(bytes), n, gb(maxBytes), gb(Runtime.getRuntime().maxMemory())));
    }
    double[] g = new double[(int) entries];
    int t = tileSize;
    int placed = 0;
    Iterator<Tile> it = metric.tiles().toLocalIterator();
    while (it.hasNext()) {
      Tile tile = it.next();
      int i0 = tile.i() * t;
      int j0 = tile.j() * t;
      double[] v = tile.values();
      for (int a = 0; a < tile.rows(); a++) {
        for (int b = 0; b < tile.cols(); b++) {
          double x = v[a * tile.cols() + b];
          g[(i0 + a) * n + j0 + b] = x;
          g[(j0 + b) * n + i0 + a] = x;
        }
      }
      placed++;
    }
    int expected = nt * (nt + 1) / 2;
    if (placed != expected) throw new IllegalStateException("toDense: got " + placed + " of " + expected + " upper tiles");
    return g;
  }

  /** Frees the persisted tiles. */
  public void release() {
    metric.release();
  }

  private void checkLength(double[] v, String name) {
    if (v == null || v.length != n) {
      throw new IllegalArgumentException(name + " must have length N = " + n + ", got " + (v == null ? "null" : v.length));
    }
  }

  private static String gb(long bytes) {
    return String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
  }

  /** Key of a product block: output block K (high bits), summation index L (low bits). */
  static long productKey(int k, int l) {
    return ((long) k << 32) | l;
  }

  /** A product key's output block K (its high bits). */
  private static final ContiguousRangePartitioner.KeyOrdinal OUTPUT_BLOCK = key -> ((Long) key) >>> 32;

  /** Sums consecutive contributions to the same output block (sorted by K, then L) in increasing L. */
  private static final class SumByBlock implements Iterator<Tuple2<Integer, double[]>> {
    private final Iterator<Tuple2<Long, double[]>> in;
    private Tuple2<Long, double[]> pending;

    SumByBlock(Iterator<Tuple2<Long, double[]>> in) {
      this.in = in;
      this.pending = in.hasNext() ? in.next() : null;
    }

    @Override
    public boolean hasNext() {
      return pending != null;
    }

    @Override
    public Tuple2<Integer, double[]> next() {
      if (pending == null) throw new NoSuchElementException();
      int k = (int) (pending._1() >>> 32);
      double[] sum = pending._2();
      pending = null;
      while (in.hasNext()) {
        Tuple2<Long, double[]> x = in.next();
        if ((int) (x._1() >>> 32) != k) {
          pending = x;
          break;
        }
        double[] v = x._2();
        for (int a = 0; a < sum.length; a++) sum[a] += v[a];
      }
      return new Tuple2<>(k, sum);
    }
  }
}
