package io.pullback.ml;

import io.pullback.job.InputConfig;
import io.pullback.job.TrainConfig;
import io.pullback.metric.MetricKind;
import io.pullback.metric.representation.RepresentationKind;
import io.pullback.metric.representation.RepresentationOptions;
import io.pullback.optim.OptimizerConfig;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.Params;
import scala.runtime.AbstractFunction1;

/**
 * The Params both estimators share ({@link NaturalGradientClassifier}, {@link NaturalGradientRegressor}),
 * made for one owner, and the {@code train} configuration they stand for. The owner exposes them
 * through {@link NaturalGradientParams} (MLlib finds Params by their public no-argument accessors).
 * Only {@code architecture}'s and {@code metric}'s valid values and the defaults differ by estimator.
 */
final class TrainingParams implements Serializable {
  private static final long serialVersionUID = 1L;

  final Param<String> architecture;
  final IntArrayParam hiddenLayers;
  final Param<String> activation;
  final Param<String> metric;
  final Param<String> representation;
  final Param<String> optimizer;
  final DoubleParam stepSize;
  final DoubleParam damping;
  final Param<String> dampingSchedule;
  final IntParam maxIter;
  final DoubleParam tol;
  final DoubleParam regParam;
  final LongParam seed;
  final Param<String> weightCol;
  final IntParam checkpointInterval;
  final Param<String> checkpointDir;

  TrainingParams(Params owner, List<String> architectures, List<String> metrics) {
    architecture = new Param<>(owner, "architecture", "model: " + String.join(", ", architectures),
        ParamValidators.inArray(architectures));
    hiddenLayers = new IntArrayParam(owner, "hiddenLayers", "hidden layer widths of mlp (each >= 1)", new AllPositive());
    activation = new Param<>(owner, "activation", "activation of mlp: tanh, relu or gelu",
        ParamValidators.inArray(List.of("tanh", "relu", "gelu")));
    metric = new Param<>(owner, "metric", "metric of ngd: " + String.join(", ", metrics), ParamValidators.inArray(metrics));
    representation = new Param<>(owner, "representation", "metric representation of ngd: " + RepresentationKind.validNames(),
        ParamValidators.inArray(Arrays.stream(RepresentationKind.values()).map(RepresentationKind::cliName).toList()));
    optimizer = new Param<>(owner, "optimizer", "optimiser: " + String.join(", ", OptimizerConfig.OPTIMIZERS),
        ParamValidators.inArray(OptimizerConfig.OPTIMIZERS));
    stepSize = new DoubleParam(owner, "stepSize", "learning rate (> 0; unset: the optimiser's default, the Gauss-Newton step for ngd)",
        ParamValidators.gt(0));
    damping = new DoubleParam(owner, "damping", "damping λ of ngd, (G + λI)⁻¹ (>= 0)", ParamValidators.gtEq(0));
    dampingSchedule = new Param<>(owner, "dampingSchedule", "damping schedule: fixed or levenberg-marquardt",
        ParamValidators.inArray(List.of("fixed", "levenberg-marquardt")));
    maxIter = new IntParam(owner, "maxIter", "most steps (>= 1)", ParamValidators.gtEq(1));
    tol = new DoubleParam(owner, "tol", "stop when the relative loss decrease falls below it (>= 0)", ParamValidators.gtEq(0));
    regParam = new DoubleParam(owner, "regParam", "L2 strength, (regParam/2)·‖w‖² on the weights (>= 0)", ParamValidators.gtEq(0));
    seed = new LongParam(owner, "seed", "seed of the initial parameters and of all sampling");
    weightCol = new Param<>(owner, "weightCol", "example weight column (unset: unit weights)");
    checkpointInterval = new IntParam(owner, "checkpointInterval",
        "checkpoint every k steps into checkpointDir (>= 1), or -1: never", new IntervalValid());
    checkpointDir = new Param<>(owner, "checkpointDir",
        "folder (any Hadoop file system) of a resumable fit: its checkpoints, history and result (unset: no checkpoints)");
  }

  /** The defaults both estimators share (the owner sets architecture's and metric's). */
  Object[][] commonDefaults() {
    return new Object[][] {
        {hiddenLayers, new int[] {16}}, {activation, "tanh"}, {representation, "dense"}, {optimizer, "ngd"}, {damping, 1e-3},
        {dampingSchedule, "fixed"}, {maxIter, 100}, {tol, 1e-6}, {regParam, 0.0}, {seed, 0L}, {checkpointInterval, 10}};
  }

