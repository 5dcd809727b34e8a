package io.pullback.distributed;

import dev.ludovic.netlib.blas.BLAS;
import io.pullback.PullbackException;
import io.pullback.data.ExampleBlock;
import io.pullback.linalg.Blas;
import io.pullback.metric.FactorSource;
import java.io.Externalizable;
import java.io.IOException;
import java.io.ObjectInput;
import java.io.ObjectOutput;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.mllib.linalg.DenseMatrix;
import org.apache.spark.mllib.linalg.Matrix;
import org.apache.spark.mllib.linalg.distributed.BlockMatrix;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;
import scala.Tuple3;

/**
 * The blocked regime: the metric {@code G = Σ_x w_x R(x)ᵀR(x) / Σ w_x} stays distributed as
 * {@code T×T} tiles {@code G_IJ} of the upper triangle ({@code I ≤ J}), never assembled on the driver.
 *
 * <p><b>Kernel.</b> Each partition computes, for every block of factor rows {@code A} (column-major
 * {@code (B·r) × N}, so the column range of tile I is contiguous), {@code C_IJ += A_Iᵀ A_J} with one
 * {@code dgemm("T","N")} per tile pair, blocks in index order. The partial tiles are shuffled keyed by
 * {@code (J, I, partition)}, sorted, and each tile is summed in partition order and divided by
 * {@code Σ w} (deterministic: no dependence on shuffle arrival order or on task retries).
 *
 * <p><b>Bands.</b> Holding all upper tiles needs {@code 4·N²} bytes per task (1.6 GB at N = 20,000),
 * so the tile columns are processed in <em>bands</em>: one data pass per band of consecutive tile
 * columns {@code [J0, J1)}, in which each task holds only the tiles {@code (I ≤ J, J0 ≤ J < J1)}. Bands
 * are chosen greedily from a per-task memory budget ({@link Options#taskMemoryBytes()}, default
 * {@value #DEFAULT_TASK_MEMORY_BYTES} bytes = 256 MiB): a band takes tile columns while
 * {@code 8·(its tile values) + 8·B·r·N (one factor block)} stays within the budget (see
 * {@link BandPlan#plan}). Every tile is computed by exactly the same sequence of {@code dgemm} calls
 * and the same partition-order sum as with all tiles in one pass, so the result is bit-identical for
 * any budget. Each band's summed tiles are persisted ({@link Options#storage()}, default
 * {@code MEMORY_AND_DISK}, so they spill to local disk when executor memory is short) and the metric
 * is the union of the bands, ordered by tile column then tile row.
 *
 * <p><b>Costs</b> (M examples, r factor rows each, N parameters, P partitions, tile size T,
 * {@code nt = ⌈N/T⌉}, {@code p} passes = bands):
 * <ul>
 *   <li>flops: {@code ≈ M·r·N·(N+T)} for the tiles (upper tile pairs only, {@code 2·M·r} per entry),
 *       independent of the number of bands; plus {@code p} evaluations of the factor rows (each
 *       {@code O(M·r·N)} for linear models, {@code M·K} backward passes for an MLP);</li>
 *   <li>data passes: {@code p} over the cached blocks (1 when {@code 4·N·(N+T)} bytes plus a factor
 *       block fit the budget), plus one pass over the summed tiles' diagonals for the statistics
 *       (done while persisting each band, so no extra read);</li>
 *   <li>shuffled bytes: {@code ≈ 4·N·(N+T)·P} in total (every non-empty partition ships its partial
 *       upper tiles once, whatever the banding);</li>
 *   <li>driver memory: O(N + nt²) (the diagonal and one number per tile);</li>
 *   <li>executor memory per map task: at most the budget (band tiles plus one factor block
 *       {@code 8·B·r·N}); per reduce task: one summed tile plus the sorted shuffle input, which Spark
 *       spills to disk; storage: {@code 4·N·(N+T)} bytes of summed tiles across the cluster (memory
 *       and/or local disk), plus the shuffle files.</li>
 * </ul>
 * Limits: fewer than 2²⁰ partitions and 2²⁰ tile columns; each tile has at most {@code T² < 2³¹}
 * entries.
 */
