package io.pullback.ml;

import io.pullback.PullbackException;
import java.util.Map;

/**
 * The spark.ml spelling of the library's parameters: a {@link PullbackException} thrown by the job
 * layer names {@code {steps}}, {@code {l2}}, …; the estimators show {@code maxIter}, {@code regParam},
 * … (the Param names of {@link NaturalGradientClassifier}). Names without an entry stay as they are.
 */
final class ParamNames {
  private static final Map<String, String> NAMES = Map.ofEntries(
      Map.entry("steps", "maxIter"), Map.entry("l2", "regParam"), Map.entry("learningRate", "stepSize"),
      Map.entry("lr", "stepSize"), Map.entry("model", "architecture"), Map.entry("hidden", "hiddenLayers"),
      Map.entry("weightColumn", "weightCol"), Map.entry("labelColumns", "labelCol"), Map.entry("data", "dataset"),
      Map.entry("out", "checkpointDir"), Map.entry("checkpointEvery", "checkpointInterval"), Map.entry("resume", "checkpointDir"));

  private ParamNames() {}

  /** The Param name of library parameter {@code name}. */
  static String of(String name) {
    return NAMES.getOrDefault(name, name);
  }

  /** {@code e} with its message rendered in Param names (same exit code, {@code e} as the cause). */
  static PullbackException rendered(PullbackException e) {
    return new PullbackException(e.exitCode(), e.render(ParamNames::of), e);
  }
}
