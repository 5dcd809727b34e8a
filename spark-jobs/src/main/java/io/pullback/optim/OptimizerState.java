package io.pullback.optim;

import io.pullback.PullbackException;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * An optimiser's full state as named arrays, scalars and counters: what a checkpoint stores (see
 * {@link Checkpoint}). Accessors throw {@link PullbackException#data} when an entry is missing or has
 * the wrong length. Maps are copied into sorted, unmodifiable maps; arrays are copied too.
 *
 * @param optimizer the optimiser name ({@link Optimizer#name()}), checked on restore
 */
public record OptimizerState(String optimizer, Map<String, double[]> arrays, Map<String, Double> scalars,
    Map<String, Long> counters) {
  public OptimizerState {
    if (optimizer == null || optimizer.isEmpty()) {
      throw new IllegalArgumentException("optimizer name must not be empty");
    }
    TreeMap<String, double[]> a = new TreeMap<>();
    arrays.forEach((k, v) -> a.put(k, v.clone()));
    arrays = Collections.unmodifiableMap(a);
    scalars = Collections.unmodifiableMap(new TreeMap<>(scalars));
    counters = Collections.unmodifiableMap(new TreeMap<>(counters));
  }

  /** The array {@code key} (a copy), checking it exists and has {@code length} entries. */
  public double[] array(String key, int length) {
    double[] v = arrays.get(key);
    if (v == null) {
      throw PullbackException.data("optimizer state of " + optimizer + " has no array '" + key + "'");
    }
    if (v.length != length) {
      throw PullbackException.data("optimizer state array '" + key + "' has " + v.length + " entries, expected " + length
          + " (was the checkpoint written for a model with another number of parameters?)");
    }
    return v.clone();
  }

  /** The scalar {@code key}, checking it exists. */
  public double scalar(String key) {
    Double v = scalars.get(key);
    if (v == null) {
      throw PullbackException.data("optimizer state of " + optimizer + " has no scalar '" + key + "'");
    }
    return v;
  }

  /** The counter {@code key}, checking it exists. */
  public long counter(String key) {
    Long v = counters.get(key);
    if (v == null) {
      throw PullbackException.data("optimizer state of " + optimizer + " has no counter '" + key + "'");
    }
    return v;
  }

  /** Throws unless this state belongs to an optimiser called {@code name}. */
  void requireOptimizer(String name) {
    if (!optimizer.equals(name)) {
      throw PullbackException.usage("the checkpoint holds the state of optimizer '" + optimizer + "' but {optimizer} is '"
          + name + "'; resume with {optimizer} " + optimizer);
    }
  }
}