public final class BlockedMetricEstimator {
  private static final Logger LOG = LoggerFactory.getLogger(BlockedMetricEstimator.class);

  /** Default per-task memory budget for the band plan: 256 MiB. */
  public static final long DEFAULT_TASK_MEMORY_BYTES = 256L << 20;

  /** Bits of the shuffle key that hold the partition index (and the tile row, above it). */
  static final int INDEX_BITS = 20;

  /**
   * One summed upper tile, row-major values, already divided by the weight total. Java serialization
   * (shuffles, tiles persisted to disk) goes through {@link TileForm}, which writes the values in bulk.
   */
  public record Tile(int i, int j, int rows, int cols, double[] values) implements Serializable {
    private Object writeReplace() {
      return new TileForm(this);
    }
  }

  /** Serialized form of a {@link Tile}: four ints and the values as bulk bytes ({@link BulkDoubles}). */
  static final class TileForm implements Externalizable {
    private static final long serialVersionUID = 1L;
    private Tile tile;

    /** For deserialization only. */
    public TileForm() {}

    TileForm(Tile tile) {
      this.tile = tile;
    }

    @Override
    public void writeExternal(ObjectOutput out) throws IOException {
      out.writeInt(tile.i());
      out.writeInt(tile.j());
      out.writeInt(tile.rows());
      out.writeInt(tile.cols());
      BulkDoubles.write(out, tile.values());
    }

    @Override
    public void readExternal(ObjectInput in) throws IOException {
      int i = in.readInt();
      int j = in.readInt();
      int rows = in.readInt();
      int cols = in.readInt();
      double[] values = BulkDoubles.read(in);
      if ((long) rows * cols != values.length) throw new IOException("tile (" + i + ", " + j + "): " + rows + "×" + cols + " but " + values.length + " values");
      tile = new Tile(i, j, rows, cols, values);
    }

    private Object readResolve() {
      return tile;
    }
  }

  /**
   * How the estimate runs.
   *
   * @param tileSize T, the tile side (the last tile row/column may be smaller)
   * @param taskMemoryBytes what one task may hold of tiles plus one factor block; chooses the bands
   *     ({@link Long#MAX_VALUE}: all tiles in one pass)
   * @param storage where the summed tiles are kept (e.g. {@code MEMORY_AND_DISK}, {@code DISK_ONLY})
   */
  public record Options(int tileSize, long taskMemoryBytes, StorageLevel storage) implements Serializable {
    public Options {
      if (tileSize < 1) throw PullbackException.usage("tile size must be >= 1 ({tileSize}), got " + tileSize);
      if ((long) tileSize * tileSize > Integer.MAX_VALUE - 8) {
        throw PullbackException.usage("tile size " + tileSize + " is too large (a tile of T² values must fit in one array; use T ≤ 46340, e.g. 1024)");
      }
      if (taskMemoryBytes < 1) throw PullbackException.usage("per-task memory budget must be > 0 bytes, got " + taskMemoryBytes);
      if (storage == null) throw new IllegalArgumentException("storage level must not be null");
    }

    /** Tiles of side T, the default budget (256 MiB per task), {@code MEMORY_AND_DISK}. */
    public static Options of(int tileSize) {
      return new Options(tileSize, DEFAULT_TASK_MEMORY_BYTES, StorageLevel.MEMORY_AND_DISK());
    }

    /** All tiles in a single pass (each task holds {@code 4·N·(N+T)} bytes): the reference mode. */
    public static Options allTiles(int tileSize) {
      return new Options(tileSize, Long.MAX_VALUE, StorageLevel.MEMORY_AND_DISK());
    }

    public Options withTaskMemory(long bytes) {
      return new Options(tileSize, bytes, storage);
    }

