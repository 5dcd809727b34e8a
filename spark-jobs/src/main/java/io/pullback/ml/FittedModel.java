package io.pullback.ml;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullback.PullbackException;
import io.pullback.data.ExampleBlock;
import io.pullback.io.Json;
import io.pullback.io.Location;
import io.pullback.io.Npy;
import io.pullback.job.EstimateJob;
import io.pullback.job.InputConfig;
import io.pullback.job.RunContext;
import io.pullback.job.TrainConfig;
import io.pullback.metric.MetricKind;
import io.pullback.metric.representation.MetricRepresentation;
import io.pullback.model.Model;
import io.pullback.model.ModelSpec;
import io.pullback.model.Models;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * What both fitted models hold and do alike: the Pullback model (kind, dimensions) and θ in its
 * layout, the fit's metric kind, representation and seed, its {@link TrainingSummary}, the forward
 * pass of one row, {@link #metric} at θ (through {@link EstimateJob#metricAt}, the route of
 * {@code estimate}), and the {@code data/} folder of the saved model: {@code theta.npy},
 * {@code model.json} and {@code history.jsonl}. The training rows are held (not serialised) so that
 * {@code metric()} can use them; a loaded model has none.
 */
final class FittedModel implements Serializable {
  private static final long serialVersionUID = 1L;

  private final ModelSpec spec;
  private final Model model;
  private final double[] theta;
  private final int numClasses;
  private final String metric;
  private final String representation;
  private final long seed;
  private final String weightCol;
  private final TrainingSummary summary;
  private final transient Dataset<Row> training;

  FittedModel(ModelSpec spec, double[] theta, int numClasses, String metric, String representation, long seed, String weightCol,
              TrainingSummary summary, Dataset<Row> training) {
    this.spec = spec;
    this.model = Models.create(spec);
    if (theta.length != model.numParams()) {
      throw new IllegalArgumentException("theta has " + theta.length + " values, the model has N = " + model.numParams());
    }
    this.theta = theta.clone();
    this.numClasses = numClasses;
    this.metric = metric;
    this.representation = representation;
    this.seed = seed;
    this.weightCol = weightCol;
    this.summary = summary;
    this.training = training;
  }

  Model model() { return model; }
  int numClasses() { return numClasses; }
  double[] parameters() { return theta.clone(); }
  /** The weight column of the fit, or null. */
  String weightCol() { return weightCol; }

  TrainingSummary summary() {
    if (summary == null) throw PullbackException.usage("this model has no training summary");
    return summary;
  }

  /** f_θ(x), the model's K outputs for one feature vector (one forward pass, O(N)). */
  double[] forward(Vector features) {
    int dim = model.inputDim();
    if (features.size() != dim) {
      throw PullbackException.data("featuresCol: a vector of " + features.size() + " values, the model was fitted on " + dim);
    }
    double[] out = new double[model.outputDim()];
    model.forward(theta, new ExampleBlock(0, 1, dim, 1, features.toArray(), new double[1], null), out);
    return out;
  }

  /** The fit's input configuration for rows of this model (columns {@code features}, {@code label}, optional {@code weight}). */
  private InputConfig inputConfig(boolean withWeight) {
    String kind = spec.kind();
    boolean perOutput = kind.equals("linear-basis") || kind.equals("mlp");
    List<Integer> hidden = spec.hidden() == null ? null : Arrays.stream(spec.hidden()).boxed().toList();
    return new InputConfig("Dataset", null, List.of("label"), withWeight ? "weight" : null, null, kind,
        kind.equals("softmax") ? spec.outputs() : null, perOutput ? spec.outputs() : null, spec.basis(), spec.degree(), hidden,
        spec.activation(), kind.equals("mlp") ? spec.distribution() : "gaussian", null, "random", seed, null, null, null, null, null);
  }

  /**
   * The fit's metric at θ over {@code dataset}'s columns (null: the training rows), in the fit's
   * representation; see {@link EstimateJob#metricAt} for cost and lifetime.
   */
  MetricRepresentation metric(Dataset<?> dataset, String featuresCol, String labelCol, String weightColumn) {
    Dataset<Row> rows;
    if (dataset != null) {
      rows = Fitting.examples(dataset, featuresCol, labelCol, weightColumn);
    } else if (training != null) {
      rows = training;
    } else {
      throw PullbackException.usage("this model holds no training rows (it was loaded or deserialised); call metric(dataset)");
    }
    boolean withWeight = Arrays.asList(rows.columns()).contains("weight");
    try {
      return EstimateJob.metricAt(RunContext.of(rows.sparkSession()), inputConfig(withWeight), rows, theta,
          MetricKind.parse(metric), TrainConfig.parseRepresentation(representation), TrainingParams.options(seed));
    } catch (PullbackException e) {
      throw ParamNames.rendered(e);
    }
  }

