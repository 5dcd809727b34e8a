package io.pullback.metric.aggregate;

import dev.ludovic.netlib.blas.BLAS;
import io.pullback.data.ExampleBlock;
import io.pullback.linalg.Blas;
import io.pullback.metric.FactorRows;
import io.pullback.metric.MetricKind;
import io.pullback.model.Model;
import java.io.Serializable;
import java.util.List;

/**
 * Spark-free accumulator of a weighted Gram of factor rows: {@code C = Σ_blocks AᵀA} and the weight
 * total {@code W = Σ w_x}, finished as {@code G = C / W}.
 *
 * <p>Usage: {@link #add} blocks of factor rows (already scaled by {@code √w_x}), {@link #merge} two
 * accumulators, {@link #finish} on the driver. Merging two halves equals adding everything (up to
 * floating-point rounding); adding the same blocks in the same order is bit-identical.
 *
 * <p>Kernel (chosen by measurement, see docs/performance.md): with a native BLAS, {@code dsyrk} on
 * the upper triangle ({@code rows·N²} flops, one call per block); with the Java BLAS, whose
 * {@code dsyrk} is not vectorised, {@code dgemm("T","N")} on upper panels of {@code tile} columns
 * ({@link Kernel#GEMM_TILES}: {@code N/tile} calls per block, {@code rows·N·(N + tile)} flops,
 * against {@code 2·rows·N²} for the full square of {@link Kernel#GEMM}). Only the upper triangle is
 * ever read back. Blocks smaller than {@link #chunkRows()} rows are first packed into a chunk
 * buffer (column-major, in arrival order) so each BLAS call sees enough rows to run at full speed;
 * the chunk is flushed before anything reads the sums.
 *
 * <p>Memory: one dense {@code N×N} array (8·N² bytes) per accumulator, plus a chunk buffer of
 * {@code 8·chunkRows·N} bytes once a small block arrives; {@link #packedUpper()} ships half of the
 * matrix ({@code N(N+1)/2} doubles).
 */
public final class GramAccumulator implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Which level-3 kernel {@link #add} uses. */
  public enum Kernel {
    /** {@code dsyrk("U","T")}: one call per block, {@code rows·N²} flops. */
    SYRK,
    /** {@code dgemm("T","N")} on the full square: one call, {@code 2·rows·N²} flops. */
    GEMM,
    /** {@code dgemm("T","N")} on upper column panels of {@code tile} columns: {@code rows·N·(N+tile)} flops. */
    GEMM_TILES;

    /**
     * The fast kernel for the BLAS in use (measured by {@code pullback bench}, recorded in
     * docs/performance.md): native OpenBLAS {@code dsyrk}, else Java {@code dgemm} on tiles. The system
     * property {@code pullback.gram.kernel} (syrk, gemm, gemm_tiles) overrides it.
     */
    public static Kernel forCurrentBlas() {
      String forced = System.getProperty("pullback.gram.kernel");
      if (forced != null && !forced.isBlank()) return valueOf(forced.trim().toUpperCase(java.util.Locale.ROOT));
      return Blas.isNative() ? SYRK : GEMM_TILES;
    }
  }

  /** Default panel width of {@link Kernel#GEMM_TILES} (tuned by the benchmark; {@code pullback.gram.tile}). */
  public static final int DEFAULT_TILE = Integer.getInteger("pullback.gram.tile", 256);
  /** Default minimum rows per BLAS call (smaller blocks are packed together; {@code pullback.gram.chunk}). */
  public static final int DEFAULT_CHUNK_ROWS = Integer.getInteger("pullback.gram.chunk", 256);

  /**
   * Default maximum rows per BLAS call ({@code pullback.gram.max-rows}; 0: no limit): larger blocks are
   * added in row slices (no copy). Native OpenBLAS blocks internally (no limit); the Java dgemm does
   * not block its inner dimension and slows down past about a thousand rows.
   */
  public static int defaultMaxRows() {
    Integer forced = Integer.getInteger("pullback.gram.max-rows");
    if (forced != null) return forced;
    return Blas.isNative() ? 0 : 1024;
  }