    public Options withStorage(StorageLevel level) {
      return new Options(tileSize, taskMemoryBytes, level);
    }
  }

  /**
   * One data pass: tile columns {@code [firstCol, endCol)} and every tile {@code (I ≤ J)} above them.
   *
   * @param tiles number of tiles in the band
   * @param tileBytes {@code 8 ×} their total number of values
   */
  public record Band(int firstCol, int endCol, int tiles, long tileBytes) implements Serializable {
    /** Column-major upper ordinal of the band's first tile, {@code J0(J0+1)/2}. */
    long firstOrdinal() {
      return ordinal(0, firstCol);
    }
  }

  /**
   * The bands of an estimate: consecutive tile columns grouped greedily so that each band's tiles plus
   * one factor block fit the per-task budget.
   */
  public record BandPlan(int n, int tileSize, long taskMemoryBytes, long factorBlockBytes, List<Band> bands)
      implements Serializable {

    /**
     * Plans the bands.
     *
     * @param n N
     * @param tileSize T
     * @param factorBlockBytes what one block of factor rows takes ({@code 8·B·r·N})
     * @param taskMemoryBytes the per-task budget
     * @throws PullbackException (usage) when one tile column plus one factor block exceed the budget,
     *     saying how much would be needed
     */
    public static BandPlan plan(int n, int tileSize, long factorBlockBytes, long taskMemoryBytes) {
      if (n < 1) throw new IllegalArgumentException("N must be >= 1, got " + n);
      if (tileSize < 1) throw PullbackException.usage("tile size must be >= 1 ({tileSize}), got " + tileSize);
      int nt = BlockedMetricEstimator.tileCols(n, tileSize);
      if (nt >= (1 << INDEX_BITS)) {
        throw PullbackException.usage("N = " + n + " with tile size " + tileSize + " gives " + nt
            + " tile columns; at most " + ((1 << INDEX_BITS) - 1) + " are supported: raise {tileSize}");
      }
      long budget = taskMemoryBytes - factorBlockBytes;
      List<Band> bands = new ArrayList<>();
      int j0 = 0;
      long bytes = 0;
      for (int j = 0; j < nt; j++) {
        long col = columnBytes(n, tileSize, j);
        if (col > budget) {
          long need = col + factorBlockBytes;
          throw PullbackException.usage(String.format(Locale.ROOT,
              "blocked metric: the per-task memory budget of %s cannot hold tile column %d (%s of tiles for N = %d, tile size %d)"
                  + " plus one factor block (%s); raise the budget to at least %s (%d bytes), or lower the tile size ({tileSize})"
                  + " or the examples per block ({blockRows})",
              mib(taskMemoryBytes), j, mib(col), n, tileSize, mib(factorBlockBytes), mib(need), need));
        }
        if (j > j0 && bytes + col > budget) {
          bands.add(band(n, tileSize, j0, j, bytes));
          j0 = j;
          bytes = 0;
        }
        bytes += col;
      }
      bands.add(band(n, tileSize, j0, nt, bytes));
      return new BandPlan(n, tileSize, taskMemoryBytes, factorBlockBytes, List.copyOf(bands));
    }

    private static Band band(int n, int t, int j0, int j1, long bytes) {
      int tiles = 0;
      for (int j = j0; j < j1; j++) tiles += j + 1;
      return new Band(j0, j1, tiles, bytes);
    }

    /** {@code 8 ×} the values of the tiles above tile column j: {@code 8·cols_j·min((j+1)·T, N)}. */
    static long columnBytes(int n, int t, int j) {
      long cols = Math.min(t, n - (long) j * t);
      long rows = Math.min((long) (j + 1) * t, n);
      return 8L * cols * rows;
    }

    /** Number of data passes. */
    public int passes() {
      return bands.size();
    }

    /** Tiles per side, {@code ⌈N/T⌉}. */
    public int tileCols() {
      return BlockedMetricEstimator.tileCols(n, tileSize);
    }

    /** Upper tiles in total, {@code nt(nt+1)/2}. */
    public int tileCount() {
      int nt = tileCols();
      return nt * (nt + 1) / 2;
    }

    /** Bytes of all upper tiles, {@code ≈ 4·N·(N+T)}. */
    public long tileBytes() {
      long s = 0;
      for (Band b : bands) s += b.tileBytes();
      return s;
    }

    /** Largest band's tile bytes (what one task holds besides its factor block). */
    public long maxBandBytes() {
      long m = 0;
      for (Band b : bands) m = Math.max(m, b.tileBytes());
      return m;
    }

    /** One line for logs. */
    public String describe() {
      StringBuilder widths = new StringBuilder();
      for (Band b : bands) {
        if (widths.length() > 0) widths.append(',');
        widths.append(b.endCol() - b.firstCol());
      }
      return String.format(Locale.ROOT,
          "N = %d, tile size %d: %d tiles (%s) in %d pass(es), band widths [%s] tile columns, largest band %s + factor block %s per task, budget %s",
          n, tileSize, tileCount(), mib(tileBytes()), passes(), widths, mib(maxBandBytes()), mib(factorBlockBytes),
          taskMemoryBytes == Long.MAX_VALUE ? "unbounded" : mib(taskMemoryBytes));
    }
  }

