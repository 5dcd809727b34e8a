package io.pullback.ml;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullback.PullbackException;
import io.pullback.data.ExampleBlock;
import io.pullback.io.Json;
import io.pullback.io.Location;
import io.pullback.io.Npy;
import io.pullback.model.Model;
import io.pullback.model.ModelSpec;
import io.pullback.model.Models;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.ml.classification.ProbabilisticClassificationModel;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;

/**
 * The model {@link NaturalGradientClassifier#fit} returns: the Pullback model (its kind, dimensions
 * and θ in DESIGN's layout, {@link #parameters()}) behind MLlib's probabilistic-classifier columns.
 *
 * <p><b>Outputs</b> per row, a plain row-wise map (no Spark job): with one logit z (logistic),
 * {@code rawPrediction = [−z, z]}, {@code probability = [1 − σ(z), σ(z)]} (MLlib's binomial
 * convention); with K logits z (softmax, mlp), {@code rawPrediction = z}, {@code probability =
 * softmax(z)} (computed as {@code exp(z_k − max z)/Σ}); {@code prediction} the class of largest
 * probability (or MLlib's {@code thresholds} rule when set). Cost per row: one forward pass, O(N).
 *
 * <p><b>Persistence</b> ({@link #write()}, {@link #load}): MLlib's layout, {@code metadata/} (the
 * JSON of {@code DefaultParamsWriter}: class, timestamp, sparkVersion, uid, paramMap,
 * defaultParamMap) and {@code data/}: {@code theta.npy} (θ, float64) and {@code model.json}
 * (the model's kind, dimensions and parameter layout), through Hadoop's file system.
 */
