package io.pullback.ml;

import io.pullback.PullbackException;
import io.pullback.job.InputConfig;
import io.pullback.job.TrainJob;
import java.util.List;
import org.apache.spark.ml.classification.ProbabilisticClassifier;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A spark.ml classifier trained by natural gradient (or any optimiser of {@code train}): an MLlib
 * {@link ProbabilisticClassifier}, so it takes {@code featuresCol} (a Vector), {@code labelCol}
 * (0..K−1) and an optional {@code weightCol}, and its model writes {@code rawPredictionCol},
 * {@code probabilityCol} and {@code predictionCol}.
 *
 * <p>{@link #fit} runs the same job code as {@code pullback train} ({@link TrainJob#fit}): the
 * Dataset's columns become the loader's examples (validated and packed as Parquet input is), then the
 * training loop runs. So a fit equals {@code train} with the corresponding flags bit for bit:
 * {@code architecture} = {@code --model}, {@code maxIter} = {@code --steps}, {@code stepSize} =
 * {@code --lr}, {@code regParam} = 2·{@code --l2}, and so on.
 *
 * <p><b>Objective.</b> {@code (1/Σw) Σ_x w_x ℓ(x) + (regParam/2)·‖w‖²} with ℓ the cross-entropy and
 * w the weights of θ (the biases unpenalised): MLlib {@code LogisticRegression}'s objective with
 * {@code elasticNetParam 0}, {@code standardization false}, so the same {@code regParam} gives the
 * same optimum.
 *
 * <p><b>Stopping.</b> After {@code maxIter} steps, or after the first step t at which the relative
 * decrease of the loss {@code (L_{t−1} − L_t)/|L_{t−1}|} is below {@code tol} (also when the loss
 * rose); {@code tol 0} runs all {@code maxIter} steps.
 *
 * <p><b>Cost</b> per step: one pass over the data (loss, gradient and, for ngd with the dense
 * representation, the metric), plus an N×N Cholesky solve on the driver (N = the model's parameter
 * count); the data are validated once and cached for the fit.
 *
 * <p><b>Checkpoints.</b> With {@code checkpointDir} set (and {@code checkpointInterval} k ≠ −1) the
 * fit is {@code train --out checkpointDir --checkpoint-every k}: a checkpoint every k steps; a fit
 * into a folder that holds one resumes from it ({@code train --resume}, refused when the settings
 * differ) and ends bit-identical to an uninterrupted fit. The folder is kept (history, params.npy).
 *
 * <p>{@code numClasses} comes from the label column's metadata or its maximum (MLlib's rule);
 * {@code logistic} needs 2 classes.
 */
public final class NaturalGradientClassifier
    extends ProbabilisticClassifier<Vector, NaturalGradientClassifier, NaturalGradientClassificationModel>
    implements NaturalGradientParams<NaturalGradientClassifier>, DefaultParamsWritable {
  private static final long serialVersionUID = 1L;

  private String uid;
  private final TrainingParams params;

  public NaturalGradientClassifier() {
    this((Void) null);
  }

  /** With the given uid (how {@link DefaultParamsReader} rebuilds a saved stage). */
  public NaturalGradientClassifier(String uid) {
    this(Uids.pending(uid));
  }

  private NaturalGradientClassifier(Void token) {
    super();
    uid();
    params = new TrainingParams(this, List.of("logistic", "softmax", "mlp"), List.of("fisher", "empirical-fisher", "mc-fisher"));
    for (Object[] d : params.commonDefaults()) setDefault(TrainingParams.untyped(d[0]), d[1]);
    setDefault(params.architecture, "logistic");
    setDefault(params.metric, "fisher");
  }

  @Override
  public String uid() {
    if (uid == null) uid = Uids.take("ngdClassifier");
    return uid;
  }

  @Override
  public TrainingParams trainingParams() {
    return params;
  }

  @Override
  public NaturalGradientClassifier copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  /** Reads a stage saved by {@link #write()} (MLlib's {@code DefaultParamsReader}). */
  public static MLReader<NaturalGradientClassifier> read() {
    return new DefaultParamsReader<>();
  }

  public static NaturalGradientClassifier load(String path) {
    return read().load(path);
  }

  /** Trains through {@link TrainJob#fit} on the Dataset's feature, label and weight columns. */
  @Override
  public NaturalGradientClassificationModel train(Dataset<?> dataset) {
    int numClasses = getNumClasses(dataset, 1000);
    String arch = getArchitecture();
    if (arch.equals("logistic") && numClasses != 2) {
      throw PullbackException.usage("architecture logistic has one logit and needs 2 classes, but the labels have "
          + numClasses + "; use architecture softmax (or mlp)");
    }
    InputConfig input = params.inputConfig(this, arch.equals("softmax") ? numClasses : null,
        arch.equals("mlp") ? numClasses : null, "legendre", 0, arch.equals("mlp") ? "categorical" : "gaussian");
    Dataset<Row> examples = Fitting.examples(dataset, $(featuresCol()), $(labelCol()), getWeightCol());
    Fitting.Result fit = Fitting.run(this, params, input, examples);
    int dim = examples.select("features").first().<Vector>getAs(0).size();
    FittedModel fitted = new FittedModel(input.modelSpec(dim), fit.theta(), numClasses, getMetric(), getRepresentation(), getSeed(),
        getWeightCol(), fit.summary(), examples);
    return new NaturalGradientClassificationModel(uid() + "_model", fitted);
  }
}
