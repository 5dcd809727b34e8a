package io.pullback.ml;

import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/**
 * The training Params of {@link NaturalGradientClassifier} and {@link NaturalGradientRegressor},
 * with their getters and setters (the setters return the estimator, for chaining from Java and
 * Scala). Each Param is the {@code train} flag of the same meaning: see docs/spark-ml.md. The
 * setters validate as MLlib's do ({@code ParamValidators}: a bad value throws
 * {@link IllegalArgumentException} naming the Param); {@code copy}, save/load and
 * {@code ParamGridBuilder} see these Params like any MLlib Param.
 *
 * @param <T> the estimator
 */
public interface NaturalGradientParams<T extends Params> {
  /** The Param objects of this estimator instance (internal: the accessors below are the API). */
  TrainingParams trainingParams();

  @SuppressWarnings("unchecked")
  private T with(Param<?> param, Object value) {
    ((Params) this).set(param.name(), value);
    return (T) this;
  }

  private <V> V value(Param<V> param) {
    return ((Params) this).getOrDefault(param);
  }

  default Param<String> architecture() { return trainingParams().architecture; }
  default IntArrayParam hiddenLayers() { return trainingParams().hiddenLayers; }
  default Param<String> activation() { return trainingParams().activation; }
  default Param<String> metric() { return trainingParams().metric; }
  default Param<String> representation() { return trainingParams().representation; }
  default Param<String> optimizer() { return trainingParams().optimizer; }
  default DoubleParam stepSize() { return trainingParams().stepSize; }
  default DoubleParam damping() { return trainingParams().damping; }
  default Param<String> dampingSchedule() { return trainingParams().dampingSchedule; }
  default IntParam maxIter() { return trainingParams().maxIter; }
  default DoubleParam tol() { return trainingParams().tol; }
  default DoubleParam regParam() { return trainingParams().regParam; }
  default LongParam seed() { return trainingParams().seed; }
  default Param<String> weightCol() { return trainingParams().weightCol; }
  default IntParam checkpointInterval() { return trainingParams().checkpointInterval; }
  default Param<String> checkpointDir() { return trainingParams().checkpointDir; }

  default String getArchitecture() { return value(architecture()); }
  default int[] getHiddenLayers() { return value(hiddenLayers()); }
  default String getActivation() { return value(activation()); }
  default String getMetric() { return value(metric()); }
  default String getRepresentation() { return value(representation()); }
  default String getOptimizer() { return value(optimizer()); }
  /** The learning rate; throws {@link java.util.NoSuchElementException} when unset (the optimiser's default is used). */
  default double getStepSize() { return (Double) value(stepSize()); }
  default double getDamping() { return (Double) value(damping()); }
  default String getDampingSchedule() { return value(dampingSchedule()); }
  default int getMaxIter() { return (Integer) value(maxIter()); }
  default double getTol() { return (Double) value(tol()); }
  default double getRegParam() { return (Double) value(regParam()); }
  default long getSeed() { return (Long) value(seed()); }
  /** The weight column, or null when unset. */
  default String getWeightCol() { return ((Params) this).isDefined(weightCol()) ? value(weightCol()) : null; }
  default int getCheckpointInterval() { return (Integer) value(checkpointInterval()); }
  /** The checkpoint folder, or null when unset. */
  default String getCheckpointDir() { return ((Params) this).isDefined(checkpointDir()) ? value(checkpointDir()) : null; }

  default T setArchitecture(String v) { return with(architecture(), v); }
  default T setHiddenLayers(int[] v) { return with(hiddenLayers(), v); }
  default T setActivation(String v) { return with(activation(), v); }
  default T setMetric(String v) { return with(metric(), v); }
  default T setRepresentation(String v) { return with(representation(), v); }
  default T setOptimizer(String v) { return with(optimizer(), v); }
  default T setStepSize(double v) { return with(stepSize(), v); }
  default T setDamping(double v) { return with(damping(), v); }
  default T setDampingSchedule(String v) { return with(dampingSchedule(), v); }
  default T setMaxIter(int v) { return with(maxIter(), v); }
  default T setTol(double v) { return with(tol(), v); }
  default T setRegParam(double v) { return with(regParam(), v); }
  default T setSeed(long v) { return with(seed(), v); }
  default T setWeightCol(String v) { return with(weightCol(), v); }
  default T setCheckpointInterval(int v) { return with(checkpointInterval(), v); }
  default T setCheckpointDir(String v) { return with(checkpointDir(), v); }
}