  /**
   * Result: the upper tiles (persisted, one RDD per band; {@link #tiles} is their union, ordered by
   * tile column then tile row) and the statistics computed from them on the executors.
   *
   * @param n N
   * @param tileSize T
   * @param tiles all upper tiles
   * @param weightSum Σ w
   * @param examples M
   * @param diagonal the diagonal of G (length N, on the driver)
   * @param frobeniusNorm {@code ||G||_F}, off-diagonal tiles counted twice
   * @param plan the bands used
   * @param passSeconds wall time of each band's pass (compute, shuffle, sum and persist)
   * @param parts the persisted per-band RDDs (released by {@link #release()})
   */
  public record BlockedMetric(int n, int tileSize, JavaRDD<Tile> tiles, double weightSum, long examples,
                              double[] diagonal, double frobeniusNorm, BandPlan plan, double[] passSeconds,
                              List<JavaRDD<Tile>> parts, Broadcast<FactorSource> source) {

    /** The metric as an MLlib {@link BlockMatrix} (both triangles: lower tiles are transposes). */
    public BlockMatrix toBlockMatrix() {
      // flatMapToPair gives the RDD a Tuple2 element class tag, which BlockMatrix's collect needs.
      JavaPairRDD<Tuple2<Object, Object>, Matrix> blocks = tiles.flatMapToPair(t -> {
        List<Tuple2<Tuple2<Object, Object>, Matrix>> out = new ArrayList<>(2);
        Matrix m = new DenseMatrix(t.rows(), t.cols(), t.values(), true);
        out.add(new Tuple2<>(new Tuple2<>(t.i(), t.j()), m));
        if (t.i() != t.j()) out.add(new Tuple2<>(new Tuple2<>(t.j(), t.i()), m.transpose()));
        return out.iterator();
      });
      return new BlockMatrix(blocks.rdd(), tileSize, tileSize, n, n);
    }

    /** {@code tr G}, the diagonal summed in index order. */
    public double trace() {
      double s = 0;
      for (double d : diagonal) s += d;
      return s;
    }

    /** Frees the persisted tiles (memory and disk) and the broadcast factor source; a second call does nothing. */
    public void release() {
      for (JavaRDD<Tile> p : parts) p.unpersist(false);
      tiles.unpersist(false);
      if (source.isValid()) source.destroy();
    }
  }

  private BlockedMetricEstimator() {}

