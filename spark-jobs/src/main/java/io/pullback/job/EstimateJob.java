package io.pullback.job;

import io.pullback.PullbackException;
import io.pullback.distributed.LoadedData;
import io.pullback.distributed.SparkBlockData;
import io.pullback.io.Json;
import io.pullback.io.Manifest;
import io.pullback.io.Location;
import io.pullback.io.OutputDirectory;
import io.pullback.metric.FactorRows;
import io.pullback.metric.aggregate.GramAccumulator;
import io.pullback.metric.representation.MemoryPlan;
import io.pullback.metric.representation.MetricRepresentation;
import io.pullback.metric.representation.RepresentationKind;
import io.pullback.metric.representation.Representations;
import io.pullback.model.Model;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code estimate} command's work: load and validate the data, build the model and its
 * parameters, estimate the metric in the chosen regime, and publish {@code metric.npy} or
 * {@code metric/}, {@code summary.json} and {@code manifest.json} atomically (nothing is left in
 * {@code --out} on failure).
 */
public final class EstimateJob {
  private static final Logger LOG = LoggerFactory.getLogger(EstimateJob.class);
  /** Largest N a dense N×N Java array can hold. */
  static final int MAX_DENSE_N = 46_340;

  private EstimateJob() {}


  /** The checks needing no Spark ({@code {params}}, {@code {out}}): call before making the session. */
  public static void checkBeforeSpark(EstimateConfig config) {
    Preflight.beforeSpark(config.input(), config.out(), "choose a new {out} or remove it");
  }

  /** Runs the estimate; throws {@link PullbackException} for bad usage or data. */
  public static void run(RunContext ctx, EstimateConfig config) {
    checkBeforeSpark(config);
    Manifest manifest = Manifest.start("estimate", config.toMap());
    try (OutputDirectory out = OutputDirectory.prepare(Location.of(config.out(), ctx.hadoopConf(), "out"))) {
      Map<String, Object> summary = estimateInto(ctx, config, out.folder(), manifest);
      Json.writeJson(out.folder().resolve("summary.json"), summary);
      manifest.finish(ctx.sparkInfo(), ctx.numericLibraries()).write(out.folder());
      out.publish();
      LOG.info("Wrote {} (trace {}, N = {})", config.out(), summary.get("trace"), summary.get("n_params"));
    }
  }

  private static Map<String, Object> estimateInto(RunContext ctx, EstimateConfig config, Location staging, Manifest manifest) {
    long t0 = System.nanoTime();
    InputConfig input = config.input();
    int rowsPerExample = new FactorRows(input.model(1), config.metric(), config.samples(), input.seed()).rowsPerExample();
    // The plan is checked before any example is read when D is known from the header or --features.
    Integer knownDim = input.knownDimension(ctx.hadoopConf());
    RepresentationKind planned = null;
    if (knownDim != null) {
      input.checkParams(knownDim, ctx.hadoopConf());
      planned = plan(ctx, config, input.model(knownDim), rowsPerExample, knownDim);
    }
    LoadedData data = input.load(ctx.spark(), rowsPerExample);
    try {
      manifest.inputs(ctx.hadoopConf(), data.inputPaths());
      Model model = input.model(data.dim());
      int n = model.numParams();
      double[] theta = input.initialParams(model, ctx.hadoopConf());
      FactorRows factorRows = new FactorRows(model, config.metric(), config.samples(), input.seed());
      RepresentationKind representation = planned != null ? planned : plan(ctx, config, model, rowsPerExample, data.dim());
      double loadSeconds = seconds(t0);
      LOG.info("Estimating the {} metric of {} (N = {}) on {} examples, {} partitions, {} representation",
          config.metric(), model.kind(), n, data.examples(), data.partitions(), representation);

      Map<String, Object> summary = describe(ctx, config, model, data, factorRows, representation);

      long t1 = System.nanoTime();
      MetricRepresentation g;
      try {
        g = Representations.build(representation, new SparkBlockData(data, ctx.reduceBudgetBytes()),
            factorRows, theta, config.options().withTileSize(config.tileSize())
                // estimate's dense size is bounded by --dense-limit and MAX_DENSE_N (chooseRepresentation), not the 2 GiB default
                .withDenseLimitBytes(Long.MAX_VALUE));
      } catch (io.pullback.PullbackException e) {
        throw FiniteResults.withCause(e, data);
      } catch (IllegalArgumentException e) {
        throw PullbackException.usage("{representation} " + representation + ": " + e.getMessage());
      }
      double[] diagonal = g.diagonal();
      double frobenius = g.frobeniusNorm();
      FiniteResults.requireFiniteMetric(g, diagonal, frobenius, data);
      double computeSeconds = seconds(t1);
      long t2 = System.nanoTime();
      summary.put("files", g.writeTo(staging));
      summary.put("exact", g.exact());
      summary.putAll(g.details());
      summary.put("load_seconds", loadSeconds);
      summary.put("compute_seconds", computeSeconds);
      summary.put("write_seconds", seconds(t2));
      g.release();
      putDiagonalFigures(summary, diagonal, frobenius);
      return summary;
    } finally {
      data.release();
    }
  }

