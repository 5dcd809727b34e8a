package io.pullback.distributed;

import io.pullback.data.ExampleBlock;
import io.pullback.metric.BoundFactorRows;
import io.pullback.metric.FactorRows;
import io.pullback.metric.aggregate.BlockData;
import io.pullback.metric.aggregate.BlockSum;
import io.pullback.metric.aggregate.TiledGram;
import org.apache.spark.sql.SparkSession;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * {@link BlockData} over cached Spark partitions: a {@link BlockSum} is broadcast once per pass
 * (so θ and any vectors it carries travel once per executor, not once per task), each partition
 * sums its blocks with its own adder, and the partials are merged by {@link DeterministicTreeReduce}
 * (bit-identical for the same data and partitioning, retries included); the broadcast is destroyed
 * after the pass.
 *
 * <p>Costs per pass: shuffled bytes {@code 8·L·P} per tree level for a sum of length L; driver
 * memory {@code fanIn · 8·L}.
 */
public final class SparkBlockData implements BlockData {
  private final LoadedData data;
  private final long reduceBudgetBytes;

  public SparkBlockData(LoadedData data, long reduceBudgetBytes) {
    this.data = data;
    this.reduceBudgetBytes = reduceBudgetBytes;
  }

  @Override
  public long examples() {
    return data.examples();
  }

  @Override
  public double weightSum() {
    return data.weightSum();
  }

  @Override
  public double[] sum(BlockSum s) {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(data.blocks().context());
    Broadcast<BlockSum> sumB = sc.broadcast(s);
    int length = s.length();
    try {
      JavaPairRDD<Integer, double[]> partials = data.blocks()
          .mapPartitionsWithIndex((Integer index, Iterator<ExampleBlock> blocks) -> {
            double[] acc = new double[length];
            BlockSum.Adder adder = sumB.value().newAdder();
            while (blocks.hasNext()) adder.add(blocks.next(), acc);
            adder.finish(acc);
            return List.of(new Tuple2<>(index, acc)).iterator();
          }, true)
          .mapToPair(t -> t);
      int fanIn = DeterministicTreeReduce.chooseFanIn(data.partitions(), 8L * length, reduceBudgetBytes);
      double[] total = DeterministicTreeReduce.reduce(partials, SparkBlockData::add, fanIn);
      return total == null ? new double[length] : total;
    } finally {
      sumB.destroy();
    }
  }

  private static double[] add(double[] left, double[] right) {
    for (int i = 0; i < left.length; i++) left[i] += right[i];
    return left;
  }

  @Override
  public List<double[]> collect(BlockMapper mapper) {
    // The mapper (θ inside) goes once per executor by broadcast; collect() returns partitions in
    // index order and each partition's blocks in example order.
    Broadcast<BlockMapper> mapperB = JavaSparkContext.fromSparkContext(data.blocks().context()).broadcast(mapper);
    try {
      return data.blocks().map(block -> mapperB.value().apply(block)).collect();
    } finally {
      mapperB.destroy();
    }
  }

  /**
   * The band-per-pass {@link BlockedMetricEstimator} over all partitions; the tiles stay on the
   * executors and answer products through {@link BlockedMetricOps}.
   */
  @Override
  public TiledGram tiledMetric(FactorRows rows, double[] theta, int tileSize) {
    BlockedMetricEstimator.BlockedMetric metric = BlockedMetricEstimator.estimate(data, new BoundFactorRows(rows, theta.clone()),
        BlockedMetricEstimator.Options.of(tileSize));
    return tiles(new BlockedMetricOps(metric));
  }

  /** {@link BlockedMetricOps} as a {@link TiledGram}. */
  public static TiledGram tiles(BlockedMetricOps ops) {
    return new TiledGram() {
      @Override public int n() { return ops.n(); }
      @Override public int tileSize() { return ops.metric().tileSize(); }
      @Override public double[] mv(double[] v) { return ops.mv(v); }
      @Override public double trace() { return ops.trace(); }
      @Override public double[] diagonal() { return ops.diagonal(); }
      @Override public double frobeniusNorm() { return ops.frobeniusNorm(); }
      @Override public double[] toDense(long maxBytes) { return ops.toDense(maxBytes); }
      @Override public long passes() { return ops.passes(); }
      @Override public long estimatePasses() { return ops.metric().plan().passes(); }
      @Override public void write(io.pullback.io.Location folder) { MetricTiles.write(SparkSession.active(), ops.metric(), folder); }
      @Override public void release() { ops.release(); }
    };
  }

  @Override
  public DenseGram denseMetric(FactorRows rows, double[] theta) {
    DenseMetricEstimator.DenseMetric g = DenseMetricEstimator.estimate(data, new BoundFactorRows(rows, theta), reduceBudgetBytes);
    return new DenseGram(g.values(), java.util.Map.of("reduce_fan_in", g.fanIn()));
  }
}
