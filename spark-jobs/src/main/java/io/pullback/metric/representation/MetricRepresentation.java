package io.pullback.metric.representation;

import io.pullback.io.Npy;
import io.pullback.linalg.MetricSolver;
import io.pullback.io.Location;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One metric {@code G} (N×N, symmetric positive semi-definite), however it is stored, answering the
 * same questions everywhere: {@code mv}, {@code vTMv}, damped solves, trace, diagonal, Frobenius
 * norm and, when it fits in memory, the dense matrix.
 *
 * <p>Exact representations ({@link #exact()}: dense, blocked, implicit, and ntk-dual over the
 * examples it saw) return the metric's own values; approximate ones (diag, block-diag, kfac,
 * ekfac, low-rank) answer every question for their approximation {@code Ĝ}, consistently: {@code mv},
 * {@code solve}, {@code trace}, {@code diagonal} and {@code toDense} all describe the same
 * {@code Ĝ}. (The trace and diagonal of diag and block-diag equal G's; kfac damps by factored
 * Tikhonov damping, so its {@code solve(v, λ)} is exact only for λ = 0, see {@link KfacMetric}.)
 *
 * <p>Inputs are never modified; results are new arrays.
 */
public sealed interface MetricRepresentation extends MetricSolver
    permits DenseMetric, DiagonalMetric, BlockDiagonalMetric, KfacMetric, EkfacMetric, LowRankMetric, NtkDualMetric,
        ImplicitMetric, BlockedTilesMetric {

  /** Bytes above which {@link #toDense()} refuses: 2 GiB (an N×N double array of N ≈ 16,000). */
  long DEFAULT_DENSE_LIMIT_BYTES = 2L << 30;

  /** Which representation this is. */
  RepresentationKind kind();

  /** Whether the answers are the metric's own (not an approximation's). */
  boolean exact();

  /** {@code G·v}. Same as {@link #multiply}. */
  default double[] mv(double[] v) {
    return multiply(v);
  }

  /**
   * {@code G·v_t} for a block of vectors (each of length N, not modified): the block product, with
   * {@link #mv} its s = 1 case. The default makes s products; the implicit metric overrides it with
   * one data pass for the whole block ({@link GramOperator#apply}: one model evaluation per example
   * block, level-3 BLAS over the vectors).
   */
  default double[][] mm(double[][] vectors) {
    double[][] out = new double[vectors.length][];
    for (int t = 0; t < vectors.length; t++) out[t] = mv(vectors[t]);
    return out;
  }

  /** {@code vᵀ G v}. */
  default double vTMv(double[] v) {
    double[] gv = multiply(v);
    double s = 0;
    for (int i = 0; i < v.length; i++) s += v[i] * gv[i];
    return s;
  }

  /** {@code tr G}; by default the sum of {@link #diagonal()}. */
  default double trace() {
    double t = 0;
    for (double d : diagonal()) t += d;
    return t;
  }

  /** {@code diag G}, length N. */
  double[] diagonal();

  /** {@code ‖G‖_F}. */
  double frobeniusNorm();

  /**
   * The dense matrix, row-major N×N, when {@code 8·N²} bytes fit under {@link #DEFAULT_DENSE_LIMIT_BYTES}.
   *
   * @throws IllegalStateException naming N and the bytes needed, when it does not fit
   */
  double[] toDense();

  /**
   * What {@code estimate} writes next to {@code summary.json}: file name (without {@code .npy}) to
   * array. Every representation that stores something exports it (the dense matrix, the diagonal,
   * Kronecker factors, a low-rank basis, an NTK kernel); implicit stores nothing.
   */
  Map<String, NpyArray> exports();

  /**
   * Writes what this representation stores into {@code dir} — every {@link #exports()} entry as
   * {@code NAME.npy} (1-D or 2-D float64) — and returns the names written, in the order written.
   * The blocked representation writes its tiles as {@code metric/} (Parquet) instead.
   */
  default List<String> writeTo(Location dir) {
    List<String> files = new ArrayList<>();
    for (Map.Entry<String, NpyArray> e : exports().entrySet()) {
      String file = e.getKey() + ".npy";
      long[] shape = e.getValue().shape();
      if (shape.length == 1) {
        Npy.writeVector(dir.resolve(file), e.getValue().data());
      } else {
        Npy.writeMatrix(dir.resolve(file), e.getValue().data(), (int) shape[0], (int) shape[1]);
      }
      files.add(file);
    }
    return files;
  }

  /** Summary statistics for {@code summary.json} beyond trace/diagonal (sizes, ranks, iterations). */
  default Map<String, Object> details() {
    return Map.of();
  }

  /** Frees distributed or cached resources. */
  default void release() {}

  /** A float64 array with its shape, for {@code .npy}. */
  record NpyArray(double[] data, long[] shape) {}

  /** Throws when an N×N dense matrix would not fit. */
  static void requireDenseFits(RepresentationKind kind, int n) {
    requireDenseFits(kind, n, DEFAULT_DENSE_LIMIT_BYTES);
  }

  /** Throws when an N×N dense matrix would exceed {@code limitBytes} or the largest Java array. */
  static void requireDenseFits(RepresentationKind kind, int n, long limitBytes) {
    long bytes = 8L * n * n;
    if (bytes > limitBytes || (long) n * n > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException("the " + kind + " metric with N = " + n + " needs " + bytes
          + " bytes as a dense matrix, more than the limit of " + Math.min(limitBytes, 8L * (Integer.MAX_VALUE - 8)) + " bytes");
    }
  }
}
