package io.pullback.distributed;

import io.pullback.data.ExampleBlock;
import io.pullback.metric.FactorSource;
import io.pullback.metric.aggregate.GramAccumulator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * The dense regime: {@code G = Σ_x w_x R(x)ᵀR(x) / Σ w_x} as one symmetric {@code N×N} matrix on the
 * driver.
 *
 * <p>Each partition runs one {@link GramAccumulator} over its blocks (one level-3 BLAS call per
 * block), packs its upper triangle, and the packed partials are summed by a
 * {@link DeterministicTreeReduce} (bit-identical for the same data and partitioning).
 *
 * <p>Costs (M examples, r factor rows each, N parameters, P partitions):
 * <ul>
 *   <li>flops: {@code M·r·N²} (dsyrk; twice that with the Java dgemm kernel) plus the Jacobians;</li>
 *   <li>shuffled bytes: {@code ≈ 4·N²·P} per tree level below the top (packed upper triangles);</li>
 *   <li>driver memory: {@code 8·N²} for the result plus {@code fanIn · 4·N²} while merging;</li>
 *   <li>executor memory per task: {@code 8·N²} accumulator + one factor block {@code 8·B·r·N}.</li>
 * </ul>
 * Limit: N ≤ 46,340 (an N² Java array); past the dense limit use the blocked regime.
 */
public final class DenseMetricEstimator {

  /** Result: the full symmetric metric, row-major (equal to column-major). */
  public record DenseMetric(int n, double[] values, double weightSum, long examples, int fanIn) {}

  private DenseMetricEstimator() {}

  /**
   * Estimates the dense metric.
   *
   * @param data the packed examples
   * @param source factor rows at the current parameters
   * @param reduceBudgetBytes what one merge task (or the driver) may hold of partials at once
   */
  public static DenseMetric estimate(LoadedData data, FactorSource source, long reduceBudgetBytes) {
    int n = source.numParams();
    // Row-major factor rows skip a transposition when the model writes its Jacobian that way (logistic).
    boolean rowMajor = source.prefersRowMajor();
    // θ travels inside the factor source: once per executor, by broadcast.
    Broadcast<FactorSource> sourceB = JavaSparkContext.fromSparkContext(data.blocks().context()).broadcast(source);
    try {
      JavaPairRDD<Integer, PackedGram> partials = data.blocks()
          .mapPartitionsWithIndex((Integer index, Iterator<ExampleBlock> blocks) -> {
            // The kernel is chosen where it runs: an executor's BLAS may differ from the driver's.
            GramAccumulator acc = new GramAccumulator(n, GramAccumulator.Kernel.forCurrentBlas());
            FactorSource src = sourceB.value().forTask();
            double[] factors = new double[0];
            while (blocks.hasNext()) factors = addBlock(src, rowMajor, blocks.next(), factors, acc);
            return List.of(new Tuple2<>(index, PackedGram.of(acc))).iterator();
          }, true)
          .mapToPair(t -> t);
      long partialBytes = 4L * n * (n + 1);
      int fanIn = DeterministicTreeReduce.chooseFanIn(data.partitions(), partialBytes, reduceBudgetBytes);
      PackedGram total = DeterministicTreeReduce.reduce(partials, PackedGram::merge, fanIn);
      double[] g = GramAccumulator.finishPacked(total.packed, n, total.weightSum);
      return new DenseMetric(n, g, total.weightSum, total.count, fanIn);
    } finally {
      sourceB.destroy();
    }
  }

  /**
   * Adds one block's factor rows to {@code acc}, in the layout the source prefers (row-major skips a
   * transposition; see {@link FactorSource#prefersRowMajor}).
   *
   * @param factors work buffer (grown when too small)
   * @return the work buffer to pass with the next block
   */
  static double[] addBlock(FactorSource source, boolean rowMajor, ExampleBlock block, double[] factors, GramAccumulator acc) {
    int rows = block.rows() * source.rowsPerExample();
    int n = source.numParams();
    double[] buffer = factors.length < (long) rows * n ? new double[Math.multiplyExact(rows, n)] : factors;
    if (rowMajor) {
      source.computeRowMajor(block, buffer);
      acc.addRowMajor(buffer, rows, block.weightSum(), block.rows());
    } else {
      source.compute(block, buffer);
      acc.add(buffer, rows, block.weightSum(), block.rows());
    }
    return buffer;
  }
}