  private final int n;
  private final Kernel kernel;
  private final int tile;
  private final int chunkRows;
  private final int maxRows;
  /** Column-major N×N; only the upper triangle (i ≤ j) is meaningful. */
  private final double[] gram;
  private double weightSum;
  private long count;
  /**
   * Packed small blocks not yet added, {@code pending} rows used: column-major {@code chunkRows × N}
   * ({@code chunkRowMajor} false) or row-major ({@code true}, rows contiguous).
   */
  private transient double[] chunk;
  private boolean chunkRowMajor;
  /** Copy of one row slice of a block larger than {@code maxRows}. */
  private transient double[] sliceBuffer;
  private int pending;

  public GramAccumulator(int n) {
    this(n, Kernel.forCurrentBlas());
  }

  public GramAccumulator(int n, Kernel kernel) {
    this(n, kernel, DEFAULT_TILE, DEFAULT_CHUNK_ROWS, defaultMaxRows());
  }

  /** As {@link #GramAccumulator(int, Kernel, int, int, int)} with the default maximum rows per call. */
  public GramAccumulator(int n, Kernel kernel, int tile, int chunkRows) {
    this(n, kernel, tile, chunkRows, defaultMaxRows());
  }

  /**
   * @param n N, the number of columns of the factor rows
   * @param kernel the level-3 kernel
   * @param tile panel width for {@link Kernel#GEMM_TILES} (≥ 1)
   * @param chunkRows blocks with fewer rows are packed together until this many rows (0: never pack)
   * @param maxRows at most this many rows per BLAS call; larger blocks are added in row slices (0: no limit)
   */
  public GramAccumulator(int n, Kernel kernel, int tile, int chunkRows, int maxRows) {
    if (n <= 0) throw new IllegalArgumentException("n must be > 0, got " + n);
    if ((long) n * n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("n = " + n + " is too large for a dense accumulator (n² must fit in an array); use the blocked representation");
    }
    if (kernel == null) throw new IllegalArgumentException("kernel must be given; valid: " + java.util.Arrays.toString(Kernel.values()));
    if (tile < 1) throw new IllegalArgumentException("tile must be >= 1, got " + tile);
    if (chunkRows < 0 || (long) chunkRows * n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("chunkRows must be in [0, 2^31/N], got " + chunkRows);
    }
    this.n = n;
    this.kernel = kernel;
    this.tile = tile;
    if (maxRows < 0) throw new IllegalArgumentException("maxRows must be >= 0, got " + maxRows);
    this.chunkRows = chunkRows;
    this.maxRows = maxRows;
    this.gram = new double[n * n];
  }

  /**
   * Adds {@code AᵀA} for a block of factor rows.
   *
   * @param factors column-major {@code rows × N} (not modified): {@code factors[j·rows + r]}
   * @param rows number of factor rows in the block
   * @param blockWeight the weight total of the examples those rows came from
   * @param examples number of examples in the block
   */
  public GramAccumulator add(double[] factors, int rows, double blockWeight, long examples) {
    if (rows < 0 || (long) rows * n > factors.length) {
      throw new IllegalArgumentException("factors holds " + factors.length + " values, fewer than rows*N = " + (long) rows * n);
    }
    if (rows > 0 && rows < chunkRows) {
      if (pending + rows > chunkRows || (pending > 0 && chunkRowMajor)) flush();
      if (chunk == null) chunk = new double[chunkRows * n];
      chunkRowMajor = false;
      for (int j = 0; j < n; j++) System.arraycopy(factors, j * rows, chunk, j * chunkRows + pending, rows);
      pending += rows;
    } else if (rows > 0) {
      flush();
      syrk(factors, rows, rows);
    }
    weightSum += blockWeight;
    count += examples;
    return this;
  }

