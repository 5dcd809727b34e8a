package io.pullback.job;

import io.pullback.PullbackException;
import io.pullback.distributed.LoadedData;
import io.pullback.distributed.SparkBlockData;
import io.pullback.io.Json;
import io.pullback.io.Manifest;
import io.pullback.io.OutputDirectory;
import io.pullback.metric.FactorRows;
import io.pullback.metric.aggregate.GramAccumulator;
import io.pullback.metric.representation.MemoryPlan;
import io.pullback.metric.representation.MetricRepresentation;
import io.pullback.metric.representation.RepresentationKind;
import io.pullback.metric.representation.Representations;
import io.pullback.model.Model;
import java.nio.file.Path;
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


  /** Runs the estimate; throws {@link PullbackException} for bad usage or data. */
  public static void run(RunContext ctx, EstimateConfig config) {
    Manifest manifest = Manifest.start("estimate", config.toMap());
    try (OutputDirectory out = OutputDirectory.prepare(config.out())) {
      Map<String, Object> summary = estimateInto(ctx, config, out.staging(), manifest);
      Json.writeJson(out.staging().resolve("summary.json"), summary);
      manifest.finish(ctx.sparkInfo(), ctx.numericLibraries()).write(out.staging());
      out.publish();
      LOG.info("Wrote {} (trace {}, N = {})", config.out(), summary.get("trace"), summary.get("n_params"));
    }
  }

  private static Map<String, Object> estimateInto(RunContext ctx, EstimateConfig config, Path staging, Manifest manifest) {
    long t0 = System.nanoTime();
    InputConfig input = config.input();
    int rowsPerExample = new FactorRows(input.model(1), config.metric(), config.samples(), input.seed()).rowsPerExample();
    LoadedData data = input.load(ctx.spark(), rowsPerExample);
    try {
      manifest.inputs(ctx.hadoopConf(), data.inputPaths());
      Model model = input.model(data.dim());
      int n = model.numParams();
      double[] theta = input.initialParams(model);
      FactorRows factorRows = new FactorRows(model, config.metric(), config.samples(), input.seed());
      MemoryPlan plan = new MemoryPlan(n, factorRows.rowsPerExample(), data.blockRows(), data.partitions());
      RepresentationKind representation = chooseRepresentation(config, n);
      LOG.info("Memory plan (bytes): {}", plan.describe());
      double loadSeconds = seconds(t0);
      LOG.info("Estimating the {} metric of {} (N = {}) on {} examples, {} partitions, {} representation",
          config.metric(), model.kind(), n, data.examples(), data.partitions(), representation);

      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("command", "estimate");
      summary.put("metric", config.metric().cliName());
      summary.put("model", model.kind());
      summary.put("parameter_layout", model.parameterLayout());
      summary.put("representation", representation.cliName());
      summary.put("n_params", n);
      summary.put("features", data.dim());
      summary.put("outputs", model.outputDim());
      summary.put("examples", data.examples());
      summary.put("weight_sum", data.weightSum());
      summary.put("rows_per_example", factorRows.rowsPerExample());
      summary.put("partitions", data.partitions());
      summary.put("block_rows", data.blockRows());
      summary.putAll(ctx.numericLibraries()); // blas, lapack, native_libraries
      summary.put("kernel", GramAccumulator.Kernel.forCurrentBlas().name().toLowerCase(java.util.Locale.ROOT));

      long t1 = System.nanoTime();
      MetricRepresentation g;
      try {
        g = Representations.build(representation, new SparkBlockData(data, ctx.reduceBudgetBytes()),
            factorRows, theta, config.options().withTileSize(config.tileSize())
                // estimate's dense size is bounded by --dense-limit and MAX_DENSE_N (chooseRepresentation), not the 2 GiB default
                .withDenseLimitBytes(Long.MAX_VALUE));
      } catch (IllegalArgumentException e) {
        throw PullbackException.usage("{representation} " + representation + ": " + e.getMessage());
      }
      double[] diagonal = g.diagonal();
      double frobenius = g.frobeniusNorm();
      double computeSeconds = seconds(t1);
      long t2 = System.nanoTime();
      summary.put("files", g.writeTo(staging));
      summary.put("exact", g.exact());
      summary.putAll(g.details());
      summary.put("load_seconds", loadSeconds);
      summary.put("compute_seconds", computeSeconds);
      summary.put("write_seconds", seconds(t2));
      g.release();
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
      return summary;
    } finally {
      data.release();
    }
  }

  static RepresentationKind chooseRepresentation(EstimateConfig c, int n) {
    RepresentationKind r = c.representation();
    if (r == null) return MemoryPlan.auto(n, c.denseLimit(), MemoryPlan.Purpose.STORE);
    if (r == RepresentationKind.DENSE && n > MAX_DENSE_N) {
      throw PullbackException.usage("{representation} dense: N = " + n + " exceeds the dense maximum " + MAX_DENSE_N + "; use {representation} blocked");
    }
    return r;
  }


  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