  /** Estimates the blocked metric with tiles of {@code tileSize}, the default 256 MiB per-task budget, {@code MEMORY_AND_DISK}. */
  public static BlockedMetric estimate(LoadedData data, FactorSource source, int tileSize) {
    return estimate(data, source, Options.of(tileSize));
  }

  /** Estimates the blocked metric, one data pass per band of tile columns (see the class comment). */
  public static BlockedMetric estimate(LoadedData data, FactorSource source, Options options) {
    int n = source.numParams();
    int r = source.rowsPerExample();
    int tileSize = options.tileSize();
    if (data.partitions() >= (1 << INDEX_BITS)) {
      throw PullbackException.usage("the blocked metric supports fewer than " + (1 << INDEX_BITS) + " partitions, got " + data.partitions() + " ({partitions})");
    }
    double weight = data.weightSum();
    if (!(weight > 0)) {
      throw PullbackException.data("total example weight is " + weight + "; a metric needs at least one example with positive weight");
    }
    long factorValues = (long) data.blockRows() * r * n;
    if (factorValues > Integer.MAX_VALUE - 8) {
      throw PullbackException.usage("a block of factor rows (" + data.blockRows() + " examples × " + r + " rows × N = " + n
          + " = " + factorValues + " values) does not fit in one array; use fewer examples per block ({blockRows})");
    }
    long factorBlockBytes = 8L * factorValues;
    BandPlan plan = BandPlan.plan(n, tileSize, factorBlockBytes, options.taskMemoryBytes());
    LOG.info("Blocked metric: {}", plan.describe());
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(data.blocks().context());
    // θ travels inside the factor source, once per executor; kept until release(), because a lost
    // persisted tile partition is recomputed from it.
    Broadcast<FactorSource> sourceB = jsc.broadcast(source);

    double[] diagonal = new double[n];
    List<Tuple2<Long, Double>> squares = new ArrayList<>();
    List<JavaRDD<Tile>> parts = new ArrayList<>();
    double[] passSeconds = new double[plan.passes()];
    try {
      for (int b = 0; b < plan.passes(); b++) {
        Band band = plan.bands().get(b);
        long t0 = System.nanoTime();
        JavaRDD<Tile> tiles = bandTiles(data, sourceB, n, r, tileSize, weight, band, plan, jsc.defaultParallelism());
        tiles.setName(String.format(Locale.ROOT, "blocked metric tiles, columns [%d, %d)", band.firstCol(), band.endCol()));
        tiles.persist(options.storage());
        parts.add(tiles);
        // One action computes the band, persists it and returns its statistics (no second read).
        for (Tuple3<Long, Double, double[]> s : tiles.map(BlockedMetricEstimator::statistics).collect()) {
          squares.add(new Tuple2<>(s._1(), s._2()));
          if (s._3() != null) System.arraycopy(s._3(), 0, diagonal, tileRow(s._1()) * tileSize, s._3().length);
        }
        passSeconds[b] = (System.nanoTime() - t0) / 1e9;
        LOG.info("Blocked metric pass {}/{}: tile columns [{}, {}), {} tiles, {} s", b + 1, plan.passes(),
            band.firstCol(), band.endCol(), band.tiles(), String.format(Locale.ROOT, "%.2f", passSeconds[b]));
      }
    } catch (Throwable e) { // also a job cancelled by a signal (a checked SparkException)
      for (JavaRDD<Tile> p : parts) p.unpersist(false); // no half-estimated metric left on the executors
      sourceB.destroy();
      throw e;
    }
    JavaRDD<Tile> all = parts.size() == 1 ? parts.get(0) : jsc.union(parts.toArray(JavaRDD[]::new));
    // Frobenius norm: off-diagonal tiles count twice. Summed per tile, then in (I, J) order (deterministic).
    squares.sort(Comparator.comparing(Tuple2::_1));
    double frob = 0;
    for (Tuple2<Long, Double> s : squares) frob += s._2();
    return new BlockedMetric(n, tileSize, all, weight, data.examples(), diagonal, Math.sqrt(frob), plan, passSeconds,
        Collections.unmodifiableList(parts), sourceB);
  }