  /**
   * Adds {@code AᵀA} for a block of factor rows stored <em>row-major</em> (each row's N values
   * contiguous), with no transposition: the block is the column-major {@code N × rows} matrix
   * {@code Aᵀ}, so one {@code dsyrk("U","N")} (or {@code dgemm("N","T")} panels) adds
   * {@code Aᵀ(Aᵀ)ᵀ = AᵀA}. Same flops, chunking and results (up to rounding) as {@link #add}.
   *
   * @param factors row-major {@code rows × N} (not modified): {@code factors[r·N + j]}
   * @param rows number of factor rows in the block
   * @param blockWeight the weight total of the examples those rows came from
   * @param examples number of examples in the block
   */
  public GramAccumulator addRowMajor(double[] factors, int rows, double blockWeight, long examples) {
    if (rows < 0 || (long) rows * n > factors.length) {
      throw new IllegalArgumentException("factors holds " + factors.length + " values, fewer than rows*N = " + (long) rows * n);
    }
    if (rows > 0 && rows < chunkRows) {
      if (pending + rows > chunkRows || (pending > 0 && !chunkRowMajor)) flush();
      if (chunk == null) chunk = new double[chunkRows * n];
      chunkRowMajor = true;
      System.arraycopy(factors, 0, chunk, pending * n, rows * n);
      pending += rows;
    } else if (rows > 0) {
      flush();
      syrkRowMajor(factors, rows);
    }
    weightSum += blockWeight;
    count += examples;
    return this;
  }

  /** Adds the packed small blocks, if any. */
  private void flush() {
    if (pending > 0) {
      if (chunkRowMajor) syrkRowMajor(chunk, pending); else syrk(chunk, pending, chunkRows);
      pending = 0;
    }
  }

  /** Upper triangle of {@code gram += AᵀA}, A row-major {@code rows × N}; row slices need no copy. */
  private void syrkRowMajor(double[] a, int rows) {
    int step = maxRows > 0 ? maxRows : rows;
    for (int r0 = 0; r0 < rows; r0 += step) slice(a, r0 * n, Math.min(step, rows - r0), n, true);
  }

  /** Upper triangle of {@code gram += AᵀA}, A column-major {@code rows × N} with leading dimension {@code lda}. */
  private void syrk(double[] a, int rows, int lda) {
    int step = maxRows > 0 ? maxRows : rows;
    slice(a, 0, Math.min(step, rows), lda, false);
    for (int r0 = step; r0 < rows; r0 += step) {
      // Later slices are copied out (netlib's bound checks refuse a row offset into a column-major
      // array): k·N copies against k·N² flops.
      int k = Math.min(step, rows - r0);
      if (sliceBuffer == null || sliceBuffer.length < k * n) sliceBuffer = new double[step * n];
      for (int j = 0; j < n; j++) System.arraycopy(a, j * lda + r0, sliceBuffer, j * k, k);
      slice(sliceBuffer, 0, k, k, false);
    }
  }

  /**
   * {@code k} rows of A starting at {@code a[off]}: one BLAS call (or one per panel for GEMM_TILES).
   * Column-major A (leading dimension {@code ld}) is used transposed ({@code dsyrk "T"}); row-major A
   * ({@code ld = N}) is the column-major {@code Aᵀ}, used as is ({@code dsyrk "N"}).
   */
  private void slice(double[] a, int off, int k, int ld, boolean rowMajor) {
    BLAS blas = Blas.get();
    String first = rowMajor ? "N" : "T";
    String second = rowMajor ? "T" : "N";
    // Where column j of the result's A starts: next element of a row (row-major) or next column.
    int columnStride = rowMajor ? 1 : ld;
    switch (kernel) {
      case SYRK -> blas.dsyrk("U", first, n, k, 1.0, a, off, ld, 1.0, gram, 0, n);
      case GEMM -> blas.dgemm(first, second, n, n, k, 1.0, a, off, ld, a, off, ld, 1.0, gram, 0, n);
      case GEMM_TILES -> {
        // Column panel [j0, j0+w): rows 0..j0+w of C, i.e. the upper block triangle plus the diagonal block.
        for (int j0 = 0; j0 < n; j0 += tile) {
          int w = Math.min(tile, n - j0);
          blas.dgemm(first, second, j0 + w, w, k, 1.0, a, off, ld, a, off + j0 * columnStride, ld, 1.0, gram, j0 * n, n);
        }
      }
      default -> throw new AssertionError(kernel);
    }
  }

  /** Adds another accumulator's sums into this one (upper triangle only). Returns this. */
  public GramAccumulator merge(GramAccumulator other) {
    if (other.n != n) throw new IllegalArgumentException("cannot merge N=" + other.n + " into N=" + n);
    flush();
    other.flush();
    for (int j = 0; j < n; j++) {
      int col = j * n;
      for (int i = 0; i <= j; i++) gram[col + i] += other.gram[col + i];
    }
    weightSum += other.weightSum;
    count += other.count;
    return this;
  }

