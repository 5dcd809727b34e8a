package io.pullback.ml;

import io.pullback.PullbackException;
import io.pullback.job.InputConfig;
import io.pullback.job.RunContext;
import io.pullback.job.StepListener;
import io.pullback.job.TrainConfig;
import io.pullback.job.TrainJob;
import io.pullback.metric.MetricKind;
import io.pullback.metric.representation.RepresentationKind;
import io.pullback.metric.representation.RepresentationOptions;
import io.pullback.optim.OptimizerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.classification.ProbabilisticClassifier;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import scala.runtime.AbstractFunction1;

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
 * count); the data are validated once and cached for the fit. {@code numClasses} comes from the label
 * column's metadata or its maximum (MLlib's rule); {@code logistic} needs 2 classes.
 */
public final class NaturalGradientClassifier
    extends ProbabilisticClassifier<Vector, NaturalGradientClassifier, NaturalGradientClassificationModel>
    implements DefaultParamsWritable {
  private static final long serialVersionUID = 1L;

  private String uid;
  private final Param<String> architecture;
  private final IntArrayParam hiddenLayers;
  private final Param<String> activation;
  private final Param<String> metric;
  private final Param<String> representation;
  private final Param<String> optimizer;
  private final DoubleParam stepSize;
  private final DoubleParam damping;
  private final Param<String> dampingSchedule;
  private final IntParam maxIter;
  private final DoubleParam tol;
  private final DoubleParam regParam;
  private final LongParam seed;
  private final Param<String> weightCol;

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
    architecture = new Param<>(this, "architecture", "model: logistic (binary), softmax or mlp",
        ParamValidators.inArray(List.of("logistic", "softmax", "mlp")));
    hiddenLayers = new IntArrayParam(this, "hiddenLayers", "hidden layer widths of mlp (each >= 1)", new AllPositive());
    activation = new Param<>(this, "activation", "activation of mlp: tanh, relu or gelu",
        ParamValidators.inArray(List.of("tanh", "relu", "gelu")));
    metric = new Param<>(this, "metric", "metric of ngd: fisher, empirical-fisher or mc-fisher",
        ParamValidators.inArray(List.of("fisher", "empirical-fisher", "mc-fisher")));
    representation = new Param<>(this, "representation", "metric representation of ngd: " + RepresentationKind.validNames(),
        ParamValidators.inArray(Arrays.stream(RepresentationKind.values()).map(RepresentationKind::cliName).toList()));
    optimizer = new Param<>(this, "optimizer", "optimiser: " + String.join(", ", OptimizerConfig.OPTIMIZERS),
        ParamValidators.inArray(OptimizerConfig.OPTIMIZERS));
    stepSize = new DoubleParam(this, "stepSize", "learning rate (> 0; unset: the optimiser's default, 1 for ngd)",
        ParamValidators.gt(0));
    damping = new DoubleParam(this, "damping", "damping λ of ngd, (G + λI)⁻¹ (>= 0)", ParamValidators.gtEq(0));
    dampingSchedule = new Param<>(this, "dampingSchedule", "damping schedule: fixed or levenberg-marquardt",
        ParamValidators.inArray(List.of("fixed", "levenberg-marquardt")));
    maxIter = new IntParam(this, "maxIter", "most steps (>= 1)", ParamValidators.gtEq(1));
    tol = new DoubleParam(this, "tol", "stop when the relative loss decrease falls below it (>= 0)", ParamValidators.gtEq(0));
    regParam = new DoubleParam(this, "regParam", "L2 strength, (regParam/2)·‖w‖² on the weights as in MLlib (>= 0)",
        ParamValidators.gtEq(0));
    seed = new LongParam(this, "seed", "seed of the initial parameters and of all sampling");
    weightCol = new Param<>(this, "weightCol", "example weight column (unset: unit weights)");
    setDefault(architecture, "logistic");
    setDefault(hiddenLayers, new int[] {16});
    setDefault(activation, "tanh");
    setDefault(metric, "fisher");
    setDefault(representation, "dense");
    setDefault(optimizer, "ngd");
    setDefault(damping, 1e-3);
    setDefault(dampingSchedule, "fixed");
    setDefault(maxIter, 100);
    setDefault(tol, 1e-6);
    setDefault(regParam, 0.0);
    setDefault(seed, 0L);
  }

  @Override
  public String uid() {
    if (uid == null) uid = Uids.take("ngdClassifier");
    return uid;
  }

  /** Every width >= 1 (a Serializable Scala function, as Params need). */
  private static final class AllPositive extends AbstractFunction1<int[], Object> implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    @Override public Object apply(int[] widths) {
      return Arrays.stream(widths).allMatch(w -> w >= 1);
    }
  }

  public Param<String> architecture() { return architecture; }
  public IntArrayParam hiddenLayers() { return hiddenLayers; }
  public Param<String> activation() { return activation; }
  public Param<String> metric() { return metric; }
  public Param<String> representation() { return representation; }
  public Param<String> optimizer() { return optimizer; }
  public DoubleParam stepSize() { return stepSize; }
  public DoubleParam damping() { return damping; }
  public Param<String> dampingSchedule() { return dampingSchedule; }
  public IntParam maxIter() { return maxIter; }
  public DoubleParam tol() { return tol; }
  public DoubleParam regParam() { return regParam; }
  public LongParam seed() { return seed; }
  public Param<String> weightCol() { return weightCol; }

  public String getArchitecture() { return $(architecture); }
  public int[] getHiddenLayers() { return $(hiddenLayers); }
  public String getActivation() { return $(activation); }
  public String getMetric() { return $(metric); }
  public String getRepresentation() { return $(representation); }
  public String getOptimizer() { return $(optimizer); }
  /** The learning rate; throws {@link java.util.NoSuchElementException} when unset (the optimiser's default is used). */
  public double getStepSize() { return (Double) $(stepSize); }
  public double getDamping() { return (Double) $(damping); }
  public String getDampingSchedule() { return $(dampingSchedule); }
  public int getMaxIter() { return (Integer) $(maxIter); }
  public double getTol() { return (Double) $(tol); }
  public double getRegParam() { return (Double) $(regParam); }
  public long getSeed() { return (Long) $(seed); }
  /** The weight column, or null when unset. */
  public String getWeightCol() { return isDefined(weightCol) ? $(weightCol) : null; }

  public NaturalGradientClassifier setArchitecture(String v) { set(architecture, v); return this; }
  public NaturalGradientClassifier setHiddenLayers(int[] v) { set(hiddenLayers, v); return this; }
  public NaturalGradientClassifier setActivation(String v) { set(activation, v); return this; }
  public NaturalGradientClassifier setMetric(String v) { set(metric, v); return this; }
  public NaturalGradientClassifier setRepresentation(String v) { set(representation, v); return this; }
  public NaturalGradientClassifier setOptimizer(String v) { set(optimizer, v); return this; }
  public NaturalGradientClassifier setStepSize(double v) { set(stepSize, v); return this; }
  public NaturalGradientClassifier setDamping(double v) { set(damping, v); return this; }
  public NaturalGradientClassifier setDampingSchedule(String v) { set(dampingSchedule, v); return this; }
  public NaturalGradientClassifier setMaxIter(int v) { set(maxIter, v); return this; }
  public NaturalGradientClassifier setTol(double v) { set(tol, v); return this; }
  public NaturalGradientClassifier setRegParam(double v) { set(regParam, v); return this; }
  public NaturalGradientClassifier setSeed(long v) { set(seed, v); return this; }
  public NaturalGradientClassifier setWeightCol(String v) { set(weightCol, v); return this; }

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
    if (getArchitecture().equals("logistic") && numClasses != 2) {
      throw PullbackException.usage("architecture logistic has one logit and needs 2 classes, but the labels have "
          + numClasses + "; use architecture softmax (or mlp)");
    }
    InputConfig input = inputConfig(numClasses);
    Path scratch = scratchFolder();
    try {
      TrainConfig config = trainConfig(input, scratch.resolve("run").toString());
      double[] theta = TrainJob.fit(RunContext.of(dataset.sparkSession()), config, examples(dataset), getTol(), StepListener.NONE);
      int dim = ((Row) dataset.select($(featuresCol())).first()).<Vector>getAs(0).size();
      return new NaturalGradientClassificationModel(uid() + "_model", input.modelSpec(dim), theta, numClasses);
    } catch (PullbackException e) {
      throw ParamNames.rendered(e);
    } finally {
      deleteQuietly(scratch);
    }
  }

  /** The columns the loader reads: {@code features}, {@code label} and (when set) {@code weight}, as doubles. */
  private Dataset<Row> examples(Dataset<?> dataset) {
    List<Column> columns = new ArrayList<>();
    columns.add(functions.col($(featuresCol())).as("features"));
    columns.add(functions.col($(labelCol())).cast("double").as("label"));
    if (getWeightCol() != null) columns.add(functions.col(getWeightCol()).cast("double").as("weight"));
    return dataset.select(columns.toArray(new Column[0]));
  }

  private InputConfig inputConfig(int numClasses) {
    String arch = getArchitecture();
    boolean mlp = arch.equals("mlp");
    List<Integer> hidden = Arrays.stream(getHiddenLayers()).boxed().toList();
    return new InputConfig("Dataset (" + uid() + ")", null, List.of("label"), getWeightCol() == null ? null : "weight", null,
        arch, arch.equals("softmax") ? numClasses : null, mlp ? numClasses : null, "legendre", 0, hidden, getActivation(),
        mlp ? "categorical" : "gaussian", null, "random", getSeed(), null, null, null, null, null);
  }

  /** The {@code train} configuration these Params stand for (the other settings at train's defaults). */
  private TrainConfig trainConfig(InputConfig input, String out) {
    Double lr = isDefined(stepSize) ? getStepSize() : null;
    RepresentationOptions options = new RepresentationOptions(RepresentationOptions.DEFAULT_RANK,
        RepresentationOptions.DEFAULT_CG_TOL, RepresentationOptions.DEFAULT_CG_MAX_ITER, getSeed(), false,
        RepresentationOptions.DEFAULT_MAX_DUAL_ROWS);
    return new TrainConfig(input, getOptimizer(), null, getRegParam() / 2, lr, getMaxIter(), MetricKind.parse(getMetric()), 1,
        TrainConfig.parseRepresentation(getRepresentation()), options, getDamping(), getDampingSchedule(), false, null, 1, 1.0,
        1.0, 0.0, 0.9, 0.9, 0.999, 1e-8, 0.1, 0.1, 0.9, 0.99, 1e-8, 0.95, 20, 5, false, 0, false, out);
  }

  /** A fresh local folder for the run's history and summary (removed after the fit). */
  private static Path scratchFolder() {
    try {
      return Files.createTempDirectory("pullback-fit-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a scratch folder for the fit: " + e.getMessage(), e);
    }
  }

  private static void deleteQuietly(Path root) {
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException ignored) {
      // a leftover temporary folder is harmless
    }
  }
}
