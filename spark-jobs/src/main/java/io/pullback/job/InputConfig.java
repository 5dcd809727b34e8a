package io.pullback.job;

import io.pullback.PullbackException;
import io.pullback.data.InputFormat;
import io.pullback.distributed.DataLoader;
import io.pullback.distributed.LoadedData;
import io.pullback.io.Npy;
import io.pullback.model.LabelRule;
import io.pullback.model.Model;
import io.pullback.model.ModelSpec;
import io.pullback.model.Models;
import io.pullback.io.Location;
import org.apache.hadoop.conf.Configuration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/**
 * The validated data, model and Spark options shared by the commands (field meanings are those of
 * the CLI flags of the same names), and the steps every command starts with: load the data, build
 * the model, read or initialise θ.
 */
public record InputConfig(String data, InputFormat format, List<String> labelColumns, String weightColumn, Integer numFeatures,
                          String model, Integer classes, Integer outputs, String basis, int degree, List<Integer> hidden,
                          String activation, String likelihood, String params, String init, long seed, Integer partitions, Integer blockRows, String master,
                          String labels, String target) {

  /** Target size of one packed factor block (B·r·N doubles). */
  static final long FACTOR_BLOCK_BYTES = 16L << 20;

  public InputConfig {
    if (data == null || data.isBlank()) throw PullbackException.usage("{data} is required");
    if (!List.of("logistic", "softmax", "linear-basis", "mlp").contains(model)) {
      throw PullbackException.usage("{model}: unknown model '" + model + "'; valid: logistic, softmax, linear-basis, mlp");
    }
    if (target != null && !target.equals("labels") && !target.equals("inputs")) {
      throw PullbackException.usage("{target} must be labels or inputs, got " + target);
    }
    if (labels != null && format != null && format != InputFormat.IDX) {
      throw PullbackException.usage("{labels} applies to {format} idx only (got {format} " + format.cliName() + ")");
    }
    if (!init.equals("random") && !init.equals("zeros")) throw PullbackException.usage("{init} must be random or zeros, got " + init);
    if (params != null && init.equals("zeros")) throw PullbackException.usage("{init} zeros and {params} exclude each other");
    if (partitions != null && partitions < 1) throw PullbackException.usage("{partitions} must be >= 1, got " + partitions);
    if (numFeatures != null && numFeatures < 1) throw PullbackException.usage("{numFeatures} must be >= 1, got " + numFeatures);
    if (blockRows != null && blockRows < 1) throw PullbackException.usage("{blockRows} must be >= 1, got " + blockRows);
    if (classes != null && classes < 2) throw PullbackException.usage("{classes} must be >= 2, got " + classes);
    if (outputs != null && outputs < 1) throw PullbackException.usage("{outputs} must be >= 1, got " + outputs);
    if (degree < 0) throw PullbackException.usage("{degree} must be >= 0, got " + degree);
    if (hidden != null) {
      for (Integer h : hidden) if (h == null || h < 1) throw PullbackException.usage("{hidden}: every width must be >= 1, got " + hidden);
    }
    if (!"gaussian".equals(likelihood) && !model.equals("mlp")) {
      throw PullbackException.usage("{likelihood} applies to {model} mlp only (got {model} " + model + ")");
    }
    if (classes != null && !model.equals("softmax")) throw PullbackException.usage("{classes} applies to {model} softmax only (got {model} " + model + ")");
    if (outputs != null && !(model.equals("linear-basis") || model.equals("mlp"))) {
      throw PullbackException.usage("{outputs} applies to {model} linear-basis or mlp only (got {model} " + model + ")");
    }
    // Fail on an impossible model before touching any data.
    modelSpecFor(model, 1, classes, outputs, basis, degree, hidden, activation, likelihood);
  }

  /** The same options on other data (e.g. held-out examples): {@code data} and its IDX {@code labels} (null for other formats). */
  public InputConfig withData(String data, String labels) {
    return new InputConfig(data, format, labelColumns, weightColumn, numFeatures, model, classes, outputs, basis, degree, hidden, activation,
        likelihood, params, init, seed, partitions, blockRows, master, labels, target);
  }

  /** The model for inputs of dimension {@code dim}. */
  public Model model(int dim) {
    return Models.create(modelSpec(dim));
  }

  /** The specification of {@link #model(int)}. */
  public ModelSpec modelSpec(int dim) {
    return modelSpecFor(model, dim, classes, outputs, basis, degree, hidden, activation, likelihood);
  }

  private static ModelSpec modelSpecFor(String model, int dim, Integer classes, Integer outputs, String basis, int degree,
                                        List<Integer> hidden, String activation, String likelihood) {
    int k = switch (model) {
      case "softmax" -> classes == null ? 2 : classes;
      case "logistic" -> 1;
      default -> outputs == null ? 1 : outputs;
    };
    int[] h = hidden == null ? new int[] {16} : hidden.stream().mapToInt(Integer::intValue).toArray();
    try {
      ModelSpec spec = new ModelSpec(model, dim, k, basis, degree, h, activation, model.equals("mlp") ? likelihood : null);
      Models.create(spec);
      return spec;
    } catch (IllegalArgumentException e) {
      throw PullbackException.usage(e.getMessage());
    }
  }

  /**
   * Loads, validates and caches the data.
   *
   * @param rowsPerExample factor rows per example the command will form (sizes the blocks)
   */
  public LoadedData load(SparkSession spark, int rowsPerExample) {
    return DataLoader.load(spark, loaderOptions(rowsPerExample));
  }

  /**
   * Loads, validates and caches the rows of a Dataset (columns {@code features}, the label
   * column(s) and the optional weight column, as for Parquet input) instead of {@code {data}},
   * which then only names the input in messages.
   */
  public LoadedData load(org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> rows, int rowsPerExample) {
    return DataLoader.load(rows, loaderOptions(rowsPerExample));
  }

  /**
   * The feature count D when it is known before any example is read (synthetic data, LIBSVM with
   * {@code {numFeatures}}, CSV from its header), else null; resolves and checks the input files on the way.
   */
  public Integer knownDimension(Configuration conf) {
    return DataLoader.knownDimension(conf, loaderOptions(1));
  }

  /** The examples per block the load will use for D features. */
  public int blockRows(int dim, int rowsPerExample) {
    return blockRows != null ? blockRows : blockRowsFor(model(dim).numParams(), rowsPerExample);
  }

  private DataLoader.Options loaderOptions(int rowsPerExample) {
    Model probe = model(1);
    LabelRule rule = new LabelRule(probe.distribution(), probe.outputDim(), probe.kind());
    return new DataLoader.Options(data, format, labelColumns, weightColumn, numFeatures, partitions,
        dim -> blockRows(dim, rowsPerExample), rule, labels, targetInputs());
  }

  /** Whether {@code {target}} is {@code inputs}: every example's label is its own feature vector (an autoencoder). */
  public boolean targetInputs() {
    return "inputs".equals(target);
  }

  /**
   * Checks {@code {params}} before any Spark work: the file's {@code .npy} header (a float64 vector,
   * its size consistent with the file), and its length against N when D is already known.
   *
   * @param dim D when known, else null
   * @param hadoopConf the session's Hadoop configuration, or null before there is one (then a
   *     {@code {params}} on another file system than the local one is left for later)
   */
  public void checkParams(Integer dim, Configuration hadoopConf) {
    if (params == null || (hadoopConf == null && !Location.isLocal(params))) return;
    long length;
    try {
      length = Npy.vectorLength(Location.of(params, hadoopConf, "params"));
    } catch (PullbackException e) {
      throw e.within("{params}");
    }
    if (dim != null) {
      Model m = model(dim);
      if (length != m.numParams()) throw wrongLength(length, m);
    }
  }

  private PullbackException wrongLength(long length, Model m) {
    return PullbackException.data("{params} " + params + " has " + length + " values but the " + m.kind()
        + " model has N = " + m.numParams() + " parameters (" + m.parameterLayout() + ")");
  }

  /**
   * Examples per block so that one factor block (B·r·N doubles) is about {@link #FACTOR_BLOCK_BYTES}, at most
   * 4096: the default of {@code --block-rows} (public for the benchmarks, which size their blocks as the commands do).
   */
  public static int blockRowsFor(long n, int rowsPerExample) {
    long b = FACTOR_BLOCK_BYTES / (8L * rowsPerExample * Math.max(1, n));
    return (int) Math.max(1, Math.min(4096, b));
  }

  /** θ from {@code --params} (checked: length N, finite values) or the model's seeded initialisation. */
  public double[] initialParams(Model m, Configuration hadoopConf) {
    if (params == null) return init.equals("zeros") ? new double[m.numParams()] : m.initialParams(seed);
    double[] theta;
    try {
      theta = Npy.readVector(Location.of(params, hadoopConf, "params"));
    } catch (PullbackException e) {
      throw e.within("{params}");
    }
    if (theta.length != m.numParams()) throw wrongLength(theta.length, m);
    for (int i = 0; i < theta.length; i++) {
      if (!Double.isFinite(theta[i])) throw PullbackException.data("{params} " + params + ": value " + i + " is " + theta[i]);
    }
    return theta;
  }

  /** As a plain map, for manifests. */
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
    m.put("likelihood", likelihood);
    m.put("params", params);
    m.put("init", init);
    m.put("seed", seed);
    m.put("partitions", partitions);
    m.put("block_rows", blockRows);
    m.put("master", master);
    m.put("labels", labels);
    m.put("target", target == null ? "labels" : target);
    return m;
  }
}
