package io.pullback.optim;

/**
 * What a checkpoint holds: the number of completed steps, the parameters to continue from, the
 * optimiser state, the driver's random-number state (a seed and a counter) and the damping (for
 * display; the optimiser state is authoritative). Arrays are not copied.
 *
 * @param step completed steps t: the run continues with step t + 1 from {@code theta}
 * @param theta the parameters θ_{t+1} returned by the last accepted step
 */
public record CheckpointData(long step, double[] theta, OptimizerState optimizer, long rngSeed, long rngCounter,
    double damping) {
  public CheckpointData {
    if (step < 0) {
      throw new IllegalArgumentException("step must be >= 0, got " + step);
    }
    if (theta == null || optimizer == null) {
      throw new IllegalArgumentException("theta and optimizer state must not be null");
    }
  }
}
