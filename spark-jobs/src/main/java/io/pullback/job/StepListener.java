package io.pullback.job;

/** Hears about each finished training step (progress displays, experiment runners). */
@FunctionalInterface
public interface StepListener {
  StepListener NONE = (step, steps, loss, seconds) -> { };

  /**
   * @param step the step just finished (1-based)
   * @param steps total steps of the run
   * @param loss the loss at the start of the step
   * @param seconds wall time of the step
   */
  void stepDone(int step, int steps, double loss, double seconds);
}