  /** Adds a packed upper triangle (column-major packing, as {@link #packedUpper()}). */
  public GramAccumulator mergePacked(double[] packed, double otherWeight, long otherCount) {
    if (packed.length != packedLength(n)) {
      throw new IllegalArgumentException("packed length " + packed.length + " != N(N+1)/2 = " + packedLength(n));
    }
    flush();
    int p = 0;
    for (int j = 0; j < n; j++) {
      int col = j * n;
      for (int i = 0; i <= j; i++) gram[col + i] += packed[p++];
    }
    weightSum += otherWeight;
    count += otherCount;
    return this;
  }

  /** The upper triangle packed column by column ({@code C[0,0], C[0,1], C[1,1], C[0,2], …}), unnormalised. */
  public double[] packedUpper() {
    flush();
    double[] packed = new double[packedLength(n)];
    int p = 0;
    for (int j = 0; j < n; j++) {
      int col = j * n;
      for (int i = 0; i <= j; i++) packed[p++] = gram[col + i];
    }
    return packed;
  }

  /** {@code N(N+1)/2}. */
  public static int packedLength(int n) {
    return (int) ((long) n * (n + 1) / 2);
  }

  /**
   * The finished metric {@code G = C / W}, full symmetric, row-major (equal to column-major).
   *
   * @throws IllegalStateException when no weight was accumulated (empty data or all-zero weights)
   */
  public double[] finish() {
    return finishPacked(packedUpper(), n, weightSum);
  }

  /** Expands a packed upper triangle into a full symmetric {@code N×N} array divided by {@code weightSum}. */
  public static double[] finishPacked(double[] packed, int n, double weightSum) {
    if (!(weightSum > 0)) {
      throw new IllegalStateException("total example weight is " + weightSum + "; a metric needs at least one example with positive weight");
    }
    double[] g = new double[n * n];
    int p = 0;
    for (int j = 0; j < n; j++) {
      for (int i = 0; i <= j; i++) {
        double v = packed[p++] / weightSum;
        g[i * n + j] = v;
        g[j * n + i] = v;
      }
    }
    return g;
  }

  /** Packed rows are added before serialisation (the chunk buffer is not shipped). */
  private void writeObject(java.io.ObjectOutputStream out) throws java.io.IOException {
    flush();
    out.defaultWriteObject();
  }

  public int n() { return n; }
  public Kernel kernel() { return kernel; }
  public int tile() { return tile; }
  public int chunkRows() { return chunkRows; }
  public int maxRows() { return maxRows; }
  public double weightSum() { return weightSum; }
  public long count() { return count; }

  /**
   * The dense metric over a list of blocks, without Spark: factor rows per block into one
   * {@code GramAccumulator}, finished as {@code G = Σ w R ᵀR / Σ w}. Returns row-major
   * {@code N × N} (symmetric). Cost: {@code Σ_blocks B·r·N²} flops (plus the factor rows);
   * memory {@code 8·N²} bytes plus one block's factors.
   *
   * @throws IllegalStateException when the total weight is not positive
   */
  public static double[] denseMetric(Model model, MetricKind kind, int samples, long seed, double[] theta,
                                     List<ExampleBlock> blocks) {
    FactorRows fr = new FactorRows(model, kind, samples, seed);
    int maxRows = 0;
    for (ExampleBlock blk : blocks) maxRows = Math.max(maxRows, blk.rows());
    FactorRows.Workspace ws = fr.newWorkspace(maxRows);
    long len = (long) maxRows * fr.rowsPerExample() * model.numParams();
    if (len > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("B*r*N = " + len + " factor values do not fit in one array; use smaller blocks");
    }
    double[] factors = new double[(int) Math.max(1, len)];
    GramAccumulator acc = new GramAccumulator(model.numParams());
    for (ExampleBlock blk : blocks) {
      fr.compute(theta, blk, ws, factors);
      acc.add(factors, blk.rows() * fr.rowsPerExample(), blk.weightSum(), blk.rows());
    }
    return acc.finish();
  }
}