  /** One band: partial tiles per partition, shuffled, summed per tile in partition order. */
  private static JavaRDD<Tile> bandTiles(LoadedData data, Broadcast<FactorSource> sourceB, int n, int r, int tileSize, double weight,
                                         Band band, BandPlan plan, int parallelism) {
    int j0 = band.firstCol();
    int j1 = band.endCol();
    int bandTiles = band.tiles();
    JavaPairRDD<Long, BulkDoubles> partial = data.blocks()
        .mapPartitionsWithIndex((Integer index, Iterator<ExampleBlock> blocks) -> {
          double[][] acc = new double[bandTiles][];
          double[] factors = new double[0];
          FactorSource source = sourceB.value().forTask();
          BLAS blas = Blas.get();
          while (blocks.hasNext()) {
            ExampleBlock block = blocks.next();
            int rows = block.rows() * r;
            if (rows == 0) continue;
            if (factors.length < rows * n) factors = new double[rows * n];
            source.compute(block, factors);
            int t = 0;
            for (int jj = j0; jj < j1; jj++) {
              int c0 = jj * tileSize;
              int cols = Math.min(tileSize, n - c0);
              for (int ii = 0; ii <= jj; ii++, t++) {
                int r0 = ii * tileSize;
                int rws = Math.min(tileSize, n - r0);
                if (acc[t] == null) acc[t] = new double[rws * cols];
                // C (rws × cols, column-major) += A_Iᵀ A_J.
                blas.dgemm("T", "N", rws, cols, rows, 1.0, factors, r0 * rows, rows, factors, c0 * rows, rows, 1.0, acc[t], 0, rws);
              }
            }
          }
          return new PartialTiles(acc, j0, j1, index);
        }, true)
        .mapToPair(x -> x);
    // Reducers: at least the cluster's parallelism, and enough that one reducer's input (P partials
    // of its tiles) is about the budget; never more than the band's tiles.
    long input = (long) data.partitions() * band.tileBytes();
    long perReducer = Math.max(1, plan.taskMemoryBytes() - plan.factorBlockBytes());
    long wanted = Math.max(parallelism, (input + perReducer - 1) / perReducer);
    int reducers = (int) Math.max(1, Math.min(bandTiles, wanted));
    // Contiguous ordinal ranges per reducer: the band's tiles come out ordered by column, then row.
    Partitioner partitioner = new ContiguousRangePartitioner(reducers, band.firstOrdinal(), bandTiles, TILE_ORDINAL);
    return partial.repartitionAndSortWithinPartitions(partitioner)
        .mapPartitions(sorted -> new SumInPartitionOrder(sorted, n, tileSize, weight));
  }

  /** (key (I,J), squared entries — twice for I ≠ J —, the diagonal when I = J, else null). */
  private static Tuple3<Long, Double, double[]> statistics(Tile t) {
    double s = 0;
    for (double v : t.values()) s += v * v;
    double[] diag = null;
    if (t.i() == t.j()) {
      diag = new double[t.rows()];
      for (int k = 0; k < diag.length; k++) diag[k] = t.values()[k * t.cols() + k];
    }
    return new Tuple3<>(key(t.i(), t.j()), t.i() == t.j() ? s : 2 * s, diag);
  }

  /** Emits a partition's partial tiles as {@code (shuffleKey(I, J, partition), C_IJ)}, releasing each as it goes. */
  private static final class PartialTiles implements Iterator<Tuple2<Long, BulkDoubles>> {
    private final double[][] acc;
    private final int j1;
    private final int index;
    private int t;
    private int ii;
    private int jj;

    PartialTiles(double[][] acc, int j0, int j1, int index) {
      this.acc = acc;
      this.j1 = j1;
      this.index = index;
      this.jj = j0;
      skipEmpty();
    }