public final class NaturalGradientClassificationModel
    extends ProbabilisticClassificationModel<Vector, NaturalGradientClassificationModel> implements MLWritable {
  private static final long serialVersionUID = 1L;

  private String uid;
  private final ModelSpec spec;
  private final Model model;
  private final double[] theta;
  private final int numClasses;

  NaturalGradientClassificationModel(String uid, ModelSpec spec, double[] theta, int numClasses) {
    this(Uids.pending(uid), spec, theta, numClasses);
  }

  private NaturalGradientClassificationModel(Void token, ModelSpec spec, double[] theta, int numClasses) {
    super();
    uid();
    this.spec = spec;
    this.model = Models.create(spec);
    if (theta.length != model.numParams()) {
      throw new IllegalArgumentException("theta has " + theta.length + " values, the model has N = " + model.numParams());
    }
    this.theta = theta.clone();
    this.numClasses = numClasses;
  }

  @Override
  public String uid() {
    if (uid == null) uid = Uids.take("ngdClassificationModel");
    return uid;
  }

  /**
   * MLlib's summary lookup, the probabilistic one. Java sees two inherited versions whose generic
   * return types differ (Scala's covariant {@code Tuple3}); the raw type overrides both.
   */
  @Override
  @SuppressWarnings({"rawtypes", "unchecked"})
  public scala.Tuple3 findSummaryModel() {
    return super.findSummaryModel();
  }

  @Override public int numClasses() { return numClasses; }
  @Override public int numFeatures() { return model.inputDim(); }

  /** θ (a copy), in the layout {@link #parameterLayout()} describes. */
  public double[] parameters() {
    return theta.clone();
  }

  /** How θ is laid out (DESIGN.md section 3). */
  public String parameterLayout() {
    return model.parameterLayout();
  }

  /** The model's logits: {@code [−z, z]} for one logit, else the K logits. */
  @Override
  public Vector predictRaw(Vector features) {
    int dim = model.inputDim();
    if (features.size() != dim) {
      throw PullbackException.data("featuresCol: a vector of " + features.size() + " values, the model was fitted on " + dim);
    }
    int k = model.outputDim();
    double[] out = new double[k];
    model.forward(theta, new ExampleBlock(0, 1, dim, 1, features.toArray(), new double[1], null), out);
    return Vectors.dense(k == 1 ? new double[] {-out[0], out[0]} : out);
  }

  /** σ or softmax of the raw prediction, in place. */
  @Override
  public Vector raw2probabilityInPlace(Vector rawPrediction) {
    double[] v = ((DenseVector) rawPrediction).values();
    if (model.outputDim() == 1) {
      double z = v[1];
      double p = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
      v[0] = 1 - p;
      v[1] = p;
      return rawPrediction;
    }
    double max = Arrays.stream(v).max().orElse(0);
    double sum = 0;
    for (int i = 0; i < v.length; i++) {
      v[i] = Math.exp(v[i] - max);
      sum += v[i];
    }
    for (int i = 0; i < v.length; i++) v[i] /= sum;
    return rawPrediction;
  }

  @Override
  public NaturalGradientClassificationModel copy(ParamMap extra) {
    NaturalGradientClassificationModel copied = new NaturalGradientClassificationModel(uid(), spec, theta, numClasses);
    return copyValues(copied, extra).setParent(parent());
  }

  @Override
  public MLWriter write() {
    return new Writer(this);
  }

  /** Reads a model saved by {@link #write()}. */
  public static MLReader<NaturalGradientClassificationModel> read() {
    return new Reader();
  }

  public static NaturalGradientClassificationModel load(String path) {
    return read().load(path);
  }

  /** The {@code data/model.json} fields: enough to rebuild the model (with {@link Models#create}). */
  private Map<String, Object> modelJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", spec.kind());
    m.put("input_dim", spec.inputDim());
    m.put("outputs", spec.outputs());
    m.put("num_classes", numClasses);
    m.put("hidden", spec.hidden());
    m.put("activation", spec.activation());
    m.put("distribution", spec.distribution());
    m.put("n_params", model.numParams());
    m.put("parameter_layout", model.parameterLayout());
    return m;
  }

  private static final class Writer extends MLWriter {
    private final NaturalGradientClassificationModel instance;

    Writer(NaturalGradientClassificationModel instance) {
      this.instance = instance;
    }

    @Override
    public void saveImpl(String path) {
      DefaultParamsWriter$.MODULE$.saveMetadata(instance, path, sparkSession());
      var conf = sparkSession().sparkContext().hadoopConfiguration();
      Location data = Location.of(path, conf, "path").resolve("data");
      data.mkdirs();
      Npy.writeVector(data.resolve("theta.npy"), instance.theta);
      Json.writeJson(data.resolve("model.json"), instance.modelJson());
    }
  }

  private static final class Reader extends MLReader<NaturalGradientClassificationModel> {
    @Override
    public NaturalGradientClassificationModel load(String path) {
      var metadata = DefaultParamsReader$.MODULE$.loadMetadata(path, sparkSession(),
          NaturalGradientClassificationModel.class.getName());
      var conf = sparkSession().sparkContext().hadoopConfiguration();
      Location data = Location.of(path, conf, "path").resolve("data");
      JsonNode json = Json.readTree(data.resolve("model.json"));
      int[] hidden = json.path("hidden").isArray()
          ? java.util.stream.StreamSupport.stream(json.path("hidden").spliterator(), false).mapToInt(JsonNode::asInt).toArray()
          : null;
      ModelSpec spec = new ModelSpec(json.path("kind").asText(), json.path("input_dim").asInt(), json.path("outputs").asInt(),
          null, 0, hidden, json.path("activation").isNull() ? null : json.path("activation").asText(),
          json.path("distribution").isNull() ? null : json.path("distribution").asText());
      NaturalGradientClassificationModel m = new NaturalGradientClassificationModel(metadata.uid(), spec,
          Npy.readVector(data.resolve("theta.npy")), json.path("num_classes").asInt());
      metadata.getAndSetParams(m, scala.Option.empty());
      return m;
    }
  }
}
