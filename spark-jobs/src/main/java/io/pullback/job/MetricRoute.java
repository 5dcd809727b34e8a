package io.pullback.job;

import io.pullback.distributed.LoadedData;
import io.pullback.distributed.SparkBlockData;
import io.pullback.io.Location;
import io.pullback.io.Manifest;
import io.pullback.io.OutputDirectory;
import io.pullback.metric.FactorRows;
import io.pullback.metric.MetricKind;
import io.pullback.metric.representation.MemoryPlan;
import io.pullback.metric.representation.MetricRepresentation;
import io.pullback.metric.representation.RepresentationKind;
import io.pullback.metric.representation.RepresentationOptions;
import io.pullback.metric.representation.Representations;
import io.pullback.model.Model;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/**
 * The route the analysis commands ({@code spectrum}, {@code trace}, {@code diagonal}) take from their
 * options to a metric they only multiply by: checks before Spark, the data loaded once, the plan
 * ({@link MemoryPlan#auto} for products: dense up to the dense limit, else implicit), the metric
 * built by {@link Representations#build}, the command's work written into a staging folder, the
 * manifest, and the folder published (nothing is left behind when the work fails).
 */
final class MetricRoute {
  private MetricRoute() {}

  /**
   * What every analysis command says about its metric.
   *
   * @param representation null for auto
   */
  record Route(InputConfig input, MetricKind metric, int samples, RepresentationKind representation, int denseLimit,
               RepresentationOptions options, String out) {}

  /** The metric a command works on, with its model, representation and data. */
  record Built(MetricRepresentation g, Model model, RepresentationKind kind, LoadedData data) {
    /**
     * {@code v ↦ G·v}, counted in {@code products} and refused (exit 3, {@link FiniteResults}) when a
     * product is not finite, so no NaN reaches LAPACK or a published file.
     */
    UnaryOperator<double[]> products(AtomicLong products) {
      return v -> {
        long p = products.incrementAndGet();
        return FiniteResults.requireFiniteProduct(g.mv(v), p, data);
      };
    }

    /**
     * {@code V ↦ G·V} for a block of vectors (one pass with {@code implicit}), counted once per block
     * in {@code products} and refused like {@link #products} when any column is not finite.
     */
    UnaryOperator<double[][]> blockProducts(AtomicLong products) {
      return vs -> {
        long p = products.incrementAndGet();
        double[][] gv = g.mm(vs);
        for (double[] column : gv) FiniteResults.requireFiniteProduct(column, p, data);
        return gv;
      };
    }
  }

  /** What a command does with its metric: writes into the staging folder and returns what it prints. */
  interface Work<R> {
    R apply(Built metric, Location staging);
  }

  /** Checks, loads, builds the metric, runs {@code work}, writes the manifest and publishes the folder. */
  static <R> R withMetric(RunContext ctx, String command, Map<String, Object> config, Route c, Work<R> work) {
    InputConfig in = c.input();
    Manifest manifest = Manifest.start(command, config);
    Preflight.beforeSpark(in, c.out(), "choose a new {out} or remove it");
    try (OutputDirectory dir = OutputDirectory.prepare(Location.of(c.out(), ctx.hadoopConf(), "out"))) {
      FactorRows probe = new FactorRows(in.model(1), c.metric(), c.samples(), in.seed());
      // The plan is checked before any example is read when D is known from the header or --features.
      Integer knownDim = in.knownDimension(ctx.hadoopConf());
      RepresentationKind planned = null;
      if (knownDim != null) {
        in.checkParams(knownDim, ctx.hadoopConf());
        planned = plan(ctx, c, in.model(knownDim), probe.rowsPerExample(), knownDim);
      }
      LoadedData data = in.load(ctx.spark(), probe.rowsPerExample());
      try {
        manifest.inputs(ctx.hadoopConf(), data.inputPaths());
        Model model = in.model(data.dim());
        FactorRows rows = new FactorRows(model, c.metric(), c.samples(), in.seed());
        RepresentationKind rk = planned != null ? planned : plan(ctx, c, model, probe.rowsPerExample(), data.dim());
        MetricRepresentation g;
        try {
          g = Representations.build(rk, new SparkBlockData(data, ctx.reduceBudgetBytes()), rows, in.initialParams(model, ctx.hadoopConf()),
              c.options().withTileSize(TrainJob.BLOCKED_TILE_SIZE));
        } catch (io.pullback.PullbackException e) {
          throw FiniteResults.withCause(e, data);
        } catch (IllegalArgumentException e) {
          throw io.pullback.PullbackException.usage("{representation} " + rk + ": " + e.getMessage());
        }
        R result = work.apply(new Built(g, model, rk, data), dir.folder());
        manifest.finish(ctx.sparkInfo(), ctx.numericLibraries()).write(dir.folder());
        dir.publish();
        g.release();
        return result;
      } finally {
        data.release();
      }
    }
  }

  private static RepresentationKind plan(RunContext ctx, Route c, Model model, int rowsPerExample, int dim) {
    return Preflight.plan(ctx, c.input(), model, rowsPerExample, dim, c.representation(), c.denseLimit(),
        MemoryPlan.Purpose.PRODUCTS, c.options().withTileSize(TrainJob.BLOCKED_TILE_SIZE));
  }
}