    private void skipEmpty() {
      while (jj < j1 && acc[t] == null) advance();
    }

    private void advance() {
      t++;
      if (++ii > jj) {
        ii = 0;
        jj++;
      }
    }

    @Override
    public boolean hasNext() {
      return jj < j1;
    }

    @Override
    public Tuple2<Long, BulkDoubles> next() {
      if (!hasNext()) throw new NoSuchElementException();
      Tuple2<Long, BulkDoubles> out = new Tuple2<>(shuffleKey(ii, jj, index), new BulkDoubles(acc[t]));
      acc[t] = null;
      advance();
      skipEmpty();
      return out;
    }
  }

  /**
   * Sums runs of equal tiles in a reducer's sorted input: the partials of one tile arrive consecutively,
   * in partition order; the first is the accumulator, the others are added in order, then the column-major
   * sum becomes row-major values divided by the weight total.
   */
  private static final class SumInPartitionOrder implements Iterator<Tile> {
    private final Iterator<Tuple2<Long, BulkDoubles>> in;
    private final int n;
    private final int tileSize;
    private final double weight;
    private Tuple2<Long, BulkDoubles> pending;

    SumInPartitionOrder(Iterator<Tuple2<Long, BulkDoubles>> in, int n, int tileSize, double weight) {
      this.in = in;
      this.n = n;
      this.tileSize = tileSize;
      this.weight = weight;
      this.pending = in.hasNext() ? in.next() : null;
    }

    @Override
    public boolean hasNext() {
      return pending != null;
    }

    @Override
    public Tile next() {
      if (pending == null) throw new NoSuchElementException();
      long tile = pending._1() >>> INDEX_BITS;
      double[] sum = pending._2().values();
      pending = null;
      while (in.hasNext()) {
        Tuple2<Long, BulkDoubles> x = in.next();
        if (x._1() >>> INDEX_BITS != tile) {
          pending = x;
          break;
        }
        double[] v = x._2().values();
        for (int k = 0; k < sum.length; k++) sum[k] += v[k];
      }
      int jj = (int) (tile >>> INDEX_BITS);
      int ii = (int) (tile & ((1L << INDEX_BITS) - 1));
      int rws = Math.min(tileSize, n - ii * tileSize);
      int cols = Math.min(tileSize, n - jj * tileSize);
      double[] rowMajor = new double[rws * cols];
      for (int c = 0; c < cols; c++) {
        for (int rr = 0; rr < rws; rr++) rowMajor[rr * cols + c] = sum[c * rws + rr] / weight;
      }
      return new Tile(ii, jj, rws, cols, rowMajor);
    }
  }

  /** A partial tile's key to the column-major upper ordinal {@code J(J+1)/2 + I} of its tile. */
  private static final ContiguousRangePartitioner.KeyOrdinal TILE_ORDINAL = key -> {
    long tile = ((Long) key) >>> INDEX_BITS;
    return ordinal((int) (tile & ((1L << INDEX_BITS) - 1)), (int) (tile >>> INDEX_BITS));
  };

  /** {@code ⌈N/T⌉}. */
  static int tileCols(int n, int tileSize) {
    return (int) (((long) n + tileSize - 1) / tileSize);
  }

  /** Column-major ordinal of upper tile (I ≤ J): {@code J(J+1)/2 + I}. */
  static long ordinal(int i, int j) {
    return (long) j * (j + 1) / 2 + i;
  }

  /** Shuffle key ordering partials by tile column, tile row, then partition index. */
  static long shuffleKey(int i, int j, int partition) {
    return (((long) j << INDEX_BITS | i) << INDEX_BITS) | partition;
  }

  /** Row-major tile key (I, J), used to order per-tile statistics. */
  static long key(int i, int j) {
    return ((long) i << 32) | (j & 0xFFFFFFFFL);
  }

  static int tileRow(long key) {
    return (int) (key >>> 32);
  }

  static int tileCol(long key) {
    return (int) key;
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }
}