  /** {@code param} as a {@code Param<Object>}, to set the defaults of {@link #commonDefaults()}. */
  @SuppressWarnings("unchecked")
  static Param<Object> untyped(Object param) {
    return (Param<Object>) param;
  }

  /** Every width >= 1 (a Serializable Scala function, as Params need). */
  private static final class AllPositive extends AbstractFunction1<int[], Object> implements Serializable {
    private static final long serialVersionUID = 1L;
    @Override public Object apply(int[] widths) {
      return Arrays.stream(widths).allMatch(w -> w >= 1);
    }
  }

  /** -1 or >= 1 (MLlib's {@code checkpointInterval} rule). */
  private static final class IntervalValid extends AbstractFunction1<Object, Object> implements Serializable {
    private static final long serialVersionUID = 1L;
    @Override public Object apply(Object value) {
      int k = ((Number) value).intValue();
      return k == -1 || k >= 1;
    }
  }

  /**
   * The {@code train} input for a Dataset (columns {@code features}, {@code label}, optional
   * {@code weight}): the model is {@code architecture} with {@code classes} (softmax),
   * {@code outputs} (linear-basis, mlp) and, for mlp, the {@code likelihood}.
   */
  InputConfig inputConfig(Params owner, Integer classes, Integer outputs, String basis, int degree, String likelihood) {
    List<Integer> hidden = Arrays.stream(owner.getOrDefault(hiddenLayers)).boxed().toList();
    return new InputConfig(dataName(owner), null, List.of("label"), owner.isDefined(weightCol) ? "weight" : null, null,
        owner.getOrDefault(architecture), classes, outputs, basis, degree, hidden, owner.getOrDefault(activation), likelihood, null,
        "random", (Long) owner.getOrDefault(seed), null, null, null, null, null);
  }

  /** {@code train}'s default representation options, with {@code seed} for the randomised ones. */
  static RepresentationOptions options(long seed) {
    return new RepresentationOptions(RepresentationOptions.DEFAULT_RANK, RepresentationOptions.DEFAULT_CG_TOL,
        RepresentationOptions.DEFAULT_CG_MAX_ITER, seed, false, RepresentationOptions.DEFAULT_MAX_DUAL_ROWS);
  }

  /**
   * How messages name the fit's rows: the Dataset's columns, {@code Dataset (features, label)}. It
   * is part of a checkpoint's fingerprint, so it holds no uid: a new estimator with the same Params
   * resumes the checkpoint of another.
   */
  private String dataName(Params owner) {
    String columns = owner.getOrDefault(owner.getParam("featuresCol")) + ", " + owner.getOrDefault(owner.getParam("labelCol"))
        + (owner.isDefined(weightCol) ? ", " + owner.getOrDefault(weightCol) : "");
    return "Dataset (" + columns + ")";
  }

  /** Whether the fit checkpoints: {@code checkpointDir} set and {@code checkpointInterval} not -1. */
  boolean checkpoints(Params owner) {
    return owner.isDefined(checkpointDir) && (Integer) owner.getOrDefault(checkpointInterval) != -1;
  }

  /**
   * The {@code train} configuration these Params stand for (the other settings at train's defaults):
   * {@code maxIter} = {@code --steps}, {@code regParam} = 2·{@code --l2}, {@code stepSize} =
   * {@code --lr}, {@code checkpointInterval} = {@code --checkpoint-every} (when checkpointing).
   */
  TrainConfig trainConfig(Params owner, InputConfig input, String out, boolean resume) {
    Double lr = owner.isDefined(stepSize) ? (Double) owner.getOrDefault(stepSize) : null;
    RepresentationOptions options = options((Long) owner.getOrDefault(seed));
    int every = checkpoints(owner) ? (Integer) owner.getOrDefault(checkpointInterval) : 0;
    return new TrainConfig(input, owner.getOrDefault(optimizer), null, (Double) owner.getOrDefault(regParam) / 2, lr,
        (Integer) owner.getOrDefault(maxIter), MetricKind.parse(owner.getOrDefault(metric)), 1,
        TrainConfig.parseRepresentation(owner.getOrDefault(representation)), options, (Double) owner.getOrDefault(damping),
        owner.getOrDefault(dampingSchedule), false, null, 1, 1.0, 1.0, 0.0, 0.9, 0.9, 0.999, 1e-8, 0.1, 0.1, 0.9, 0.99, 1e-8,
        0.95, 20, 5, false, every, resume, out, null, null);
  }
}
