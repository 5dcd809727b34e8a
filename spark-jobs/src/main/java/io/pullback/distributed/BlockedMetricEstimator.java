package io.pullback.distributed;

import dev.ludovic.netlib.blas.BLAS;
import io.pullback.data.ExampleBlock;
import io.pullback.linalg.Blas;
import io.pullback.metric.FactorSource;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.mllib.linalg.DenseMatrix;
import org.apache.spark.mllib.linalg.Matrix;
import org.apache.spark.mllib.linalg.distributed.BlockMatrix;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * The blocked regime: the metric stays distributed as {@code T×T} tiles {@code G_IJ} of the upper
 * triangle ({@code I ≤ J}), never assembled on the driver.
 *
 * <p>Each partition accumulates, for every block of factor rows {@code A} (column-major, so the
 * column range of tile I is contiguous), {@code C_IJ += A_Iᵀ A_J} with one {@code dgemm} per tile pair.
 * Tiles are emitted keyed by {@code (I, J)} with their partition index, grouped per key, and summed in
 * partition order (deterministic: no dependence on shuffle arrival order).
 *
 * <p>Costs (nt = ⌈N/T⌉ tiles per side):
 * <ul>
 *   <li>flops: {@code ≈ M·r·N²} (upper tile pairs only);</li>
 *   <li>shuffled bytes: {@code ≈ 4·N²·P} (every partition ships its upper tiles once);</li>
 *   <li>driver memory: O(N) (diagonal and statistics only);</li>
 *   <li>executor memory per task: {@code 4·N²} for the upper tiles plus one factor block; for N where
 *       that is too much, a later pass-per-band mode bounds it (not yet implemented).</li>
 * </ul>
 */
public final class BlockedMetricEstimator {

  /** One summed upper tile, row-major values, already divided by the weight total. */
  public record Tile(int i, int j, int rows, int cols, double[] values) implements Serializable {}

  /**
   * Result: the upper tiles (cached) and the statistics computed from them on the executors.
   */
  public record BlockedMetric(int n, int tileSize, JavaRDD<Tile> tiles, double weightSum, long examples,
                              double[] diagonal, double frobeniusNorm) {

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

    public double trace() {
      double s = 0;
      for (double d : diagonal) s += d;
      return s;
    }

    /** Frees the cached tiles. */
    public void release() {
      tiles.unpersist(false);
    }
  }

  private BlockedMetricEstimator() {}

  /** Estimates the blocked metric with tiles of {@code tileSize} (the last tile row/column may be smaller). */
  public static BlockedMetric estimate(LoadedData data, FactorSource source, int tileSize) {
    int n = source.numParams();
    int r = source.rowsPerExample();
    if (tileSize < 1) throw new IllegalArgumentException("tileSize must be >= 1, got " + tileSize);
    int nt = (n + tileSize - 1) / tileSize;
    double weight = data.weightSum();
    JavaPairRDD<Long, Tuple2<Integer, double[]>> partial = data.blocks()
        .mapPartitionsWithIndex((Integer index, Iterator<ExampleBlock> blocks) -> {
          double[][] acc = new double[nt * (nt + 1) / 2][];
          double[] factors = new double[0];
          BLAS blas = Blas.get();
          while (blocks.hasNext()) {
            ExampleBlock block = blocks.next();
            int rows = block.rows() * r;
            if (rows == 0) continue;
            if (factors.length < rows * n) factors = new double[rows * n];
            source.compute(block, factors);
            int t = 0;
            for (int jj = 0; jj < nt; jj++) {
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
          List<Tuple2<Long, Tuple2<Integer, double[]>>> out = new ArrayList<>();
          int t = 0;
          for (int jj = 0; jj < nt; jj++) {
            for (int ii = 0; ii <= jj; ii++, t++) {
              if (acc[t] != null) out.add(new Tuple2<>(key(ii, jj), new Tuple2<>(index, acc[t])));
            }
          }
          return out.iterator();
        }, true)
        .mapToPair(x -> x);
    int reducers = Math.max(1, Math.min(nt * (nt + 1) / 2, data.partitions()));
    JavaRDD<Tile> tiles = partial.groupByKey(new HashPartitioner(reducers)).map(group -> {
      List<Tuple2<Integer, double[]>> parts = new ArrayList<>();
      group._2().forEach(parts::add);
      parts.sort(Comparator.comparing(Tuple2::_1));
      double[] sum = parts.get(0)._2().clone();
      for (int p = 1; p < parts.size(); p++) {
        double[] v = parts.get(p)._2();
        for (int k = 0; k < sum.length; k++) sum[k] += v[k];
      }
      int ii = (int) (group._1() >>> 32);
      int jj = (int) (long) group._1();
      int rws = Math.min(tileSize, n - ii * tileSize);
      int cols = Math.min(tileSize, n - jj * tileSize);
      // Column-major sum → row-major values divided by the weight total.
      double[] rowMajor = new double[rws * cols];
      for (int c = 0; c < cols; c++) {
        for (int rr = 0; rr < rws; rr++) rowMajor[rr * cols + c] = sum[c * rws + rr] / weight;
      }
      return new Tile(ii, jj, rws, cols, rowMajor);
    });
    tiles = tiles.sortBy(t -> key(t.i(), t.j()), true, reducers);
    tiles.persist(StorageLevel.MEMORY_AND_DISK());
    double[] diagonal = new double[n];
    for (Tuple2<Integer, double[]> d : tiles.filter(t -> t.i() == t.j()).map(t -> {
      double[] diag = new double[t.rows()];
      for (int k = 0; k < diag.length; k++) diag[k] = t.values()[k * t.cols() + k];
      return new Tuple2<>(t.i(), diag);
    }).collect()) {
      System.arraycopy(d._2(), 0, diagonal, d._1() * tileSize, d._2().length);
    }
    // Frobenius norm: off-diagonal tiles count twice. Summed per tile, then in tile order (deterministic).
    List<Tuple2<Long, Double>> squares = tiles.map(t -> {
      double s = 0;
      for (double v : t.values()) s += v * v;
      return new Tuple2<>(key(t.i(), t.j()), t.i() == t.j() ? s : 2 * s);
    }).collect();
    List<Tuple2<Long, Double>> sortedSquares = new ArrayList<>(squares);
    sortedSquares.sort(Comparator.comparing(Tuple2::_1));
    double frob = 0;
    for (Tuple2<Long, Double> s : sortedSquares) frob += s._2();
    return new BlockedMetric(n, tileSize, tiles, weight, data.examples(), diagonal, Math.sqrt(frob));
  }

  static long key(int i, int j) {
    return ((long) i << 32) | (j & 0xFFFFFFFFL);
  }
}
