package io.pullback.metric.aggregate;

import io.pullback.data.ExampleBlock;
import java.util.List;

/**
 * The examples a metric is computed over, as something that can evaluate {@link BlockSum}s and
 * collect per-block rows: cached Spark partitions ({@code io.pullback.distributed.SparkBlockData})
 * or a list of blocks in memory ({@link #of(List)}, for tests and small problems). Both merge in a
 * fixed order, so the same blocks give bit-identical sums.
 */
public interface BlockData {

  /** M, the number of examples. */
  long examples();

  /** {@code Σ w_x} over all examples. */
  double weightSum();

  /** {@code Σ_blocks s(block)}, merged in block (partition) order; one data pass. */
  double[] sum(BlockSum s);

  /**
   * Every block's {@code rows(block)} concatenated in example order (one data pass): for quantities
   * that are gathered, not summed (the factor rows of a mini-batch for the NTK dual).
   */
  List<double[]> collect(BlockMapper mapper);

  /**
   * The dense metric {@code Σ w RᵀR / Σ w} (row-major N×N) with the Gram kernel (one level-3 BLAS
   * call per block); Spark data use the dense estimator's deterministic tree reduce.
   */
  DenseGram denseMetric(io.pullback.metric.FactorRows rows, double[] theta);

  /**
   * The exact metric as upper-triangle tiles of side {@code tileSize} (the blocked representation's
   * storage): for Spark data, computed band by band and kept on the executors; in memory, cut from
   * the dense metric. A sampled view uses all of its underlying data (the blocked metric is not
   * rebuilt per mini-batch).
   */
  TiledGram tiledMetric(io.pullback.metric.FactorRows rows, double[] theta, int tileSize);

  /**
   * A dense metric and how it was reduced.
   *
   * @param values row-major N×N, symmetric
   * @param details what the summary reports of the reduction (Spark: {@code reduce_fan_in})
   */
  record DenseGram(double[] values, java.util.Map<String, Object> details) {}

  /** Maps a block to a vector (serializable: runs on executors). */
  interface BlockMapper extends java.io.Serializable {
    double[] apply(ExampleBlock block);
  }

  /** In-memory blocks, summed left to right. */
  static BlockData of(List<ExampleBlock> blocks) {
    return new BlockData() {
      @Override
      public long examples() {
        long m = 0;
        for (ExampleBlock b : blocks) m += b.rows();
        return m;
      }

      @Override
      public double weightSum() {
        double w = 0;
        for (ExampleBlock b : blocks) w += b.weightSum();
        return w;
      }

      @Override
      public double[] sum(BlockSum s) {
        double[] acc = new double[s.length()];
        BlockSum.Adder adder = s.newAdder();
        for (ExampleBlock b : blocks) adder.add(b, acc);
        adder.finish(acc);
        return acc;
      }

      @Override
      public DenseGram denseMetric(io.pullback.metric.FactorRows rows, double[] theta) {
        return new DenseGram(GramAccumulator.denseMetric(rows.model(), rows.kind(), rows.samples(), rows.seed(), theta, blocks),
            java.util.Map.of());
      }

      @Override
      public TiledGram tiledMetric(io.pullback.metric.FactorRows rows, double[] theta, int tileSize) {
        return TiledGram.inMemory(denseMetric(rows, theta).values(), rows.model().numParams(), tileSize);
      }

      @Override
      public List<double[]> collect(BlockMapper mapper) {
        return blocks.stream().map(mapper::apply).toList();
      }
    };
  }
}
