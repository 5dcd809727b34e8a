package io.pullback.job;

import io.pullback.data.InputFormat;
import io.pullback.metric.MetricKind;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The resolved configuration of {@code estimate}, validated on construction (before any Spark work).
 * Field meanings are those of the CLI flags of the same names.
 */
public record EstimateConfig(String data, InputFormat format, List<String> labelColumns, String weightColumn, Integer numFeatures,
                             String model, Integer classes, Integer outputs, String basis, int degree, List<Integer> hidden,
                             String activation, Path params, long seed, MetricKind metric, int samples,
                             String representation, int denseLimit, int tileSize, Integer partitions, Integer blockRows,
                             String master, Path out) {

  static final Set<String> REPRESENTATIONS = Set.of("auto", "dense", "blocked");
  static final Set<String> MODELS = Set.of("logistic", "softmax", "linear-basis", "mlp");

  public EstimateConfig {
    if (data == null || data.isBlank()) throw PullbackException.usage("--data is required");
    if (!MODELS.contains(model)) throw PullbackException.usage("--model: unknown model '" + model + "'; valid: logistic, softmax, linear-basis, mlp");
    if (!REPRESENTATIONS.contains(representation)) {
      throw PullbackException.usage("--representation: unknown representation '" + representation + "'; valid: auto, dense, blocked");
    }
    if (samples < 1) throw PullbackException.usage("--samples must be >= 1, got " + samples);
    if (denseLimit < 1) throw PullbackException.usage("--dense-limit must be >= 1, got " + denseLimit);
    if (tileSize < 1) throw PullbackException.usage("--tile-size must be >= 1, got " + tileSize);
    if (partitions != null && partitions < 1) throw PullbackException.usage("--partitions must be >= 1, got " + partitions);
    if (blockRows != null && blockRows < 1) throw PullbackException.usage("--block-rows must be >= 1, got " + blockRows);
    if (classes != null && classes < 2) throw PullbackException.usage("--classes must be >= 2, got " + classes);
    if (outputs != null && outputs < 1) throw PullbackException.usage("--outputs must be >= 1, got " + outputs);
    if (degree < 0) throw PullbackException.usage("--degree must be >= 0, got " + degree);
    if (hidden != null) {
      for (Integer h : hidden) if (h == null || h < 1) throw PullbackException.usage("--hidden: every width must be >= 1, got " + hidden);
    }
    if (out == null) throw PullbackException.usage("--out is required");
    if (classes != null && !model.equals("softmax")) throw PullbackException.usage("--classes applies to --model softmax only (got --model " + model + ")");
    if (outputs != null && !(model.equals("linear-basis") || model.equals("mlp"))) {
      throw PullbackException.usage("--outputs applies to --model linear-basis or mlp only (got --model " + model + ")");
    }
  }

  /** The configuration as a plain map, for manifests. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("data", data);
    m.put("format", format == null ? null : format.cliName());
    m.put("label_col", labelColumns);
    m.put("weight_col", weightColumn);
    m.put("features", numFeatures);
    m.put("model", model);
    m.put("classes", classes);
    m.put("outputs", outputs);
    m.put("basis", basis);
    m.put("degree", degree);
    m.put("hidden", hidden);
    m.put("activation", activation);
    m.put("params", params == null ? null : params.toString());
    m.put("seed", seed);
    m.put("metric", metric.cliName());
    m.put("samples", samples);
    m.put("representation", representation);
    m.put("dense_limit", denseLimit);
    m.put("tile_size", tileSize);
    m.put("partitions", partitions);
    m.put("block_rows", blockRows);
    m.put("master", master);
    m.put("out", out.toString());
    return m;
  }
}
