package io.pullback.job;

import io.pullback.distributed.BlockedMetricEstimator;
import io.pullback.distributed.BlockedMetricEstimator.BlockedMetric;
import io.pullback.distributed.DenseMetricEstimator;
import io.pullback.distributed.DenseMetricEstimator.DenseMetric;
import io.pullback.distributed.LoadedData;
import io.pullback.distributed.MetricTiles;
import io.pullback.io.Json;
import io.pullback.io.Manifest;
import io.pullback.io.Npy;
import io.pullback.metric.representation.MetricRepresentation;
import io.pullback.metric.representation.RepresentationKind;
import io.pullback.metric.representation.Representations;
import io.pullback.distributed.SparkBlockData;
import io.pullback.io.OutputDirectory;
import io.pullback.linalg.Blas;
import io.pullback.metric.BoundFactorRows;
import io.pullback.metric.FactorRows;
import io.pullback.metric.FactorSource;
import io.pullback.metric.aggregate.GramAccumulator;
import io.pullback.model.Model;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pullback.PullbackException;
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
  public static void run(SparkSession spark, EstimateConfig config) {
    Manifest manifest = Manifest.start("estimate", config.toMap());
    try (OutputDirectory out = OutputDirectory.prepare(config.out())) {
      Map<String, Object> summary = estimateInto(spark, config, out.staging(), manifest);
      Json.writeJson(out.staging().resolve("summary.json"), summary);
      manifest.finish(spark, Blas.report()).write(out.staging());
      out.publish();
      LOG.info("Wrote {} (trace {}, N = {})", config.out(), summary.get("trace"), summary.get("n_params"));
    }
  }

  private static Map<String, Object> estimateInto(SparkSession spark, EstimateConfig config, Path staging, Manifest manifest) {
    long t0 = System.nanoTime();
    InputConfig input = config.input();
    int rowsPerExample = new FactorRows(input.model(1), config.metric(), config.samples(), input.seed()).rowsPerExample();
    LoadedData data = input.load(spark, rowsPerExample);
    try {
      manifest.inputs(spark, data.inputPaths());
      Model model = input.model(data.dim());
      int n = model.numParams();
      double[] theta = input.initialParams(model);
      FactorRows factorRows = new FactorRows(model, config.metric(), config.samples(), input.seed());
      String representation = chooseRepresentation(config, n);
      double loadSeconds = seconds(t0);
      LOG.info("Estimating the {} metric of {} (N = {}) on {} examples, {} partitions, {} representation",
          config.metric(), model.kind(), n, data.examples(), data.partitions(), representation);

      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("command", "estimate");
      summary.put("metric", config.metric().cliName());
      summary.put("model", model.kind());
      summary.put("parameter_layout", model.parameterLayout());
      summary.put("representation", representation);
      summary.put("n_params", n);
      summary.put("features", data.dim());
      summary.put("outputs", model.outputDim());
      summary.put("examples", data.examples());
      summary.put("weight_sum", data.weightSum());
      summary.put("rows_per_example", factorRows.rowsPerExample());
      summary.put("partitions", data.partitions());
      summary.put("block_rows", data.blockRows());
      summary.putAll(Blas.report()); // blas, lapack, native_libraries
      summary.put("kernel", GramAccumulator.Kernel.forCurrentBlas().name().toLowerCase(java.util.Locale.ROOT));

      long t1 = System.nanoTime();
      FactorSource source = new BoundFactorRows(factorRows, theta);
      double[] diagonal;
      double frobenius;
      if (representation.equals("dense")) {
        DenseMetric g = DenseMetricEstimator.estimate(data, source, reduceBudget(spark));
        double computeSeconds = seconds(t1);
        long t2 = System.nanoTime();
        Npy.writeMatrix(staging.resolve("metric.npy"), g.values(), n, n);
        diagonal = new double[n];
        double fro = 0;
        for (int i = 0; i < n; i++) diagonal[i] = g.values()[i * n + i];
        for (double v : g.values()) fro += v * v;
        frobenius = Math.sqrt(fro);
        summary.put("files", List.of("metric.npy"));
        summary.put("reduce_fan_in", g.fanIn());
        summary.put("load_seconds", loadSeconds);
        summary.put("compute_seconds", computeSeconds);
        summary.put("write_seconds", seconds(t2));
      } else if (representation.equals("blocked")) {
        BlockedMetric g = BlockedMetricEstimator.estimate(data, source, config.tileSize());
        double computeSeconds = seconds(t1);
        long t2 = System.nanoTime();
        MetricTiles.write(spark, g, staging.resolve("metric"));
        diagonal = g.diagonal();
        frobenius = g.frobeniusNorm();
        g.release();
        summary.put("files", List.of("metric/"));
        summary.put("tile_size", config.tileSize());
        summary.put("load_seconds", loadSeconds);
        summary.put("compute_seconds", computeSeconds);
        summary.put("write_seconds", seconds(t2));
      } else {
        RepresentationKind kind = RepresentationKind.parse(representation);
        MetricRepresentation g;
        try {
          g = Representations.build(kind, new SparkBlockData(data, reduceBudget(spark)), factorRows, theta, config.options());
        } catch (IllegalArgumentException e) {
          throw PullbackException.usage("--representation " + representation + ": " + e.getMessage());
        }
        diagonal = g.diagonal();
        frobenius = g.frobeniusNorm();
        double computeSeconds = seconds(t1);
        long t2 = System.nanoTime();
        List<String> files = new ArrayList<>();
        for (Map.Entry<String, MetricRepresentation.NpyArray> e : g.exports().entrySet()) {
          String file = e.getKey() + ".npy";
          long[] shape = e.getValue().shape();
          if (shape.length == 1) {
            Npy.writeVector(staging.resolve(file), e.getValue().data());
          } else {
            Npy.writeMatrix(staging.resolve(file), e.getValue().data(), (int) shape[0], (int) shape[1]);
          }
          files.add(file);
        }
        summary.put("files", files);
        summary.put("exact", g.exact());
        summary.putAll(g.details());
        summary.put("load_seconds", loadSeconds);
        summary.put("compute_seconds", computeSeconds);
        summary.put("write_seconds", seconds(t2));
        g.release();
      }
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

  static String chooseRepresentation(EstimateConfig c, int n) {
    String r = c.representation();
    if (r.equals("auto")) return n <= c.denseLimit() ? "dense" : "blocked";
    if (r.equals("dense") && n > MAX_DENSE_N) {
      throw PullbackException.usage("--representation dense: N = " + n + " exceeds the dense maximum " + MAX_DENSE_N + "; use --representation blocked");
    }
    return r;
  }

  /** Half of spark.driver.maxResultSize (default 1g) bounds what the driver holds of partials. */
  public static long reduceBudget(SparkSession spark) {
    long max = spark.sparkContext().getConf().getSizeAsBytes("spark.driver.maxResultSize", "1g");
    return max <= 0 ? 512L << 20 : max / 2;
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
