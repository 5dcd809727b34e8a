package io.pullback.ml;

import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.regression.RegressionModel;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;

/**
 * The model {@link NaturalGradientRegressor#fit} returns: {@code prediction = f_θ(x)} per row (a
 * plain row-wise map, one forward pass, O(N)), with θ in DESIGN's layout ({@link NaturalGradientModel#parameters()}),
 * the fit's history ({@link NaturalGradientModel#trainingSummary()}) and its metric at θ ({@link NaturalGradientModel#metric()}, as
 * {@code pullback estimate --params θ} on the same rows). Saved in MLlib's layout like
 * {@link NaturalGradientClassificationModel}: {@code metadata/} and {@code data/} ({@code theta.npy},
 * {@code model.json}, {@code history.jsonl}).
 */
public final class NaturalGradientRegressionModel extends RegressionModel<Vector, NaturalGradientRegressionModel>
    implements NaturalGradientModel, MLWritable {
  private static final long serialVersionUID = 1L;

  private String uid;
  private final FittedModel fitted;

  NaturalGradientRegressionModel(String uid, FittedModel fitted) {
    this(Uids.pending(uid), fitted);
  }

  private NaturalGradientRegressionModel(Void token, FittedModel fitted) {
    super();
    uid();
    this.fitted = fitted;
  }

  @Override
  public String uid() {
    if (uid == null) uid = Uids.take("ngdRegressionModel");
    return uid;
  }

  @Override public int numFeatures() { return fitted.model().inputDim(); }

  @Override
  public FittedModel fitted() {
    return fitted;
  }

  /** f_θ(x). */
  @Override
  public double predict(Vector features) {
    return fitted.forward(features)[0];
  }

  @Override
  public NaturalGradientRegressionModel copy(ParamMap extra) {
    return copyValues(new NaturalGradientRegressionModel(uid(), fitted), extra).setParent(parent());
  }

  @Override
  public MLWriter write() {
    return FittedModel.writer(this, fitted);
  }

  /** Reads a model saved by {@link #write()}. */
  public static MLReader<NaturalGradientRegressionModel> read() {
    return FittedModel.reader(NaturalGradientRegressionModel.class, NaturalGradientRegressionModel::new);
  }

  public static NaturalGradientRegressionModel load(String path) {
    return read().load(path);
  }
}
