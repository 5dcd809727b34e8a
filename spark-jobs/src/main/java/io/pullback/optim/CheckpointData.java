package io.pullback.optim;

/**
 * What a checkpoint holds: the number of completed steps, the parameters to continue from, the
 * optimiser state, the driver's random-number state (a seed and a counter) and the damping (for
 * display; the optimiser state is authoritative). Arrays are not copied.
 *
 * @param step completed steps t: the run continues with step t + 1 from {@code theta}
 * @param theta the parameters θ_{t+1} returned by the last accepted step
 * @param settings the settings that determine the trajectory (name → value as text, in a fixed
 *     order), which a resume must repeat; empty for a checkpoint written without them (older builds)
 */
public record CheckpointData(long step, double[] theta, OptimizerState optimizer, long rngSeed, long rngCounter,
    double damping, java.util.Map<String, String> settings) {
  /** A checkpoint that records no settings. */
  public CheckpointData(long step, double[] theta, OptimizerState optimizer, long rngSeed, long rngCounter, double damping) {
    this(step, theta, optimizer, rngSeed, rngCounter, damping, java.util.Map.of());
  }

  public CheckpointData {
    settings = settings == null ? java.util.Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(settings));
    if (step < 0) {
      throw new IllegalArgumentException("step must be >= 0, got " + step);
    }
    if (theta == null || optimizer == null) {
      throw new IllegalArgumentException("theta and optimizer state must not be null");
    }
  }
}
