package io.pullback.optim;

/** Checks shared by the optimisers. */
final class Steps {
  private Steps() {}

  /** The new step counter: {@code in.step()}, which must follow {@code previous}. */
  static long advance(String name, long previous, StepInput in) {
    if (in.step() != previous + 1) {
      throw new IllegalStateException(name + ": step " + in.step() + " after step " + previous
          + " (steps must be consecutive; after a restore, continue from the checkpoint's step + 1)");
    }
    return in.step();
  }

  static void requireLength(double[] state, double[] theta) {
    if (state.length != theta.length) {
      throw new IllegalArgumentException("theta has " + theta.length + " entries but the optimizer state has " + state.length);
    }
  }
}
