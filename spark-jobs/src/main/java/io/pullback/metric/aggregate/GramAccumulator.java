package io.pullback.metric.aggregate;

import dev.ludovic.netlib.blas.BLAS;
import io.pullback.linalg.Blas;
import java.io.Serializable;

/**
 * Spark-free accumulator of a weighted Gram of factor rows: {@code C = Σ_blocks AᵀA} and the weight
 * total {@code W = Σ w_x}, finished as {@code G = C / W}.
 *
 * <p>Usage: {@link #add} blocks of factor rows (already scaled by {@code √w_x}), {@link #merge} two
 * accumulators, {@link #finish} on the driver. Merging two halves equals adding everything (up to
 * floating-point rounding); adding the same blocks in the same order is bit-identical.
 *
 * <p>Kernel: one level-3 BLAS call per block. With a native BLAS, {@code dsyrk} on the upper
 * triangle ({@code rows·N²} flops); with the Java BLAS, whose {@code dsyrk} is not vectorised,
 * {@code dgemm("T","N")} on the full square ({@code 2·rows·N²} flops, still several times faster).
 * Only the upper triangle is ever read back.
 *
 * <p>Memory: one dense {@code N×N} array (8·N² bytes) per accumulator; {@link #packedUpper()} ships
 * half of that ({@code N(N+1)/2} doubles).
 */
public final class GramAccumulator implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Which level-3 kernel {@link #add} uses. */
  public enum Kernel { SYRK, GEMM;
    /** The fast kernel for the BLAS in use. */
    public static Kernel forCurrentBlas() {
      return Blas.isNative() ? SYRK : GEMM;
    }
  }

  private final int n;
  private final Kernel kernel;
  /** Column-major N×N; only the upper triangle (i ≤ j) is meaningful. */
  private final double[] gram;
  private double weightSum;
  private long count;

  public GramAccumulator(int n) {
    this(n, Kernel.forCurrentBlas());
  }

  public GramAccumulator(int n, Kernel kernel) {
    if (n <= 0) throw new IllegalArgumentException("n must be > 0, got " + n);
    if ((long) n * n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("n = " + n + " is too large for a dense accumulator (n² must fit in an array); use the blocked representation");
    }
    this.n = n;
    this.kernel = kernel;
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
    if (rows > 0) {
      BLAS blas = Blas.get();
      if (kernel == Kernel.SYRK) {
        blas.dsyrk("U", "T", n, rows, 1.0, factors, rows, 1.0, gram, n);
      } else {
        blas.dgemm("T", "N", n, n, rows, 1.0, factors, rows, factors, rows, 1.0, gram, n);
      }
    }
    weightSum += blockWeight;
    count += examples;
    return this;
  }

  /** Adds another accumulator's sums into this one (upper triangle only). Returns this. */
  public GramAccumulator merge(GramAccumulator other) {
    if (other.n != n) throw new IllegalArgumentException("cannot merge N=" + other.n + " into N=" + n);
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

  public int n() { return n; }
  public Kernel kernel() { return kernel; }
  public double weightSum() { return weightSum; }
  public long count() { return count; }
}