  /** Writes {@code data/} under the model's folder {@code path}. */
  void writeData(String path, SparkSession spark) {
    Location data = Location.of(path, spark.sparkContext().hadoopConfiguration(), "path").resolve("data");
    data.mkdirs();
    Npy.writeVector(data.resolve("theta.npy"), theta);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", spec.kind());
    m.put("input_dim", spec.inputDim());
    m.put("outputs", spec.outputs());
    m.put("num_classes", numClasses);
    m.put("basis", spec.basis());
    m.put("degree", spec.degree());
    m.put("hidden", spec.hidden());
    m.put("activation", spec.activation());
    m.put("distribution", spec.distribution());
    m.put("n_params", model.numParams());
    m.put("parameter_layout", model.parameterLayout());
    m.put("metric", metric);
    m.put("representation", representation);
    m.put("seed", seed);
    m.put("weight_col", weightCol);
    m.put("total_passes", summary == null ? null : summary.totalPasses());
    Json.writeJson(data.resolve("model.json"), m);
    if (summary != null) {
      try (var out = data.resolve("history.jsonl").create()) {
        out.write(summary.historyJsonl().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + data.resolve("history.jsonl") + ": " + e.getMessage(), e);
      }
    }
  }

  /** Reads the {@code data/} folder {@link #writeData} wrote. */
  static FittedModel readData(String path, Configuration conf) {
    Location data = Location.of(path, conf, "path").resolve("data");
    JsonNode json = Json.readTree(data.resolve("model.json"));
    int[] hidden = json.path("hidden").isArray()
        ? StreamSupport.stream(json.path("hidden").spliterator(), false).mapToInt(JsonNode::asInt).toArray() : null;
    ModelSpec spec = new ModelSpec(json.path("kind").asText(), json.path("input_dim").asInt(), json.path("outputs").asInt(),
        text(json, "basis"), json.path("degree").asInt(), hidden, text(json, "activation"), text(json, "distribution"));
    TrainingSummary summary = null;
    if (data.resolve("history.jsonl").exists()) {
      try {
        summary = TrainingSummary.of(data.resolve("history.jsonl").readString(), json.path("total_passes").asLong());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + data.resolve("history.jsonl") + ": " + e.getMessage(), e);
      }
    }
    return new FittedModel(spec, Npy.readVector(data.resolve("theta.npy")), json.path("num_classes").asInt(),
        json.path("metric").asText(spec.kind().equals("linear-basis") || "gaussian".equals(spec.distribution()) ? "function" : "fisher"),
        json.path("representation").asText("dense"), json.path("seed").asLong(), text(json, "weight_col"),
        summary, null);
  }

  private static String text(JsonNode json, String field) {
    return json.path(field).isTextual() ? json.path(field).asText() : null;
  }

  /** The writer of a fitted stage: MLlib's {@code metadata/} ({@code DefaultParamsWriter}), then {@link #writeData}. */
  static MLWriter writer(Params stage, FittedModel fitted) {
    return new MLWriter() {
      @Override
      public void saveImpl(String path) {
        DefaultParamsWriter$.MODULE$.saveMetadata(stage, path, sparkSession());
        fitted.writeData(path, sparkSession());
      }
    };
  }

  /**
   * The reader of a stage {@link #writer} saved: the metadata checked to name {@code type}, the
   * stage made by {@code make(uid, fitted)}, then its Params set from the metadata.
   */
  static <M extends Params> MLReader<M> reader(Class<M> type, java.util.function.BiFunction<String, FittedModel, M> make) {
    return new MLReader<M>() {
      @Override
      public M load(String path) {
        var metadata = DefaultParamsReader$.MODULE$.loadMetadata(path, sparkSession(), type.getName());
        M stage = make.apply(metadata.uid(), readData(path, sparkSession().sparkContext().hadoopConfiguration()));
        metadata.getAndSetParams(stage, scala.Option.empty());
        return stage;
      }
    };
  }
}