  /**
   * The {@code metric} of {@code input}'s model at θ over the rows of a Dataset (columns as for
   * {@link InputConfig#load(org.apache.spark.sql.Dataset, int)}), in {@code representation}: the
   * same route as {@link #run} (load, {@link FactorRows}, {@link Representations#build}) with one
   * sample per example for {@code mc-fisher}, kept in memory instead of written. Cost: that of the
   * representation (dense: one pass, O(M·r·N²) flops, N² doubles on the driver). The loaded rows
   * are released when it returns, except for {@code implicit} and {@code blocked}, whose later
   * products and tile recomputation read them (they stay cached until the session ends).
   */
  public static MetricRepresentation metricAt(RunContext ctx, InputConfig input, org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> rows,
                                              double[] theta, io.pullback.metric.MetricKind metric, RepresentationKind representation,
                                              io.pullback.metric.representation.RepresentationOptions options) {
    LoadedData data = input.load(rows, new FactorRows(input.model(1), metric, 1, input.seed()).rowsPerExample());
    boolean keep = representation == RepresentationKind.IMPLICIT || representation == RepresentationKind.BLOCKED;
    try {
      Model model = input.model(data.dim());
      if (theta.length != model.numParams()) {
        throw PullbackException.data("θ has " + theta.length + " values but the " + model.kind() + " model of the rows ("
            + data.dim() + " features) has N = " + model.numParams());
      }
      return Representations.build(representation, new SparkBlockData(data, ctx.reduceBudgetBytes()),
          new FactorRows(model, metric, 1, input.seed()), theta.clone(), options.withTileSize(TrainJob.BLOCKED_TILE_SIZE));
    } catch (IllegalArgumentException e) {
      throw PullbackException.usage("{representation} " + representation + ": " + e.getMessage());
    } finally {
      if (!keep) data.release();
    }
  }

  /** What the summary says of the inputs: the command, model, metric, representation, data and numerics. */
  private static Map<String, Object> describe(RunContext ctx, EstimateConfig config, Model model, LoadedData data,
                                              FactorRows factorRows, RepresentationKind representation) {
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("command", "estimate");
    summary.put("metric", config.metric().cliName());
    summary.put("model", model.kind());
    summary.put("parameter_layout", model.parameterLayout());
    summary.put("representation", representation.cliName());
    summary.put("n_params", model.numParams());
    summary.put("features", data.dim());
    summary.put("outputs", model.outputDim());
    summary.put("examples", data.examples());
    summary.put("weight_sum", data.weightSum());
    summary.put("rows_per_example", factorRows.rowsPerExample());
    summary.put("partitions", data.partitions());
    summary.put("block_rows", data.blockRows());
    summary.putAll(ctx.numericLibraries()); // blas, lapack, native_libraries
    summary.put("kernel", GramAccumulator.Kernel.forCurrentBlas().name().toLowerCase(java.util.Locale.ROOT));
    return summary;
  }

  /** {@code trace}, {@code diagonal_min}, {@code diagonal_max} (one pass over the diagonal, in index order) and {@code frobenius_norm}. */
  private static void putDiagonalFigures(Map<String, Object> summary, double[] diagonal, double frobenius) {
    double trace = 0;
    double dmin = Double.POSITIVE_INFINITY;
    double dmax = Double.NEGATIVE_INFINITY;
    for (double d : diagonal) {
      trace += d;
      dmin = Math.min(dmin, d);
      dmax = Math.max(dmax, d);
    }
    summary.put("trace", trace);
    summary.put("diagonal_min", dmin);
    summary.put("diagonal_max", dmax);
    summary.put("frobenius_norm", frobenius);
  }

  /** The representation (auto or the one asked for) checked against the memory plan; see {@link Preflight#plan}. */
  private static RepresentationKind plan(RunContext ctx, EstimateConfig c, Model model, int rowsPerExample, int dim) {
    int n = model.numParams();
    if (c.representation() == RepresentationKind.DENSE && n > MAX_DENSE_N) {
      throw PullbackException.usage("{representation} dense: N = " + n + " exceeds the dense maximum " + MAX_DENSE_N + "; use {representation} blocked");
    }
    return Preflight.plan(ctx, c.input(), model, rowsPerExample, dim, c.representation(), c.denseLimit(),
        MemoryPlan.Purpose.STORE, c.options().withTileSize(c.tileSize()));
  }


  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
