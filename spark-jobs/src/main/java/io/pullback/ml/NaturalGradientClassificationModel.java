package io.pullback.ml;

import java.util.Arrays;
import org.apache.spark.ml.classification.ProbabilisticClassificationModel;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;

/**
 * The model {@link NaturalGradientClassifier#fit} returns: the Pullback model (its kind, dimensions
 * and θ in DESIGN's layout, {@link NaturalGradientModel#parameters()}) behind MLlib's probabilistic-classifier columns.
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
 * (the model's kind, dimensions and parameter layout) and {@code history.jsonl} (the training
 * history), through Hadoop's file system.
 *
 * <p><b>Curvature.</b> {@link NaturalGradientModel#metric()} gives the fit's metric (Params {@code metric},
 * {@code representation}) at the fitted θ as a {@code MetricRepresentation}, on the training rows
 * or on a given Dataset ({@code metric(dataset)}): what {@code pullback estimate --params θ}
 * computes on the same rows.
 */
public final class NaturalGradientClassificationModel
    extends ProbabilisticClassificationModel<Vector, NaturalGradientClassificationModel> implements NaturalGradientModel, MLWritable {
  private static final long serialVersionUID = 1L;

  private String uid;
  private final FittedModel fitted;

  NaturalGradientClassificationModel(String uid, FittedModel fitted) {
    this(Uids.pending(uid), fitted);
  }

  private NaturalGradientClassificationModel(Void token, FittedModel fitted) {
    super();
    uid();
    this.fitted = fitted;
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

  @Override public int numClasses() { return fitted.numClasses(); }
  @Override public int numFeatures() { return fitted.model().inputDim(); }

  @Override
  public FittedModel fitted() {
    return fitted;
  }

  /** The model's logits: {@code [−z, z]} for one logit, else the K logits. */
  @Override
  public Vector predictRaw(Vector features) {
    double[] out = fitted.forward(features);
    return Vectors.dense(out.length == 1 ? new double[] {-out[0], out[0]} : out);
  }

  /** σ or softmax of the raw prediction, in place. */
  @Override
  public Vector raw2probabilityInPlace(Vector rawPrediction) {
    double[] v = ((DenseVector) rawPrediction).values();
    if (fitted.model().outputDim() == 1) {
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
    NaturalGradientClassificationModel copied = new NaturalGradientClassificationModel(uid(), fitted);
    return copyValues(copied, extra).setParent(parent());
  }

  @Override
  public MLWriter write() {
    return FittedModel.writer(this, fitted);
  }

  /** Reads a model saved by {@link #write()}. */
  public static MLReader<NaturalGradientClassificationModel> read() {
    return FittedModel.reader(NaturalGradientClassificationModel.class, NaturalGradientClassificationModel::new);
  }

  public static NaturalGradientClassificationModel load(String path) {
    return read().load(path);
  }
}
