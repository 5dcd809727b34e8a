package io.pullback.optim;

import io.pullback.PullbackException;

/**
 * Range checks of the optimiser configurations. Each failure is a {@link PullbackException#usage}
 * naming the parameter by its placeholder {@code {name}} (a front end shows its own spelling of
 * it, e.g. the CLI's {@code --lr}) and the value.
 */
final class Checks {
  private Checks() {}

  /** {@code v > 0} and finite. */
  static void positive(String parameter, double v) {
    if (!(v > 0) || !Double.isFinite(v)) {
      throw PullbackException.usage("{" + parameter + "} must be > 0 and finite, got " + v);
    }
  }

  /** {@code v ≥ 0} and finite. */
  static void nonNegative(String parameter, double v) {
    if (!(v >= 0) || !Double.isFinite(v)) {
      throw PullbackException.usage("{" + parameter + "} must be >= 0 and finite, got " + v);
    }
  }

  /** {@code v ∈ [0, 1)}. */
  static void unitInterval(String parameter, double v) {
    if (!(v >= 0 && v < 1)) {
      throw PullbackException.usage("{" + parameter + "} must be in [0, 1), got " + v);
    }
  }
}
