package io.pullback.metric;

import io.pullback.data.ExampleBlock;
import io.pullback.model.Model;
import java.util.List;

/** Public access to the naive reference metric for tests in other packages. */
public final class NaiveMetricAccess {
  private NaiveMetricAccess() {}

  /** The naive per-example sum of outer products, row-major N×N. */
  public static double[] metric(Model m, MetricKind kind, int samples, long seed, double[] theta, List<ExampleBlock> blocks) {
    return NaiveMetric.metric(m, kind, samples, seed, theta, blocks);
  }
}
