package io.pullback.ml;

import io.pullback.job.InputConfig;
import io.pullback.job.TrainJob;
import java.util.List;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.regression.Regressor;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A spark.ml regressor trained by natural gradient (or any optimiser of {@code train}): an MLlib
 * {@link Regressor}, so it takes {@code featuresCol} (a Vector), {@code labelCol} (a number) and an
 * optional {@code weightCol}, and its model writes {@code predictionCol}. The same job code as
 * {@code pullback train} ({@link TrainJob#fit}); the Params are those of {@link NaturalGradientParams}
 * (the {@code train} flags of the same meaning) plus {@code basis} and {@code degree}.
 *
 * <p><b>Models.</b> {@code architecture linear-basis} (default): {@code f(x) = Σ_m θ_m φ_m(x)} over
 * the tensor-product basis of {@code basis} ({@code monomial}, {@code legendre}, {@code fourier})
 * up to total degree {@code degree} (monomial degree 1: {@code θ = [b, w_1..w_D]}, the constant
 * first); {@code architecture mlp}: {@code hiddenLayers}, {@code activation}, one linear output.
 *
 * <p><b>Objective.</b> The squared loss without ½ (DESIGN.md) plus the L2 term,
 * {@code (1/Σw) Σ_x w_x (f(x) − y)² + (regParam/2)·‖w‖²}, where w is every coefficient of
 * linear-basis (its constant included: it has no separate bias) and the weights of mlp (biases
 * unpenalised). So {@code regParam = 0} is least squares, and {@code regParam r} is ridge regression
 * with normal equations {@code (ΦᵀWΦ/Σw + (r/2)·I) θ = ΦᵀWy/Σw}. MLlib's {@code LinearRegression}
 * minimises {@code ½·(1/Σw)Σ w r² + (λ/(2σ_y))‖w‖²} (σ_y the labels' population standard deviation,
 * elasticNetParam 0, standardization false), so its λ equals {@code r·σ_y/2} here.
 *
 * <p><b>Steps.</b> ngd with the default {@code metric function} is Gauss–Newton: for linear-basis
 * (linear in θ) with {@code damping 0} one step of the default step size ½ reaches the optimum.
 * Stopping, checkpoints and costs are those of {@link NaturalGradientClassifier}.
 */
public final class NaturalGradientRegressor extends Regressor<Vector, NaturalGradientRegressor, NaturalGradientRegressionModel>
    implements NaturalGradientParams<NaturalGradientRegressor>, DefaultParamsWritable {
  private static final long serialVersionUID = 1L;

  private String uid;
  private final TrainingParams params;
  private final Param<String> basis;
  private final IntParam degree;

  public NaturalGradientRegressor() {
    this((Void) null);
  }

  /** With the given uid (how {@link DefaultParamsReader} rebuilds a saved stage). */
  public NaturalGradientRegressor(String uid) {
    this(Uids.pending(uid));
  }

  private NaturalGradientRegressor(Void token) {
    super();
    uid();
    params = new TrainingParams(this, List.of("linear-basis", "mlp"), List.of("function", "fisher", "empirical-fisher", "mc-fisher"));
    basis = new Param<>(this, "basis", "basis of linear-basis: monomial, legendre or fourier",
        ParamValidators.inArray(List.of("monomial", "legendre", "fourier")));
    degree = new IntParam(this, "degree", "total degree of the linear-basis functions (>= 0)", ParamValidators.gtEq(0));
    for (Object[] d : params.commonDefaults()) setDefault(TrainingParams.untyped(d[0]), d[1]);
    setDefault(params.architecture, "linear-basis");
    setDefault(params.metric, "function");
    setDefault(basis, "monomial");
    setDefault(degree, 1);
  }

  @Override
  public String uid() {
    if (uid == null) uid = Uids.take("ngdRegressor");
    return uid;
  }

  @Override
  public TrainingParams trainingParams() {
    return params;
  }

  public Param<String> basis() { return basis; }
  public IntParam degree() { return degree; }
  public String getBasis() { return $(basis); }
  public int getDegree() { return (Integer) $(degree); }
  public NaturalGradientRegressor setBasis(String v) { set(basis, v); return this; }
  public NaturalGradientRegressor setDegree(int v) { set(degree, v); return this; }

  @Override
  public NaturalGradientRegressor copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  /** Reads a stage saved by {@link #write()} (MLlib's {@code DefaultParamsReader}). */
  public static MLReader<NaturalGradientRegressor> read() {
    return new DefaultParamsReader<>();
  }

  public static NaturalGradientRegressor load(String path) {
    return read().load(path);
  }

  /** Trains through {@link TrainJob#fit} on the Dataset's feature, label and weight columns (squared loss). */
  @Override
  public NaturalGradientRegressionModel train(Dataset<?> dataset) {
    boolean mlp = getArchitecture().equals("mlp");
    InputConfig input = params.inputConfig(this, null, 1, mlp ? "legendre" : getBasis(),
        mlp ? 0 : getDegree(), "gaussian");
    Dataset<Row> examples = Fitting.examples(dataset, $(featuresCol()), $(labelCol()), getWeightCol());
    Fitting.Result fit = Fitting.run(this, params, input, examples);
    int dim = examples.select("features").first().<Vector>getAs(0).size();
    FittedModel fitted = new FittedModel(input.modelSpec(dim), fit.theta(), 0, getMetric(), getRepresentation(), getSeed(),
        getWeightCol(), fit.summary(), examples);
    return new NaturalGradientRegressionModel(uid() + "_model", fitted);
  }
}
