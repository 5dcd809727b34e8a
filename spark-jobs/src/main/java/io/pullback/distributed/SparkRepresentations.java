package io.pullback.distributed;

import io.pullback.metric.BoundFactorRows;
import io.pullback.metric.FactorRows;
import io.pullback.metric.aggregate.BlockData;
import io.pullback.metric.representation.BlockedTilesMetric;
import io.pullback.metric.representation.MetricRepresentation;
import io.pullback.metric.representation.RepresentationKind;
import io.pullback.metric.representation.RepresentationOptions;
import io.pullback.metric.representation.Representations;

/**
 * Builds any {@link MetricRepresentation} over cached Spark data: {@code blocked} by the
 * band-per-pass {@link BlockedMetricEstimator} (tiles stay on the executors, wrapped by
 * {@link BlockedMetricOps}), every other one by {@link Representations} over {@link SparkBlockData}
 * (or over the sampled view {@code blocks} when given).
 */
public final class SparkRepresentations {
  private SparkRepresentations() {}

  /**
   * @param blocks the examples to use (the whole of {@code data}, or a sampled view of it); blocked
   *     always uses the whole of {@code data}
   * @param tileSize tile side of the blocked representation
   */
  public static MetricRepresentation build(RepresentationKind kind, LoadedData data, BlockData blocks, FactorRows rows,
                                           double[] theta, RepresentationOptions options, int tileSize) {
    if (kind != RepresentationKind.BLOCKED) return Representations.build(kind, blocks, rows, theta, options);
    BlockedMetricEstimator.BlockedMetric metric = BlockedMetricEstimator.estimate(data, new BoundFactorRows(rows, theta.clone()),
        BlockedMetricEstimator.Options.of(tileSize));
    return new BlockedTilesMetric(tiles(new BlockedMetricOps(metric)), options.cgTol(), options.cgMaxIter());
  }

  /** {@link BlockedMetricOps} as the representation's tile operations. */
  public static BlockedTilesMetric.Tiles tiles(BlockedMetricOps ops) {
    return new BlockedTilesMetric.Tiles() {
      @Override public int n() { return ops.n(); }
      @Override public double[] mv(double[] v) { return ops.mv(v); }
      @Override public double trace() { return ops.trace(); }
      @Override public double[] diagonal() { return ops.diagonal(); }
      @Override public double frobeniusNorm() { return ops.frobeniusNorm(); }
      @Override public double[] toDense(long maxBytes) { return ops.toDense(maxBytes); }
      @Override public long passes() { return ops.passes(); }
      @Override public long estimatePasses() { return ops.metric().plan().passes(); }
      @Override public void release() { ops.release(); }
    };
  }
}
